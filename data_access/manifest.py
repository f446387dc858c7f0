"""Reading and writing a snapshot's ``manifest.json`` (file list, row counts, checksums)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from data_access.contract import MANIFEST_NAME, PROGRAMME_NAME, SCHEMA_VERSION, TABLE_FILES


def sha256_of(path: Path) -> str:
    """The hex SHA-256 of a file, read in 1 MiB blocks so large files never sit in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_manifest(folder: Path, snapshot_date: str, *, demo: bool = False) -> dict[str, Any]:
    """Describe the Parquet files in ``folder`` as a manifest dict (rows from Parquet metadata).

    ``demo`` adds ``"demo": true`` (an addition the contract allows), so the app can tell synthetic data apart.
    """
    import pyarrow.parquet as pq  # not at module level: `report` imports this module (issue 14)

    files: dict[str, dict[str, Any]] = {}
    for file_name in TABLE_FILES.values():
        path = folder / file_name
        files[file_name] = {"rows": pq.ParquetFile(path).metadata.num_rows, "sha256": sha256_of(path)}
    manifest: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "snapshot_date": snapshot_date,
        "programme": PROGRAMME_NAME,
        "files": files,
    }
    if demo:
        manifest["demo"] = True
    return manifest


def write_manifest(folder: Path, snapshot_date: str, *, demo: bool = False) -> dict[str, Any]:
    """Write ``manifest.json`` for the Parquet files already in ``folder`` and return it."""
    manifest = build_manifest(folder, snapshot_date, demo=demo)
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def read_manifest(folder: Path) -> dict[str, Any]:
    """Parse ``manifest.json``; raises ``OSError`` or ``ValueError`` when it is missing or not JSON."""
    data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("manifest.json is not a JSON object")
    return data
