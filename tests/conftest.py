"""Shared pytest set-up: the project root on the path and the tiny-snapshot builders."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "tests"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root holding the default 250-child demo snapshot, generated once per test process."""
    from data_access.demo import write_demo_snapshot

    root = tmp_path_factory.mktemp("demo-root")
    write_demo_snapshot(root)
    return root
