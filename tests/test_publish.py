"""Publishing snapshots: every broken rule refused by name, atomic placement, no overwrite, kills and readers.

``BROKEN`` holds one broken snapshot per rule of the contract; ``test_resilience`` reuses it to check that
the dashboard keeps serving the previous snapshot.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from builders import child, make_snapshot, school, sessions, write_table

from data_access import cli
from data_access.contract import TABLE_FILES, arrow_schema
from data_access.manifest import sha256_of, write_manifest
from data_access.publish import (
    FILE_MODE,
    FOLDER_MODE,
    INCOMING_PREFIX,
    AlreadyPublished,
    PublishRefused,
    publish_snapshot,
)
from data_access.snapshots import forget_cached, snapshot_folders, snapshot_state
from data_access.validate import validate_snapshot

ROOT = Path(__file__).resolve().parent.parent
OLD_DATE = "2026-11-20"
NEW_DATE = "2026-12-18"


def board_rows(n_children: int = 12) -> dict[str, list[dict[str, Any]]]:
    """A small valid snapshot: two schools, ``n_children`` children with attendance, a referral and so on."""
    children = [child(f"C{i:03d}", school_id="S01" if i % 2 else "S02") for i in range(n_children)]
    attendance: list[dict[str, Any]] = []
    for i in range(n_children):
        attendance += sessions(f"C{i:03d}", date(2025, 9, 1), ["/", "/", "N" if i % 3 == 0 else "/", "L"])
    return {
        "schools": [school("S01"), school("S02", phase="secondary", township="Atherton")],
        "children": children,
        "attendance": attendance,
        "referrals": [
            {"referral_id": f"R{i}", "child_id": f"C{i:03d}", "referral_date": date(2025, 10, 6),
             "service": "camhs", "reason": "mental_health"}
            for i in range(3)
        ],
        "suspensions": [
            {"event_id": "E1", "child_id": "C001", "start_date": date(2025, 11, 3), "kind": "suspension",
             "sessions": 2}
        ],
        "assessments": [
            {"child_id": "C001", "assessment_date": date(2025, 9, 10), "wave": "baseline",
             "measure": "sdq_total", "score": 20.0},
            {"child_id": "C001", "assessment_date": date(2026, 3, 10), "wave": "review",
             "measure": "sdq_total", "score": 14.0},
        ],
    }  # fmt: skip


def good_snapshot(root: Path, snapshot_date: str = OLD_DATE, n_children: int = 12) -> Path:
    """A valid snapshot folder ``root/snapshot_date``."""
    return make_snapshot(root, snapshot_date, **board_rows(n_children))


def _loose(table: str, **types: pa.DataType) -> pa.Schema:
    return pa.schema(
        [pa.field(f.name, types.get(f.name, f.type), nullable=True) for f in arrow_schema(table)]
    )


def _rewrite(folder: Path, table: str, rows: list[dict[str, Any]], schema: pa.Schema | None = None) -> None:
    """Replace one table and rewrite the manifest, so only the table's content is wrong."""
    write_table(folder, table, rows, schema or _loose(table))
    write_manifest(folder, folder.name)


def _edit_manifest_file(folder: Path, name: str, **changes: Any) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["files"][name].update(changes)
    path.write_text(json.dumps(manifest))


def _missing_column(folder: Path) -> None:
    schema = _loose("children")
    schema = schema.remove(schema.get_field_index("sex"))
    rows = [{k: v for k, v in row.items() if k != "sex"} for row in board_rows()["children"]]
    _rewrite(folder, "children", rows, schema)


def _wrong_type(folder: Path) -> None:
    _rewrite(folder, "children", board_rows()["children"], _loose("children", year_group=pa.int64()))


def _unknown_code(folder: Path) -> None:
    rows = board_rows()["attendance"]
    rows[3] = {**rows[3], "code": "ZZ"}
    _rewrite(folder, "attendance", rows)


def _duplicate_key(folder: Path) -> None:
    rows = board_rows()["referrals"]
    _rewrite(folder, "referrals", [*rows, rows[0]])


def _orphan_reference(folder: Path) -> None:
    rows = board_rows()["suspensions"]
    _rewrite(folder, "suspensions", [{**rows[0], "child_id": "NOBODY"}])


def _out_of_range(folder: Path) -> None:
    rows = board_rows()["assessments"]
    rows[1] = {**rows[1], "score": 41.0}
    _rewrite(folder, "assessments", rows)


def _checksum_mismatch(folder: Path) -> None:
    _edit_manifest_file(folder, "children.parquet", sha256="0" * 64)


