"""Issue 13, finding 6: the audit log could be edited (a deleted line and a forged admin sign-in showed nothing).

Every line now carries the hash of the line before it; ``python -m dashboard audit verify`` reports the
first broken link and the Audit page warns.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import audit
from data_access.audit_log import GENESIS, line_hash, verify_chain

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IMPACT_STATE_DIR", str(tmp_path))
    for index in range(5):
        audit.record(audit.SIGN_IN, f"user{index}", method="password")
    return tmp_path / "audit.jsonl"


def verify(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IMPACT_STATE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "dashboard", "audit", "verify"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def test_each_line_carries_the_hash_of_the_one_before(log: Path) -> None:
    lines = log.read_bytes().splitlines(keepends=True)
    assert json.loads(lines[0])["prev"] == GENESIS
    for before, line in itertools.pairwise(lines):
        assert json.loads(line)["prev"] == line_hash(before)
    report = verify_chain(log)
    assert report.intact and report.lines == 5 and report.head == line_hash(lines[-1])


def test_verify_passes_an_untouched_log(log: Path) -> None:
    result = verify(log.parent)
    assert result.returncode == 0, result.stderr
    assert "the hash chain holds" in result.stdout


def test_a_deleted_line_is_reported_at_the_line_after_it(log: Path) -> None:
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:2] + lines[3:]))
    report = verify_chain(log)
    assert report.broken_at == 3
    result = verify(log.parent)
    assert result.returncode == 1 and "line 3 of 4" in result.stderr


def test_a_forged_admin_sign_in_is_reported(log: Path) -> None:
    lines = log.read_bytes().splitlines(keepends=True)
    forged = {"timestamp": "2026-12-02T03:00:00+00:00", "event": "sign_in", "username": "ada",
              "details": {"method": "password", "role": "admin"}, "prev": line_hash(lines[1])}  # fmt: skip
    log.write_bytes(b"".join([*lines[:2], (json.dumps(forged) + "\n").encode(), *lines[2:]]))
    assert verify_chain(log).broken_at == 4  # the forged line links up; the one after it does not


def test_an_edited_line_is_reported(log: Path) -> None:
    text = log.read_text(encoding="utf-8").replace('"user1"', '"user9"')
    log.write_text(text, encoding="utf-8")
    assert verify_chain(log).broken_at == 3


def test_lines_from_before_the_chain_are_counted_not_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMPACT_STATE_DIR", str(tmp_path))
    old = {"timestamp": "2026-11-01T00:00:00+00:00", "event": "sign_in", "username": "x", "details": {}}
    (tmp_path / "audit.jsonl").write_text(json.dumps(old) + "\n", encoding="utf-8")
    audit.record(audit.SIGN_OUT, "x")
    report = verify_chain(tmp_path / "audit.jsonl")
    assert report.intact and report.unchained == 1


def test_the_audit_page_warns_when_the_chain_is_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apptest_support import page_path, point_app_at, sign_in
    from streamlit.testing.v1 import AppTest

    from data_access.demo import write_demo_snapshot

    root = tmp_path / "root"
    write_demo_snapshot(root, children=20, seed=1, snapshot_date="2026-11-20")
    point_app_at(root, tmp_path / "state", monkeypatch)
    for index in range(3):
        audit.record("download", f"user{index}", file="x.csv")
    path = tmp_path / "state" / "audit.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(lines[0] + lines[2])

    at = AppTest.from_file(page_path("audit"), default_timeout=120).run()
    at = sign_in(at, "demo-admin")
    assert not at.exception
    assert any("tampered with" in str(error.value) for error in at.error)
