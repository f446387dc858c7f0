"""What a person does in the browser, shared by the browser tests: wait for the app, sign in, read the page."""

from __future__ import annotations

import time
from typing import Any

DEMO_PASSWORD = "demo-password"


def wait_until_idle(page: Any, settle: float = 0.5, timeout_ms: int = 90_000) -> None:
    """Wait for the app to render and its script run to finish."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_function(
        """() => { const s = document.querySelector('[data-testid="stStatusWidget"]');
                   return !s || !s.textContent.includes('Running'); }""",
        timeout=timeout_ms,
    )
    time.sleep(settle)


def sign_in(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    """Fill in the login form (the password box found by role and name), submit, wait for the session cookie."""
    page.locator(".st-key-login_username input").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.locator(".st-key-login_submit button").click()
    page.locator(".st-key-logout_button button").wait_for(state="visible", timeout=90_000)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the cookie is set by a component just after sign-in
        if any(c["name"] == "wigan_impact_session" for c in page.context.cookies()):
            break
        time.sleep(0.25)
    wait_until_idle(page)


def exceptions_on(page: Any) -> int:
    """How many exception boxes the page shows."""
    return int(page.locator('[data-testid="stException"]').count())