def _truncated_file(folder: Path) -> None:
    path = folder / "attendance.parquet"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _edit_manifest_file(folder, "attendance.parquet", sha256=sha256_of(path))  # only the cut is wrong


def _missing_file(folder: Path) -> None:
    (folder / "referrals.parquet").unlink()


def _missing_manifest(folder: Path) -> None:
    (folder / "manifest.json").unlink()


@dataclass(frozen=True)
class Broken:
    """One way to break a snapshot and the problem the validator must name."""

    break_it: Callable[[Path], None]
    rule: str
    file: str
    column: str | None


BROKEN: dict[str, Broken] = {
    "missing column": Broken(_missing_column, "missing-column", "children.parquet", "sex"),
    "wrong type": Broken(_wrong_type, "wrong-type", "children.parquet", "year_group"),
    "unknown code": Broken(_unknown_code, "unknown-value", "attendance.parquet", "code"),
    "duplicate key": Broken(_duplicate_key, "duplicate-key", "referrals.parquet", "referral_id"),
    "orphan reference": Broken(_orphan_reference, "orphan-reference", "suspensions.parquet", "child_id"),
    "out-of-range value": Broken(_out_of_range, "out-of-range", "assessments.parquet", "score"),
    "checksum mismatch": Broken(_checksum_mismatch, "checksum", "children.parquet", None),
    "truncated file": Broken(_truncated_file, "unreadable", "attendance.parquet", None),
    "missing file": Broken(_missing_file, "file-missing", "referrals.parquet", None),
    "missing manifest": Broken(_missing_manifest, "manifest-missing", "manifest.json", None),
}


def broken_snapshot(root: Path, case: str, snapshot_date: str = NEW_DATE) -> Path:
    """A snapshot folder ``root/snapshot_date`` broken in the way ``case`` names."""
    folder = good_snapshot(root, snapshot_date)
    BROKEN[case].break_it(folder)
    return folder


def names_the_problem(text: str, broken: Broken) -> bool:
    """True when a refusal message names the rule, the file and (when there is one) the column."""
    where = broken.file if broken.column is None else f"{broken.file}, column {broken.column}"
    return f"[{broken.rule}] {where}" in text


def make_writable(path: Path) -> None:
    """Undo the read-only modes of published folders so tmp_path can be cleaned up by any user."""
    for folder, _, files in os.walk(path):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(Path(folder) / name, 0o644)


@pytest.fixture
def tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("IMPACT_STATE_DIR", str(tmp_path / "state"))
    forget_cached()
    yield tmp_path
    make_writable(tmp_path)
    forget_cached()


