"""The presentation view in headless Chromium at 1280×720: first and last screens, arrow keys, the board pack download.

Starts ``streamlit run app.py`` on a free loopback port against a fresh demo snapshot, signs in as
demo-allchild and saves screenshots to ``artifacts/screenshots/`` (look at them).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.registry import pages_for

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 720}
SCREENS = 6

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: the browser test needs a system Chromium", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A ``streamlit run app.py`` on loopback serving a fresh demo snapshot; yields (base URL, state folder)."""
    missing = [p.path for p in pages_for("allchild") if not (ROOT / p.path).exists()]
    if missing:
        pytest.skip(f"app.py's navigation needs every page file; still missing: {', '.join(missing)}")
    work = tmp_path_factory.mktemp("presentation-browser")
    subprocess.run([sys.executable, "-m", "data_access", "demo", str(work / "snapshots")], cwd=ROOT, check=True,
                   capture_output=True)  # fmt: skip
    port = _free_port()
    env = {**os.environ, "IMPACT_SNAPSHOT_ROOT": str(work / "snapshots"), "IMPACT_STATE_DIR": str(work / "state"),
           "IMPACT_CREDENTIALS_FILE": str(work / "no-credentials.yaml")}  # fmt: skip
    env.pop("IMPACT_ENV", None)
    log = (work / "streamlit.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1", "--server.port",
         str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "streamlit did not start:\n" + (work / "streamlit.log").read_text(errors="replace")
                )
            time.sleep(0.5)
        yield base, work / "state"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_idle(page: object) -> None:
    """Wait until Streamlit has finished the current run (no running indicator) and painted."""
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=60_000,
    )
    page.wait_for_timeout(800)


def test_presentation_first_and_last_screens_at_1280x720(server: tuple[str, Path]) -> None:
    base, state = server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)
            page.goto(f"{base}/presentation?period=2025-26", wait_until="domcontentloaded")
            page.get_by_role("textbox", name="Username").fill("demo-allchild")
            page.get_by_role("textbox", name="Password").fill("demo-password")
            page.get_by_role("button", name="Sign in").click()
            page.get_by_text("Screen 1 of 6").wait_for(timeout=60_000)
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
                assert f"screen={screen}" in page.url
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
            assert "period=2025-26" in page.url

            with page.expect_download(timeout=120_000) as download_info:
                page.get_by_role("button", name="Board pack (PDF)").click()
            pdf = Path(download_info.value.path()).read_bytes()
            assert pdf[:5] == b"%PDF-"
            assert download_info.value.suggested_filename.startswith("board-pack_2025-08-01_to_2026-07-31")
        finally:
            browser.close()
    deadline = time.monotonic() + 20
    events: list[dict[str, object]] = []
    while time.monotonic() < deadline and not events:
        log = state / "audit.jsonl"
        lines = log.read_text().splitlines() if log.exists() else []
        events = [e for e in map(json.loads, lines) if e["event"] == "export"]
        time.sleep(0.5)
    assert (
        events and events[-1]["details"]["kind"] == "board_pack" and events[-1]["username"] == "demo-allchild"
    )
