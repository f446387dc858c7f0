"""Every page in a real browser as a commissioner would use it: visit, filter, reload, download a CSV.

Runs headless Chromium against ``streamlit run app.py`` on loopback (``conftest.py``); saves a screenshot of
each page under ``artifacts/screenshots/``.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from support import exceptions_on, sign_in, wait_until_idle

from dashboard.registry import pages_for
from data_access.report import report_rows
from data_access.snapshots import snapshot_folders
from data_access.uncertainty import interval_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("role", ["commissioner", "allchild"])
def test_every_page_renders_without_error(app_server: Any, context: Any, role: str) -> None:
    page = context.new_page()
    page.goto(app_server.base_url + "/")
    wait_until_idle(page)
    sign_in(page, f"demo-{role}")
    for spec in pages_for(role):
        page.goto(f"{app_server.base_url}/{spec.url_path}")
        wait_until_idle(page, settle=1.0)
        # The presentation view is one full-screen slide at a time and opens on the headline figures.
        landmark = "Headline figures" if spec.key == "presentation" else spec.title
        page.get_by_role("heading", name=landmark).first.wait_for(timeout=90_000)
        assert exceptions_on(page) == 0, f"{spec.title} shows an exception for {role}"
        assert "Page not found" not in page.content()
        shot(page, f"page-{role}-{spec.key}")


def test_filter_goes_into_the_link_survives_a_reload_and_the_csv_matches_report(
    app_server: Any, context: Any, demo_snapshot_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = context.new_page()
    page.goto(app_server.base_url + "/")
    wait_until_idle(page)
    sign_in(page, "demo-commissioner")
    page.goto(f"{app_server.base_url}/overview?period=2025-26")
    wait_until_idle(page, settle=1.0)

    # Choose one school in the sidebar (a commissioner's "Schools" box: all, one township or one school, contract
    # section 6, rule 6): the link must carry it.
    box = page.locator(".st-key-f_scope input")
    box.scroll_into_view_if_needed()
    box.click()
    box.fill("Marshbrook")
    page.get_by_role("option", name=re.compile("^Marshbrook.*fictional")).first.click()
    page.wait_for_url(re.compile(r"[?&]school="), timeout=90_000)
    wait_until_idle(page, settle=1.5)
    query = parse_qs(urlparse(page.url).query)
    assert query.get("period") == ["2025-26"]
    assert query.get("school") and len(query["school"]) == 1
    school = query["school"][0]

    # Reload: the same filter is in force (the header names one school, the link keeps it).
    # Wait for the condition (the school's label back in the filter), not for a guess at how long that takes:
    # on a busy machine the rerun after a reload can finish well after the app first looks idle.
    page.reload()
    wait_until_idle(page, settle=1.5)
    page.wait_for_function(  # the school's name back in the Schools box (a selectbox shows it as its value)
        "(() => { const box = document.querySelector('.st-key-f_scope input');"
        " return !!box && (box.value || box.getAttribute('aria-label') || box.closest('.st-key-f_scope').innerText)"
        ".includes('fictional'); })()",
        timeout=90_000,
    )
    assert parse_qs(urlparse(page.url).query).get("school") == [school]
    shot(page, "filtered-overview-after-reload")

    # Download the board table's CSV: exactly report's figures for the commissioner, c included.
    board = page.locator(".st-key-fig_board")
    board.get_by_role("button", name=re.compile("^CSV")).wait_for(timeout=90_000)
    with page.expect_download() as download_info:
        board.get_by_role("button", name=re.compile("^CSV")).click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    folder = snapshot_folders(demo_snapshot_root)[0]
    from datetime import date

    # report as the server computes (demo mode on demo data: the demo SDC key), with its 95% intervals; the
    # table writes each rate as "88.3 (86.9 to 89.6)".
    monkeypatch.setenv("IMPACT_ENV", "demo")
    monkeypatch.delenv("IMPACT_SDC_KEY", raising=False)
    expected = report_rows(folder, date(2025, 8, 1), date(2026, 7, 31), [school], "commissioner", True)[
        "rows"
    ]
    assert len(rows) == len(expected) == 2
    for shown, wanted in zip(rows, expected, strict=True):
        figures = [v for k, v in shown.items() if k != "School"]
        names = [k for k in wanted if k != "school_id" and not k.endswith(("_low", "_high"))]
        bounds = {k: (wanted[f"{k}_low"], wanted[f"{k}_high"]) for k in names if f"{k}_low" in wanted}
        assert figures == [
            interval_text(wanted[k], bounds[k] if isinstance(bounds.get(k, (None,))[0], float) else None)
            for k in names
        ]
    assert exceptions_on(page) == 0
