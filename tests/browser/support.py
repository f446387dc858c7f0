"""What a person does in the browser, shared by the browser tests: wait for the app, sign in, read the page."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from dashboard.auth import COOKIE_NAME, DEMO_PASSWORD

T = TypeVar("T")


IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def wait_for_file(path: Path, condition: Callable[[], T | None], timeout: float, what: str) -> T:
    """The first truthy value of ``condition()``, asked again each time something in ``path``'s folder changes.

    For a fact only the server's files hold (a line in the audit log): watchdog's observer reports each write,
    so this waits for the write itself, never for a fixed time, and a slow machine only makes it wait longer.
    Fails with ``what`` when the condition does not hold within ``timeout`` seconds.
    """
    changed = threading.Event()

    class _Changed(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            changed.set()

    path.parent.mkdir(parents=True, exist_ok=True)
    observer = Observer()
    observer.schedule(_Changed(), str(path.parent))
    observer.start()
    try:
        deadline = time.monotonic() + timeout
        while not (value := condition()):  # asked after the observer started: no write is missed
            if not changed.wait(max(0.0, deadline - time.monotonic())):
                raise AssertionError(f"gave up after {timeout:g} s waiting for {what}")
            changed.clear()
        return value
    finally:
        observer.stop()
        observer.join()


def wait_until_idle(page: Any, settle: float = 0.5, timeout_ms: int = 90_000) -> None:
    """Wait for the app to render and its script run to finish, and to stay finished for ``settle`` seconds.

    Streamlit marks the app root with its script state (``initial``, ``running``, ``notRunning``, ...). A run
    that a click or a reload has asked for may not have started yet, so the app must stay not running for
    ``settle`` seconds in a row: on a slow machine this waits longer, it never gives up early. Callers still
    wait for the element they need (``locator.wait_for``), which is the condition that matters.
    """
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_function(
        """([selector, settleMs]) => {
             const idle = document.querySelector(selector) !== null;
             const now = performance.now();
             if (!idle) { window.__impactIdleSince = undefined; return false; }
             if (window.__impactIdleSince === undefined) { window.__impactIdleSince = now; }
             return now - window.__impactIdleSince >= settleMs;
           }""",
        arg=[IDLE, settle * 1000],
        polling=100,
        timeout=timeout_ms,
    )
    page.evaluate("() => { window.__impactIdleSince = undefined; }")


def dismiss_dialogs(page: Any) -> bool:
    """Close a modal dialog (e.g. Streamlit's "Page not found") if one is open; True when one was."""
    dialog = page.get_by_role("dialog")
    if dialog.count() and dialog.first.is_visible():
        page.keyboard.press("Escape")
        dialog.first.wait_for(state="hidden")
        return True
    return False


def sign_in(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in as a person would, and wait until a new tab or a reload would still be signed in.

    Fills in the login form (the password box found by role and name) and submits it; then waits for the
    signed-in user box (attached: the presentation hides the sidebar), for the old form to go (a long rerun
    keeps it on screen, greyed out), and for the session cookie. The cookie is written by a component after
    the rerun, so a test that opens another address before it is there starts signed out: every browser test
    signs in here, and opening a page right after sign-in is safe.
    """
    dismiss_dialogs(page)
    page.locator(".st-key-login_username input").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.locator(".st-key-login_submit button").click()
    page.locator(".st-key-logout_button button").wait_for(state="attached", timeout=120_000)
    page.locator(".st-key-login_submit").wait_for(state="detached", timeout=120_000)
    page.wait_for_function(
        "name => document.cookie.split('; ').some(c => c.startsWith(name + '='))",
        arg=COOKIE_NAME,
        timeout=120_000,
    )
    wait_until_idle(page)


def shown(page: Any) -> str:
    """What the page shows, for a failure message: its address, whether it holds the session cookie, its text."""
    cookie = any(c["name"] == COOKIE_NAME for c in page.context.cookies())
    text = " ".join(page.inner_text("body").split())[:600]
    return f"the page at {page.url} (session cookie {'held' if cookie else 'absent'}) shows: {text!r}"


def exceptions_on(page: Any) -> int:
    """How many exception boxes the page shows."""
    return int(page.locator('[data-testid="stException"]').count())
