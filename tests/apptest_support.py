"""Drive pages with ``streamlit.testing.v1.AppTest`` as a signed-in person would."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "demo-password"


def page_path(page: str) -> str:
    """Absolute path of a page script by its registry key (``school_progress`` → ``pages/school-progress.py``)."""
    from dashboard.registry import PAGES_BY_KEY

    return str(ROOT / "app.py") if page == "app" else str(ROOT / PAGES_BY_KEY[page].path)


def sign_in(at: AppTest, username: str, password: str = DEMO_PASSWORD) -> AppTest:
    """Fill in the login form and submit it (the form must be on screen)."""
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button(key="login_submit").click().run()
    return at


def open_page(
    page: str,
    role: str | None = "allchild",
    query: Mapping[str, str | Sequence[str]] | None = None,
    timeout: float = 120,
) -> AppTest:
    """Open ``page`` directly (as a deep link would) and sign in as the demo account of ``role``.

    The environment (``IMPACT_SNAPSHOT_ROOT``, ``IMPACT_STATE_DIR``) must already point at the snapshot and
    a temporary state folder; see the ``demo_env`` / ``tiny_env`` fixtures.
    """
    at = AppTest.from_file(page_path(page), default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if role is not None:
        sign_in(at, f"demo-{role}")
    return at


def find_block(node: Any, key: str) -> Any | None:
    """The container (``st.container(key=...)``, tabs ...) with ``key`` anywhere below ``node``."""
    for child in getattr(node, "children", {}).values():
        if getattr(child, "key", None) == key and type(child).__name__ == "Block":
            return child
        found = find_block(child, key)
        if found is not None:
            return found
    return None


def shown_table(at: AppTest, key: str) -> list[dict[str, str]]:
    """The rows of the "Table" tab of the figure block ``key`` (``figure_block(key=...)``), as shown."""
    block = find_block(at.main, f"fig_{key}")
    if block is None:
        raise KeyError(f"no figure block with key {key!r} on the page")
    tabs = find_block(block, f"tabs_{key}")
    table_tab = list(tabs.children.values())[1] if tabs is not None else block
    frame = table_tab.dataframe[0].value
    return [{str(k): str(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def figure_keys(at: AppTest) -> list[str]:
    """Keys of every figure block on the page, in order."""
    keys: list[str] = []

    def walk(node: Any) -> None:
        for child in getattr(node, "children", {}).values():
            key = getattr(child, "key", None)
            if type(child).__name__ == "Block" and isinstance(key, str) and key.startswith("fig_"):
                keys.append(key[4:])
            walk(child)

    walk(at.main)
    return keys


def point_app_at(root: Path, state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Serve ``root`` in demo mode (``IMPACT_ENV=demo``, no credentials file) with its own state, caches cleared."""
    from dashboard.data import clear_figures, refresh_state
    from data_access.snapshots import forget_cached

    monkeypatch.setenv("IMPACT_SNAPSHOT_ROOT", str(root))
    monkeypatch.setenv("IMPACT_STATE_DIR", str(state_dir))
    monkeypatch.setenv("IMPACT_CREDENTIALS_FILE", str(state_dir / "no-credentials.yaml"))
    monkeypatch.setenv("IMPACT_ENV", "demo")
    refresh_state()
    clear_figures()
    forget_cached()
