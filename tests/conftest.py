"""Shared pytest set-up: the project root on the path and the tiny-snapshot builders."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "tests"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))


from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

DEMO_SNAPSHOT_DATE = "2026-11-20"


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root holding the default 250-child demo snapshot, generated once per test process."""
    from data_access.demo import write_demo_snapshot

    root = tmp_path_factory.mktemp("demo-root")
    write_demo_snapshot(root)
    return root


@pytest.fixture
def demo_env(demo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The app pointed at the demo snapshot with demo sign-in; yields the opened snapshot."""
    from apptest_support import point_app_at

    from dashboard.data import clear_figures, refresh_state
    from data_access.snapshots import forget_cached, open_snapshot

    point_app_at(demo_root, tmp_path / "state", monkeypatch)
    yield open_snapshot(demo_root / DEMO_SNAPSHOT_DATE)
    refresh_state()
    clear_figures()
    forget_cached()


TEST_SDC_KEY = "test-sdc-key:Qm7rVt2XpL9wKc4HsN8bYd3FjZ6gTa1E"
"""The SDC key of the tests that run in production mode (unset ``IMPACT_ENV``): protected figures need a key
(contract section 6, rule 1) and production refuses to run without one. Tests that check the refusal remove it."""


@pytest.fixture(autouse=True)
def _sdc_key_for_tests(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Give every test a strong SDC key and, unless it sets its own, a private state folder (the key's
    fingerprint is recorded there at first use, never in the worktree's data/state)."""
    import os

    if "IMPACT_SDC_KEY" not in os.environ:
        monkeypatch.setenv("IMPACT_SDC_KEY", TEST_SDC_KEY)
    if "IMPACT_STATE_DIR" not in os.environ:
        monkeypatch.setenv("IMPACT_STATE_DIR", str(tmp_path_factory.mktemp("state")))
