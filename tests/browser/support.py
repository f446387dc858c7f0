"""What a person does in the browser, shared by the browser tests: wait for the app, sign in, read the page."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

DEMO_PASSWORD = "demo-password"
T = TypeVar("T")


IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
POLL_SECONDS = 0.25


def poll_until(condition: Callable[[], T | None], timeout: float, what: str) -> T:
    """The first truthy value of ``condition()``, asked every ``POLL_SECONDS`` until ``timeout`` seconds.

    For conditions the browser cannot wait on itself (a cookie the app sets over its websocket, a line in the
    audit log, a server's health URL): a slow machine makes it wait longer, never fail early. Fails with
    ``what`` when the condition never holds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:g} s waiting for {what}")
        time.sleep(POLL_SECONDS)


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


def sign_in(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    """Fill in the login form (the password box found by role and name), submit, wait for the session cookie."""
    page.locator(".st-key-login_username input").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.locator(".st-key-login_submit button").click()
    page.locator(".st-key-logout_button button").wait_for(state="visible", timeout=90_000)
    poll_until(  # the cookie is set by a component just after sign-in
        lambda: any(c["name"] == "wigan_impact_session" for c in page.context.cookies()),
        30,
        "the session cookie",
    )
    wait_until_idle(page)


def exceptions_on(page: Any) -> int:
    """How many exception boxes the page shows."""
    return int(page.locator('[data-testid="stException"]').count())
