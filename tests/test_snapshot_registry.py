"""The registry of snapshots: validation markers a new process trusts without re-reading files, one manifest
digest, and the dashboard's mapping of failures (only a snapshot that changed while served is "unreadable")."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import child, make_snapshot, school

import data_access.validate as validate_module
from dashboard.data import cached, clear_figures
from data_access import snapshots
from data_access.snapshots import SnapshotError, forget_cached, open_snapshot, snapshot_state
from data_access.storage import manifest_digest


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("IMPACT_STATE_DIR", str(tmp_path / "state"))
    forget_cached()
    clear_figures()
    yield make_snapshot(tmp_path / "root", schools=[school("S01")], children=[child("A")])
    forget_cached()
    clear_figures()


def _refuse_to_validate(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Make the full validator record its calls (and still run), so a test sees whether it ran."""
    calls: list[Path] = []
    real = validate_module.validate_snapshot

    def recording(path: Path | str) -> validate_module.ValidationResult:
        calls.append(Path(path))
        return real(path)

    monkeypatch.setattr(validate_module, "validate_snapshot", recording)
    return calls


def test_a_new_process_trusts_the_marker_without_reading_the_files(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _refuse_to_validate(monkeypatch)
    first = open_snapshot(folder)
    assert calls == [folder]  # validated once, marker written
    forget_cached()  # as a new process: nothing in memory
    monkeypatch.setattr("data_access.manifest.sha256_of", lambda path: pytest.fail(f"re-hashed {path}"))
    second = open_snapshot(folder)
    assert calls == [folder]  # the marker stood in: no validation, no hashing
    assert second.id == first.id == f"2026-11-20-{manifest_digest(folder)}"


def test_a_file_changed_since_validation_is_validated_again(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _refuse_to_validate(monkeypatch)
    open_snapshot(folder)
    forget_cached()
    stat = (folder / "children.parquet").stat()
    os.utime(folder / "children.parquet", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    open_snapshot(folder)
    assert calls == [folder, folder]


def test_the_state_carries_every_refusal_with_structured_findings(tmp_path: Path) -> None:
    root = tmp_path / "root"
    make_snapshot(root, "2026-11-20", children=[child("A")])
    old = make_snapshot(root, "2026-10-20", children=[child("A")])
    (old / "schools.parquet").unlink()  # an older refused folder: not in the banner, but listed
    forget_cached()
    state = snapshot_state(root)
    assert state.current is not None and state.refused == ()
    [refusal] = state.every_refusal
    assert refusal.folder.name == "2026-10-20"
    assert refusal.problems and refusal.rules_text == f"{len(refusal.problems)} broken rule" + (
        "s" if len(refusal.problems) != 1 else ""
    )
    forget_cached()


def _figure_that_fails(snapshot: snapshots.Snapshot, role: str) -> int:
    raise KeyError("a bug in a figure")


def test_a_bug_in_a_figure_stays_a_bug_and_the_snapshot_stays_served(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    snapshot = open_snapshot(folder)
    with caplog.at_level(logging.ERROR, logger="dashboard.data"), pytest.raises(KeyError):
        cached(_figure_that_fails, snapshot, "admin")
    assert "_figure_that_fails failed" in caplog.text
    assert snapshot.unchanged()


def test_a_figure_failing_on_a_changed_snapshot_is_a_snapshot_error(folder: Path) -> None:
    snapshot = open_snapshot(folder)
    (folder / "children.parquet").unlink()
    assert not snapshot.unchanged()
    with pytest.raises(SnapshotError, match="could not be read"):
        cached(_figure_that_fails, snapshot, "admin")
