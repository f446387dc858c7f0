"""The dashboard keeps serving: a refused newest snapshot, and a snapshot that breaks while it is served.

Pages are driven with AppTest as signed-in people. The site runs in real (not demo) mode with a credentials
file holding one ``board-<role>`` account per role, so sign-in does not depend on which snapshot is newest
(demo mode follows the newest folder, and a broken one may not say it is the demo).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest
import yaml
from apptest_support import page_path, sign_in
from keys_support import STRONG_COOKIE_KEY, STRONG_SDC_KEY
from streamlit.testing.v1 import AppTest
from test_publish import BROKEN, NEW_DATE, OLD_DATE, broken_snapshot, good_snapshot, names_the_problem

import dashboard.auth as auth
from dashboard.data import clear_figures, refresh_state
from data_access.snapshots import forget_cached, snapshot_state

ROLES = ("councillor", "commissioner", "allchild", "admin")
PASSWORD = "board-password"
OLD_AS_OF = "20 Nov 2026"
NEW_AS_OF = "18 Dec 2026"


def _forget() -> None:
    refresh_state()
    clear_figures()
    forget_cached()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A snapshot root holding one good snapshot, and accounts ``demo-<role>`` in a credentials file."""
    root = tmp_path / "snapshots"
    good_snapshot(root)
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    users = {
        f"board-{role}": {"name": f"Board {role}", "password": password_hash, "roles": [role]}
        for role in ROLES
    }
    credentials = tmp_path / "credentials.yaml"
    credentials.write_text(yaml.safe_dump({"credentials": {"usernames": users}}), encoding="utf-8")
    monkeypatch.setenv("IMPACT_SNAPSHOT_ROOT", str(root))
    monkeypatch.setenv("IMPACT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("IMPACT_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("IMPACT_COOKIE_KEY", STRONG_COOKIE_KEY)
    monkeypatch.setenv("IMPACT_SDC_KEY", STRONG_SDC_KEY)
    monkeypatch.setenv("IMPACT_ENV", "production")
    _forget()
    yield root
    _forget()
    auth._store_for.cache_clear()


def open_page(page: str, role: str, query: dict[str, str] | None = None) -> AppTest:
    """Open ``page`` directly (as a deep link would) and sign in as ``board-<role>``."""
    at = AppTest.from_file(page_path(page), default_timeout=120)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    return sign_in(at, f"board-{role}", PASSWORD)


def captions(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.caption)


def refusal_banners(at: AppTest) -> list[str]:
    return [e.label for e in at.expander if "was refused" in e.label]


def shows_no_exception(at: AppTest) -> bool:
    return not at.exception


# --- a refused newest snapshot -----------------------------------------------------------------------


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_refused_newest_snapshot_leaves_the_last_good_one_served(site: Path, case: str) -> None:
    broken_snapshot(site, case)
    state = snapshot_state(site)
    assert state.current is not None and state.current.folder.name == OLD_DATE
    assert [r.folder.name for r in state.refused] == [NEW_DATE]

    at = open_page("overview", "allchild")
    assert shows_no_exception(at), at.exception
    assert f"Data as of **{OLD_AS_OF}**" in captions(at)
    assert refusal_banners(at) == [f":warning: Snapshot {NEW_DATE} was refused and is not shown"]
    assert any(names_the_problem(str(code.value), BROKEN[case]) for code in at.code)


@pytest.mark.parametrize("role", ["councillor", "commissioner", "admin"])
def test_only_leadership_sees_the_refusal_banner(site: Path, role: str) -> None:
    broken_snapshot(site, "orphan reference")
    at = open_page("overview", role)
    assert shows_no_exception(at), at.exception
    assert f"Data as of **{OLD_AS_OF}**" in captions(at)
    assert bool(refusal_banners(at)) == (role == "admin")
    if role != "admin":
        assert "orphan" not in "\n".join(str(c.value) for c in at.code)


def test_a_good_newer_snapshot_is_served_once_published(site: Path) -> None:
    from data_access.publish import publish_snapshot

    at = open_page("overview", "councillor")
    assert f"Data as of **{OLD_AS_OF}**" in captions(at)
    source = good_snapshot(site.parent / "incoming", NEW_DATE)
    publish_snapshot(source, site)
    refresh_state()  # the server re-reads the root every 30 seconds; the test does not wait
    at.run()
    assert shows_no_exception(at), at.exception
    assert f"Data as of **{NEW_AS_OF}**" in captions(at)


# --- a snapshot that breaks while it is served -------------------------------------------------------


def _corrupt(path: Path) -> None:
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[4 : len(data) - 8] = b"\xff" * (len(data) - 12)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage", ["delete attendance", "corrupt attendance", "corrupt children", "delete folder"]
)
def test_a_snapshot_that_breaks_while_served_gives_a_clear_message(site: Path, damage: str) -> None:
    import shutil

    at = open_page("overview", "allchild")
    assert shows_no_exception(at), at.exception
    folder = site / OLD_DATE
    # A new session on a server that has loaded the snapshot but not yet every figure of it.
    clear_figures()
    forget_cached()
    snapshot_state(site)  # loaded and validated, as the running server had it
    refresh_state()
    from dashboard.data import current_state

    current_state(site)
    if damage == "delete attendance":
        (folder / "attendance.parquet").unlink()
    elif damage == "corrupt attendance":
        _corrupt(folder / "attendance.parquet")
    elif damage == "corrupt children":
        _corrupt(folder / "children.parquet")
    else:
        shutil.rmtree(folder)

    at = open_page("overview", "allchild")
    assert shows_no_exception(at), at.exception
    errors = "\n".join(str(e.value) for e in at.error)
    assert "could not be read" in errors, errors


def test_a_figure_that_fails_while_served_gives_a_clear_message(site: Path) -> None:
    clear_figures()
    forget_cached()
    state = snapshot_state(site)
    assert state.current is not None
    assert (
        state.current.schools.height and state.current.first_day
    )  # the page frame is loaded, figures are not
    _corrupt(site / OLD_DATE / "assessments.parquet")
    at = open_page("overview", "allchild")
    assert shows_no_exception(at), at.exception
    errors = "\n".join(str(e.value) for e in at.error)
    assert f"The snapshot of {OLD_AS_OF} could not be read" in errors, errors


def test_after_the_served_snapshot_breaks_the_last_good_one_is_served_again(site: Path) -> None:
    newer = good_snapshot(site, NEW_DATE)
    at = open_page("overview", "allchild")
    assert f"Data as of **{NEW_AS_OF}**" in captions(at)
    clear_figures()
    forget_cached()
    snapshot_state(site)  # validated and opened by the server, its attendance not yet aggregated
    refresh_state()
    (newer / "attendance.parquet").unlink()

    at = open_page("overview", "allchild")
    assert shows_no_exception(at), at.exception
    assert "could not be read" in "\n".join(str(e.value) for e in at.error)
    at.run()  # the reload the message asks for
    assert shows_no_exception(at), at.exception
    assert not at.error
    assert f"Data as of **{OLD_AS_OF}**" in captions(at)
    assert refusal_banners(at) == [f":warning: Snapshot {NEW_DATE} was refused and is not shown"]
    assert any("[file-missing] attendance.parquet" in str(c.value) for c in at.code)
