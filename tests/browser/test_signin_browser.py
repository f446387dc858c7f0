"""Sign-in in a real browser: deep links to a fresh server, every demo account, and a replayed cookie after logout.

Runs headless Chromium against ``streamlit run app.py`` on loopback serving a fresh demo snapshot (see
``conftest.py``). Screenshots go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import dismiss_dialogs, sign_in, wait_until_idle

from dashboard.auth import COOKIE_NAME, DEMO_ACCOUNTS
from dashboard.registry import PAGES, pages_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PlaywrightTimeoutError = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed"
).TimeoutError
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
Server = Any  # tests/browser/conftest.py's Server (conftest modules are not imported by name)

# Anything that would show a figure: metrics, tables, charts, downloads.
FIGURES = ", ".join(
    f'[data-testid="{test_id}"]'
    for test_id in ("stMetric", "stDataFrame", "stTable", "stVegaLiteChart", "stArrowVegaLiteChart",
                    "stDownloadButton", "stPlotlyChart", "stImage")
)  # fmt: skip


def screenshot(page: Any, name: str) -> None:
    """Save a full-page screenshot under ``artifacts/screenshots/`` (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def login_form_shown(page: Any, timeout: float = 60) -> bool:
    """True once the username box, the password box and the sign-in button are on screen (waits for each).

    Playwright's locators look again after the page's own reloads and reruns (a fresh server may redirect a
    deep link once). False, with a screenshot, when one of them is not there within ``timeout`` seconds.
    """
    try:
        for selector in (".st-key-login_username input", ".st-key-login_password input",
                         ".st-key-login_submit button"):  # fmt: skip
            page.locator(selector).first.wait_for(state="visible", timeout=timeout * 1000)
    except PlaywrightTimeoutError:
        screenshot(page, f"failed-login-form-{page.url.split('?')[0].rsplit('/', 1)[-1] or 'root'}")
        return False
    return True


def session_cookie(context: Any) -> dict[str, Any] | None:
    """The sign-in cookie the browser holds, if any (``sign_in`` waits for it)."""
    return next((dict(c) for c in context.cookies() if c["name"] == COOKIE_NAME), None)


@pytest.mark.parametrize("spec", PAGES, ids=[page.key for page in PAGES])
def test_the_first_request_to_a_fresh_server_deep_linking_a_page_shows_only_the_login_form(
    fresh_server: Server, context: Any, spec: Any
) -> None:
    page = context.new_page()
    page.goto(f"{fresh_server.base_url}/{spec.url_path}")
    wait_until_idle(page, settle=1.5)
    assert login_form_shown(page), fresh_server.log()
    assert page.locator(FIGURES).count() == 0
    assert page.locator(".st-key-logout_button").count() == 0
    assert "Demo data" in page.inner_text("body")
    screenshot(page, f"signin-deep-link-{spec.url_path}")

    # Signing in there opens that page (admin may open every page) — unless Streamlit did not recognise the
    # URL on a fresh server ("Page not found": it then runs the main page, behind the same gate).
    not_found = dismiss_dialogs(page)
    sign_in(page, "demo-admin")
    # A long page run keeps the old (faded) form on screen until it ends: wait for it to go, as a person would.
    page.locator(".st-key-login_username").wait_for(state="detached", timeout=90_000)
    # Any h1 with the title, attached: the presentation view hides its title from view and from roles.
    title = "Overview" if not_found else spec.title
    page.locator("h1").filter(has_text=title).first.wait_for(state="attached", timeout=60_000)
    assert "not available for your role" not in page.inner_text("body")


@pytest.mark.parametrize("username", list(DEMO_ACCOUNTS))
def test_each_demo_account_signs_in_and_sees_only_its_pages(
    app_server: Server, context: Any, username: str
) -> None:
    role = DEMO_ACCOUNTS[username][1]
    page = context.new_page()
    page.goto(app_server.base_url)
    wait_until_idle(page)
    assert login_form_shown(page)
    sign_in(page, username)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert username in sidebar.inner_text() and role in sidebar.inner_text()
    page.get_by_role("heading", name="Overview").first.wait_for(timeout=60_000)
    navigation = page.locator('[data-testid="stSidebarNav"]').inner_text()
    allowed = {spec.title for spec in pages_for(role)}
    for spec in PAGES:
        assert (spec.title in navigation) is (spec.title in allowed), (spec.title, navigation)
    screenshot(page, f"signin-{username}")

    # A role that types the address of a page it may not open never sees it: the navigation sends it to the
    # first page it may open, or the page's own guard says it is not available.
    for spec in [spec for spec in PAGES if role not in spec.roles][:2]:
        page.goto(f"{app_server.base_url}/{spec.url_path}")
        wait_until_idle(page, settle=1.5)
        page.locator(".st-key-logout_button button").wait_for(state="visible", timeout=60_000)
        body = page.inner_text("body")
        if "not available for your role" in body:
            assert page.locator(FIGURES).count() == 0
        else:
            assert not page.url.split("?")[0].endswith(f"/{spec.url_path}"), page.url
            assert page.get_by_role("heading", name=spec.title).count() == 0


def test_a_cookie_replayed_after_logout_stays_signed_out(
    app_server: Server, browser: Any, context: Any
) -> None:
    page = context.new_page()
    page.goto(app_server.base_url)
    wait_until_idle(page)
    sign_in(page, "demo-allchild")
    cookie = session_cookie(context)
    assert cookie is not None, "the sign-in cookie was never set"
    assert cookie["sameSite"] == "Strict"

    # Before logout the cookie works: a reload (a new browser session) is still signed in.
    page.reload()
    wait_until_idle(page, settle=1.5)
    page.locator(".st-key-logout_button button").wait_for(state="visible")
    captured = context.cookies()

    page.locator(".st-key-logout_button button").click()
    page.locator(".st-key-login_username input").wait_for(state="visible")
    wait_until_idle(page)
    assert login_form_shown(page)
    screenshot(page, "signin-after-logout")

    replay_context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        replay_context.add_cookies(captured)
        assert any(c["name"] == COOKIE_NAME for c in replay_context.cookies())
        replay = replay_context.new_page()
        for path in ("", "/overview", "/presentation"):
            replay.goto(f"{app_server.base_url}{path}")
            wait_until_idle(replay, settle=1.5)
            assert login_form_shown(replay), path
            assert replay.locator(".st-key-logout_button").count() == 0
            assert replay.locator(FIGURES).count() == 0
        screenshot(replay, "signin-replayed-cookie")
    finally:
        replay_context.close()