def run_cli(*argv: str | Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# --- one broken snapshot per rule -------------------------------------------------------------------


@pytest.mark.parametrize("case", list(BROKEN))
def test_validate_and_publish_refuse_each_broken_rule_by_name(
    tmp: Path, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp / "root"
    good_snapshot(root)
    source = broken_snapshot(tmp / "incoming", case)
    broken = BROKEN[case]

    result = validate_snapshot(source)
    assert any(
        (p.rule, p.file, p.column) == (broken.rule, broken.file, broken.column) for p in result.problems
    )

    code, text = run_cli("validate", source, capsys=capsys)
    assert code == 2 and names_the_problem(text, broken), text
    code, text = run_cli("publish", source, "--root", root, capsys=capsys)
    assert code == 2 and names_the_problem(text, broken), text
    assert "refused and not published" in text and "Traceback" not in text
    from dashboard import audit

    refused = audit.read_events(events={"publish_refused"})
    assert len(refused) == 1  # the publish attempt (validate alone is not logged)
    where = f"{broken.rule} {broken.file}" + (f" {broken.column}" if broken.column else "")
    assert where in refused[0]["details"]["rules"]
    assert "C0" not in json.dumps(refused)  # no child ids from the example rows

    assert [f.name for f in snapshot_folders(root)] == [OLD_DATE]
    assert not [p for p in root.iterdir() if p.name.startswith(INCOMING_PREFIX)]
    state = snapshot_state(root)
    assert state.current is not None and state.current.folder.name == OLD_DATE


def test_a_refused_snapshot_placed_in_the_root_by_hand_is_passed_over(tmp: Path) -> None:
    root = tmp / "root"
    good_snapshot(root)
    broken_snapshot(root, "orphan reference")
    state = snapshot_state(root)
    assert state.current is not None and state.current.folder.name == OLD_DATE
    assert [r.folder.name for r in state.refused] == [NEW_DATE]
    assert names_the_problem(state.refused[0].summary, BROKEN["orphan reference"])


# --- a good publish ---------------------------------------------------------------------------------


def test_publish_places_a_whole_read_only_snapshot_and_logs_it(
    tmp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard import audit

    root = tmp / "root"
    good_snapshot(root)
    source = good_snapshot(tmp / "incoming", NEW_DATE)
    monkeypatch.setenv("USER", "publisher")
    code, text = run_cli("publish", source, "--root", root, capsys=capsys)
    assert code == 0, text
    folder = root / NEW_DATE
    assert f"published: {folder}" in text
    assert sorted(p.name for p in folder.iterdir()) == sorted(["manifest.json", *TABLE_FILES.values()])
    assert validate_snapshot(folder).ok
    for path in folder.iterdir():
        assert path.read_bytes() == (source / path.name).read_bytes()
        assert path.stat().st_mode & 0o777 == FILE_MODE
    assert folder.stat().st_mode & 0o777 == FOLDER_MODE
    state = snapshot_state(root)
    assert state.current is not None and state.current.folder == folder
    events = audit.read_events(events={"publish"})
    assert len(events) == 1
    assert events[0]["username"] == "publisher"
    assert events[0]["details"] == {"snapshot": NEW_DATE, "files": 7}


def test_publish_creates_a_missing_root(tmp: Path) -> None:
    source = good_snapshot(tmp / "incoming", NEW_DATE)
    published = publish_snapshot(source, tmp / "new-root")
    assert published.folder == tmp / "new-root" / NEW_DATE and validate_snapshot(published.folder).ok


def test_only_the_files_the_manifest_lists_are_published(tmp: Path) -> None:
    source = good_snapshot(tmp / "incoming", NEW_DATE)
    (source / "notes.txt").write_text("working notes, not part of the snapshot")
    published = publish_snapshot(source, tmp / "root")
    assert not (published.folder / "notes.txt").exists()


def test_publish_never_overwrites_a_published_snapshot(tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp / "root"
    first = good_snapshot(tmp / "first", NEW_DATE, n_children=12)
    second = good_snapshot(tmp / "second", NEW_DATE, n_children=14)
    publish_snapshot(first, root)
    before = {p.name: p.read_bytes() for p in (root / NEW_DATE).iterdir()}
    code, text = run_cli("publish", second, "--root", root, capsys=capsys)
    assert code == 2 and "already published" in text and "never overwritten" in text, text
    assert {p.name: p.read_bytes() for p in (root / NEW_DATE).iterdir()} == before
    with pytest.raises(AlreadyPublished):
        publish_snapshot(first, root)  # not even the same snapshot again
    assert not [p for p in root.iterdir() if p.name.startswith(INCOMING_PREFIX)]


def test_an_empty_folder_of_that_date_is_not_replaced_either(tmp: Path) -> None:
    root = tmp / "root"
    (root / NEW_DATE).mkdir(parents=True)
    with pytest.raises(AlreadyPublished):
        publish_snapshot(good_snapshot(tmp / "incoming", NEW_DATE), root)
    assert list((root / NEW_DATE).iterdir()) == []


def test_the_rename_itself_refuses_a_target_that_appeared_after_the_check(tmp: Path) -> None:
    from data_access.publish import _rename_no_replace

    (tmp / "incoming").mkdir()
    (tmp / "target").mkdir()
    with pytest.raises(AlreadyPublished):
        _rename_no_replace(tmp / "incoming", tmp / "target")
    assert (tmp / "incoming").is_dir()


def test_a_source_that_changes_during_the_copy_is_not_published(
    tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import data_access.publish as publish

    source = good_snapshot(tmp / "incoming", NEW_DATE)
    real_copy = publish._copy_file

    def copy_then_tamper(src: Path, dst: Path) -> None:
        real_copy(src, dst)
        if src.name == "children.parquet":
            os.chmod(dst, 0o644)
            dst.write_bytes(dst.read_bytes() + b"tampered")

    monkeypatch.setattr(publish, "_copy_file", copy_then_tamper)
    with pytest.raises(publish.PublishError, match=r"children\.parquet changed"):
        publish_snapshot(source, tmp / "root")
    assert sorted(p.name for p in (tmp / "root").iterdir()) == [".publish.lock"]


def test_refused_publish_output_is_the_validator_report(tmp: Path) -> None:
    source = broken_snapshot(tmp / "incoming", "unknown code")
    with pytest.raises(PublishRefused) as refused:
        publish_snapshot(source, tmp / "root")
    assert refused.value.result.format() == validate_snapshot(source).format()
    assert not (tmp / "root").exists() or snapshot_folders(tmp / "root") == []


# --- killed mid-publish -----------------------------------------------------------------------------


def _publish_process(source: Path, root: Path, pause_at: str | None, state: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "IMPACT_STATE_DIR": str(state), "PYTHONPATH": str(ROOT)}
    env.pop("IMPACT_PUBLISH_PAUSE_AFTER", None)
    if pause_at is not None:
        env["IMPACT_PUBLISH_PAUSE_AFTER"] = pause_at
        env["IMPACT_PUBLISH_PAUSE_SECONDS"] = "60"
    return subprocess.Popen(
        [sys.executable, "-m", "data_access", "publish", str(source), "--root", str(root)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_for_pause(process: subprocess.Popen[str], point: str) -> None:
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if line.strip() == f"PAUSED {point}":
            return
        if not line and process.poll() is not None:
            raise AssertionError(f"publish ended (code {process.returncode}) before pausing at {point}")
    raise AssertionError(f"publish did not pause at {point} within 60 s")


@pytest.mark.parametrize("point", ["1", "4", "6", "copied", "verified", "renamed"])
def test_publish_killed_at_any_point_leaves_no_snapshot_or_a_whole_one(tmp: Path, point: str) -> None:
    root = tmp / "root"
    good_snapshot(root)
    source = good_snapshot(tmp / "incoming", NEW_DATE)
    process = _publish_process(source, root, point, tmp / "state")
    try:
        _wait_for_pause(process, point)
        if point.isdigit():  # mid-copy, the half-made copy is there but hidden
            incoming = [p for p in root.iterdir() if p.name.startswith(INCOMING_PREFIX)]
            assert len(incoming) == 1 and len(list(incoming[0].iterdir())) == int(point)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()

    forget_cached()
    dated = [f.name for f in snapshot_folders(root)]
    state = snapshot_state(root)
    assert state.current is not None and not state.refused
    if point == "renamed":  # the rename happened: the new snapshot is whole
        assert dated == [NEW_DATE, OLD_DATE]
        assert validate_snapshot(root / NEW_DATE).ok
        assert state.current.folder.name == NEW_DATE
    else:
        assert dated == [OLD_DATE]
        assert state.current.folder.name == OLD_DATE

    # The next publish clears what the killed one left behind, and publishes (or refuses to overwrite).
    again = publish_snapshot(source, root) if point != "renamed" else None
    assert not [p for p in root.iterdir() if p.name.startswith(INCOMING_PREFIX)]
    if again is not None:
        assert validate_snapshot(again.folder).ok


def test_a_second_publish_into_the_same_root_waits_its_turn(tmp: Path) -> None:
    from data_access.publish import PublishError

    root = tmp / "root"
    source = good_snapshot(tmp / "incoming", NEW_DATE)
    process = _publish_process(source, root, "2", tmp / "state")
    try:
        _wait_for_pause(process, "2")
        other = good_snapshot(tmp / "other", "2027-01-08")
        with pytest.raises(PublishError, match="another publish"):
            publish_snapshot(other, root)
        # the running publish's hidden copy was not taken for a stale one
        assert len([p for p in root.iterdir() if p.name.startswith(INCOMING_PREFIX)]) == 1
    finally:
        process.kill()
        process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


# --- readers during a publish ----------------------------------------------------------------------


def test_readers_during_a_publish_see_the_old_or_the_new_snapshot_never_a_mix(tmp: Path) -> None:
    root = tmp / "root"
    good_snapshot(root, n_children=12)
    source = good_snapshot(tmp / "incoming", NEW_DATE, n_children=20)
    expected_children = {OLD_DATE: 12, NEW_DATE: 20}
    seen: list[tuple[str, int, bool]] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                forget_cached()  # look afresh every time, as a new server process would
                state = snapshot_state(root)
                assert state.current is not None and not state.refused
                folder = state.current.folder
                seen.append((folder.name, state.current.children.height, validate_snapshot(folder).ok))
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.2)
        process = _publish_process(source, root, None, tmp / "state")
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        deadline = time.monotonic() + 10
        while not any(name == NEW_DATE for name, _, _ in seen) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not failures, failures
    assert {name for name, _, _ in seen} == {OLD_DATE, NEW_DATE}
    for name, children, valid in seen:
        assert valid and children == expected_children[name]


def test_cli_publish_end_to_end_in_a_fresh_process(tmp: Path) -> None:
    source = good_snapshot(tmp / "incoming", NEW_DATE)
    process = _publish_process(source, tmp / "root", None, tmp / "state")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert f"published: {tmp / 'root' / NEW_DATE}" in out
    shutil.copytree(source, tmp / "again")
    process = _publish_process(tmp / "again", tmp / "root", None, tmp / "state")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 2 and "already published" in err and "Traceback" not in err
