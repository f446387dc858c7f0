"""The presentation view in headless Chromium at 1280×720: first and last screens, arrow keys, the board pack download.

Uses conftest.py's ``streamlit run app.py`` on loopback against a fresh demo snapshot, signs in as
demo-allchild and saves screenshots to ``artifacts/screenshots/`` (look at them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import sign_in, wait_for_file, wait_until_idle

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
VIEWPORT = {"width": 1280, "height": 720}
SCREENS = 6

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _wait_idle(page: object) -> None:
    """Wait until Streamlit has finished the current run and stayed idle a moment (a condition, not a sleep)."""
    wait_until_idle(page, settle=0.8, timeout_ms=60_000)


def test_presentation_first_and_last_screens_at_1280x720(app_server: Any, browser: Any) -> None:
    """Uses the shared server and browser of conftest.py (one Playwright per test process)."""
    base, state = app_server.base_url, app_server.state_dir
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(f"{base}/presentation?period=2025-26", wait_until="domcontentloaded")
        sign_in(page, "demo-allchild")
        try:
            page.get_by_text("Screen 1 of 6").wait_for(timeout=60_000)
        except Exception:
            page.screenshot(path=str(SCREENSHOTS / "presentation-failed.png"))
            raise
        page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=60_000)
        _wait_idle(page)
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        assert page.locator('[data-testid="stException"]').count() == 0
        # The headline screen fits the projector's screen without scrolling to the last tile.
        last_tile = page.locator('[data-testid="stMetricValue"]').nth(5).bounding_box()
        assert last_tile is not None and last_tile["y"] + last_tile["height"] <= VIEWPORT["height"]
        page.screenshot(path=str(SCREENSHOTS / "presentation-first.png"))

        # Keyboard: the right arrow steps forward (the buttons' shortcuts); Tab reaches the buttons.
        for screen in range(2, SCREENS + 1):
            page.keyboard.press("ArrowRight")
            page.get_by_text(f"Screen {screen} of {SCREENS}").wait_for(timeout=60_000)
            page.wait_for_url(lambda url, s=screen: f"screen={s}" in url, timeout=60_000)
            if screen == 2:
                page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=60_000)
                _wait_idle(page)
                page.screenshot(path=str(SCREENSHOTS / "presentation-chart.png"))
        _wait_idle(page)
        page.locator('[data-testid="stTable"]').first.wait_for()
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(SCREENSHOTS / "presentation-last.png"))
        total = page.get_by_role("cell", name="All schools shown").bounding_box()
        assert total is not None and total["y"] + total["height"] <= VIEWPORT["height"], "the table fits"

        # A link reopens its screen and keeps the period.
        page.goto(page.url, wait_until="domcontentloaded")
        page.get_by_text(f"Screen {SCREENS} of {SCREENS}").wait_for(timeout=60_000)
        page.wait_for_url(lambda url: "period=2025-26" in url, timeout=60_000)

        with page.expect_download(timeout=120_000) as download_info:
            page.get_by_role("button", name="Board pack (PDF)").click()
        pdf = Path(download_info.value.path()).read_bytes()
        assert pdf[:5] == b"%PDF-"
        assert download_info.value.suggested_filename.startswith("board-pack_2025-08-01_to_2026-07-31")
    finally:
        context.close()

    def exports() -> list[dict[str, Any]]:
        log = state / "audit.jsonl"
        lines = log.read_text().splitlines() if log.exists() else []
        return [e for e in map(json.loads, lines) if e["event"] == "export"]

    events = wait_for_file(state / "audit.jsonl", exports, 60, "the export in the audit log")
    assert (
        events and events[-1]["details"]["kind"] == "board_pack" and events[-1]["username"] == "demo-allchild"
    )
