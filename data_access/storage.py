"""Where snapshots are stored: local folders or object storage (S3 and what pyarrow.fs reads), and discovery.

A snapshot root holds one folder per snapshot, named by its date. ``ObjectPath`` gives object storage the few
``pathlib.Path`` methods the data layer uses, so discovery, manifests and checksums work the same on both.
``manifest_digest`` is the one digest of a snapshot's manifest: it names the snapshot (``Snapshot.id``), keys
the in-process caches and the validation marker, and so changes whenever any file's checksum changes.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any, Final

from data_access.contract import MANIFEST_NAME
from data_access.settings import SNAPSHOT_ROOT

_DATED: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DIGEST_LENGTH: Final = 16


class ObjectPath:
    """A file or folder in object storage (``s3://bucket/prefix/...``, ``az://...``), read through pyarrow.fs.

    It offers the few ``pathlib.Path`` methods the data layer uses (``/``, ``name``, ``is_dir``, ``is_file``,
    ``iterdir``, ``read_bytes``, ``read_text``, ``open``, ``resolve``), so discovery, manifests and checksums
    work unchanged. S3 credentials come from the usual ``AWS_*`` variables, the endpoint from
    ``AWS_ENDPOINT_URL`` (an S3-compatible server, e.g. MinIO or a local test server).
    """

    def __init__(self, url: str, kind: str | None = None) -> None:
        self.url = url.rstrip("/")
        self._kind = kind  # "dir" or "file" when known from a listing

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"ObjectPath({self.url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ObjectPath) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    def __lt__(self, other: ObjectPath) -> bool:
        return self.url < other.url

    def __truediv__(self, name: str) -> ObjectPath:
        return ObjectPath(f"{self.url}/{name}")

    @property
    def name(self) -> str:
        """The last segment of the URL."""
        return self.url.rsplit("/", 1)[-1]

    @property
    def filesystem(self) -> Any:
        """The pyarrow filesystem and the path within it."""
        return _filesystem(self.url)

    def resolve(self) -> ObjectPath:
        """The URL itself (object storage has no relative paths)."""
        return self

    def _type(self) -> Any:
        import pyarrow.fs as pafs

        fs, path = self.filesystem
        return fs.get_file_info(path).type, pafs.FileType

    def is_dir(self) -> bool:
        """True when objects exist under this prefix."""
        if self._kind is not None:
            return self._kind == "dir"
        kind, types = self._type()
        return bool(kind == types.Directory)

    def is_file(self) -> bool:
        """True when an object exists at this URL."""
        if self._kind is not None:
            return self._kind == "file"
        kind, types = self._type()
        return bool(kind == types.File)

    def exists(self) -> bool:
        """True when a file or a folder exists here."""
        kind, types = self._type()
        return bool(kind != types.NotFound)

    def iterdir(self) -> list[ObjectPath]:
        """The files and folders directly under this prefix."""
        import pyarrow.fs as pafs

        fs, path = self.filesystem
        infos = fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
        directory = pafs.FileType.Directory
        return [
            ObjectPath(f"{self.url}/{i.base_name}", "dir" if i.type == directory else "file") for i in infos
        ]

    def open(self, mode: str = "rb") -> Any:
        """A binary, seekable reader (a pyarrow ``NativeFile``); only reading is supported."""
        if mode != "rb":
            raise ValueError("object-storage snapshots are read-only here")
        fs, path = self.filesystem
        return fs.open_input_file(path)

    def read_bytes(self) -> bytes:
        """The whole object."""
        with self.open() as handle:
            return bytes(handle.read())

    def read_text(self, encoding: str = "utf-8") -> str:
        """The whole object as text."""
        return self.read_bytes().decode(encoding)


Folder = Path | ObjectPath
"""A snapshot root or folder: a local path, or an object-storage URL."""


def is_url(location: str | Path | ObjectPath) -> bool:
    """True for an object-storage URL such as ``s3://bucket/prefix``."""
    return isinstance(location, ObjectPath) or "://" in str(location)


def as_folder(location: str | Path | ObjectPath) -> Folder:
    """A local ``Path``, or an ``ObjectPath`` for a URL."""
    if isinstance(location, Path | ObjectPath):
        return location
    return ObjectPath(location) if is_url(location) else Path(location)


def _filesystem(url: str) -> tuple[Any, str]:
    """The pyarrow filesystem for ``url`` and the path within it (S3 honours ``AWS_ENDPOINT_URL``)."""
    import pyarrow.fs as pafs

    scheme, _, rest = url.partition("://")
    if scheme in ("s3", "s3a"):
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        options: dict[str, Any] = {}
        if endpoint:
            endpoint_scheme, _, host = endpoint.partition("://")
            options = {"endpoint_override": host or endpoint, "scheme": endpoint_scheme if host else "https"}
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if region:
            options["region"] = region
        return pafs.S3FileSystem(**options), rest
    fs, path = pafs.FileSystem.from_uri(url)
    return fs, path


def storage_options(url: str) -> dict[str, str] | None:
    """polars' ``storage_options`` for ``url``: the endpoint (and plain HTTP for a local test server)."""
    if not url.startswith(("s3://", "s3a://")):
        return None
    options: dict[str, str] = {}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        options["aws_endpoint_url"] = endpoint
        if endpoint.startswith("http://"):
            options["aws_allow_http"] = "true"
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        options["aws_region"] = region
    return options or None


def snapshot_root() -> Folder:
    """The snapshot root in force (``IMPACT_SNAPSHOT_ROOT``, default ``data/snapshots``; may be a URL)."""
    return as_folder(SNAPSHOT_ROOT.get())


def snapshot_folders(root: Folder) -> list[Folder]:
    """Dated snapshot folders under ``root``, newest first (hidden and temporary folders are ignored)."""
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if p.is_dir() and _DATED.match(p.name)), reverse=True)


def manifest_digest(folder: Folder) -> str:
    """The SHA-256 of the manifest file's bytes (first 16 hex digits): changes whenever any file's checksum does."""
    return hashlib.sha256((folder / MANIFEST_NAME).read_bytes()).hexdigest()[:DIGEST_LENGTH]


def file_stamp(path: Folder) -> tuple[int, int]:
    """A file's (size in bytes, modification time in nanoseconds): a cheap "has it changed?" without reading it.

    Object storage reports the object's size and last-modified time (0 when the store gives none).
    """
    if isinstance(path, ObjectPath):
        fs, inner = path.filesystem
        info = fs.get_file_info(inner)
        if info.size is None:
            raise FileNotFoundError(str(path))
        return int(info.size), int(info.mtime_ns or 0)
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def cache_folder(state_dir: Path, snapshot_id: str) -> Path:
    """Where one snapshot's derived files live: ``<state dir>/cache/<snapshot id>/``."""
    return state_dir / "cache" / snapshot_id
