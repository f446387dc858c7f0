"""Issue 13, finding 3: snapshot and URL text shown as text, never Markdown or HTML; CSV cells neutralised.

Before: a school named with Markdown rendered as a clickable link and a remote image (a tracking beacon) in
the header caption and the presentation table, ``?school=![b](http://…/q.png)`` and ``?period=[Sign in
again](http://x.invalid/p)`` did the same in the notices, and CSV downloads kept ``=HYPERLINK(`` cells.

Every page is opened by an allowed role on a tiny snapshot whose school names are hostile, with hostile query
parameters, and every element that Streamlit renders as Markdown is checked: once the escaped characters are
taken out, no link, image or HTML tag of the payloads is left (the payloads do reach the page, escaped).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import bcrypt
import polars as pl
import pytest
import yaml
from apptest_support import page_path, sign_in
from builders import child, make_snapshot, school, sessions
from keys_support import STRONG_COOKIE_KEY, STRONG_SDC_KEY
from streamlit.testing.v1 import AppTest

import dashboard.auth as auth
from dashboard.components import csv_bytes
from dashboard.data import clear_figures, refresh_state
from dashboard.registry import PAGES
from dashboard.text import csv_safe, plain
from data_access.snapshots import forget_cached

IMAGE_NAME = "Evil ![b](http://tracker.invalid/q.png) Primary"
LINK_NAME = "[Sign in again](http://x.invalid/p) <img src=x onerror=alert(1)> Academy"
HOSTILE_SCHOOL_PARAM = "![b](http://tracker.invalid/q2.png)"
HOSTILE_PERIOD_PARAM = "[Sign in again](http://x.invalid/p2)"
HOSTILE_SNAPSHOT_PARAM = "[a](http://x.invalid/s3)"  # cut to 20 characters in its notice
PASSWORD = "escaping-test-password"
ROLE_FOR = {"admin", "allchild", "commissioner", "councillor"}


@pytest.fixture(scope="module")
def hostile_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two schools with hostile names, twelve children with some attendance, referrals and assessments."""
    root = tmp_path_factory.mktemp("hostile-root")
    children = [
        child(f"C{i:02d}", school_id="S01" if i < 6 else "S02", enrolled_date=date(2025, 9, 1 + i),
              identified_date=date(2025, 8, 20))
        for i in range(12)
    ]  # fmt: skip
    attendance = [
        row for i in range(12) for row in sessions(f"C{i:02d}", date(2025, 9, 15), ["/"] * 20 + ["N"] * i)
    ]
    referrals = [
        {"referral_id": f"R{i}", "child_id": f"C{i:02d}", "referral_date": date(2025, 11, 3),
         "service": "camhs", "reason": "mental_health"} for i in range(6)
    ]  # fmt: skip
    assessments = [
        {"child_id": f"C{i:02d}", "assessment_date": d, "wave": w, "measure": "sdq_total", "score": s}
        for i in range(12)
        for d, w, s in ((date(2025, 9, 20), "baseline", 20.0), (date(2026, 3, 20), "review", 18.0))
    ]  # fmt: skip
    make_snapshot(root, schools=[school("S01", school_name=IMAGE_NAME), school("S02", school_name=LINK_NAME)],
                  children=children, attendance=attendance, referrals=referrals, assessments=assessments)  # fmt: skip
    return root


@pytest.fixture
def site(hostile_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Production mode (hostile names are not demo data): one ``board-<role>`` account per role."""
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    users = {f"board-{role}": {"name": f"Board {role}", "password": password_hash, "roles": [role]}
             for role in ROLE_FOR}  # fmt: skip
    credentials = tmp_path / "credentials.yaml"
    credentials.write_text(yaml.safe_dump({"credentials": {"usernames": users}}), encoding="utf-8")
    monkeypatch.setenv("IMPACT_ENV", "production")
    monkeypatch.setenv("IMPACT_SNAPSHOT_ROOT", str(hostile_root))
    monkeypatch.setenv("IMPACT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("IMPACT_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("IMPACT_COOKIE_KEY", STRONG_COOKIE_KEY)
    monkeypatch.setenv("IMPACT_SDC_KEY", STRONG_SDC_KEY)
    refresh_state()
    clear_figures()
    forget_cached()
    yield hostile_root
    refresh_state()
    clear_figures()
    forget_cached()
    auth._store_for.cache_clear()


def markdown_sources(at: AppTest) -> list[str]:
    """The Markdown source of every element Streamlit renders as Markdown, and every ``st.table`` cell."""
    found: list[str] = []
    for kind in (
        "markdown",
        "caption",
        "warning",
        "error",
        "info",
        "success",
        "title",
        "header",
        "subheader",
    ):
        found += [str(element.value) for element in at.get(kind)]
    found += [str(element.label) for element in at.get("expander")]
    for kind in ("selectbox", "multiselect", "text_input", "button", "checkbox", "radio", "toggle"):
        found += [str(getattr(element, "label", "")) for element in at.get(kind)]
    for table in at.get("table"):
        frame = table.value
        found += [str(value) for column in frame.columns for value in frame[column].tolist()]
    return found


def unescaped(source: str) -> str:
    """The source with every backslash-escaped character (and the word joiner that breaks autolinks) removed."""
    return re.sub(r"\\.", "", source).replace("\u2060", "")


def live_markup(source: str) -> list[str]:
    """Pieces of the hostile payloads that would still render as markup."""
    text = re.sub(r"\\.", "", source)
    problems = [m.group(0) for m in re.finditer(r"\]\(h|<img|<a\s|!\[", text)]
    problems += [m.group(0) for m in re.finditer(r"https?://(tracker|x)\.invalid", text)]
    return problems


def open_as(page: str, role: str, query: dict[str, Any]) -> AppTest:
    at = AppTest.from_file(page_path(page), default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    return sign_in(at, f"board-{role}", PASSWORD)


def allowed_role(spec: Any) -> str:
    for role in ("allchild", "admin", "commissioner", "councillor"):
        if role in spec.roles:
            return role
    raise AssertionError(spec)


@pytest.mark.parametrize("spec", PAGES, ids=[page.key for page in PAGES])
def test_hostile_names_and_query_parameters_render_as_text_on_every_page(site: Path, spec: Any) -> None:
    role = allowed_role(spec)
    runs = [
        open_as(spec.key, role, {"period": "2025-26", "school": ["S01", "S02", HOSTILE_SCHOOL_PARAM]}),
        open_as(spec.key, role, {"period": HOSTILE_PERIOD_PARAM, "snapshot": HOSTILE_SNAPSHOT_PARAM}),
    ]
    everything: list[str] = []
    for at in runs:
        assert not at.exception, [e.value for e in at.exception]
        sources = markdown_sources(at)
        everything += sources
        for source in sources:
            assert not live_markup(source), (spec.key, source)
    shown = "\n".join(unescaped(source) for source in everything)
    if spec.key not in ("users", "audit", "about", "snapshots"):
        # The payloads reached the page (as text): the notices, and the header's school names.
        assert "http://tracker.invalid/q2.png" in shown
        assert "http://x.invalid/p2" in shown
        assert "http://tracker.invalid/q.png" in shown


def test_the_presentation_table_shows_school_names_as_text(site: Path) -> None:
    at = open_as("presentation", "allchild", {"period": "2025-26", "screen": "99"})  # the last: schools
    assert not at.exception
    cells = [str(v) for t in at.get("table") for c in t.value.columns for v in t.value[c].tolist()]
    assert any("tracker.invalid" in cell for cell in cells), cells
    assert not [cell for cell in cells if live_markup(cell)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("![b](http://t.invalid/q.png)", "\\!\\[b\\](h\u2060ttp://t.invalid/q.png)"),
        ("1. not a list", "1\\. not a list"),
        ("- not a bullet", "\\- not a bullet"),
        ("a *b* `c` $d$ <i>", "a \\*b\\* \\`c\\` \\$d\\$ \\<i\\>"),
        ("line one\nline two", "line one line two"),
        ("Spring term 2025/26 (1 Jan 2026 – 5 Apr 2026)", "Spring term 2025/26 (1 Jan 2026 – 5 Apr 2026)"),
        (None, ""),
    ],
)
def test_plain_escapes_markup_and_nothing_else(text: str | None, expected: str) -> None:
    assert plain(text) == expected


def test_csv_cells_that_start_a_formula_are_neutralised_and_numbers_stay_numbers() -> None:
    frame = pl.DataFrame(
        {
            "School": [
                '=HYPERLINK("http://x.invalid","click")',
                "+SUM(1)",
                "-2+3",
                "@cmd",
                "\tx",
                "\rx",
                "Plain",
            ],
            "Shown": ["-3.2", "+4", "c", "12.5%", "-", "=1+1", "1,234"],
            "Children": [-3, 4, 5, 6, 7, 8, 9],
        }
    )
    text = csv_bytes(frame).decode("utf-8-sig")
    back = pl.read_csv(io.StringIO(text), infer_schema=False)
    assert back["School"].to_list() == [
        '\'=HYPERLINK("http://x.invalid","click")',
        "'+SUM(1)",
        "'-2+3",
        "'@cmd",
        "'\tx",
        "'\rx",
        "Plain",
    ]
    assert back["Shown"].to_list() == ["-3.2", "+4", "c", "12.5%", "'-", "'=1+1", "1,234"]
    assert back["Children"].to_list() == ["-3", "4", "5", "6", "7", "8", "9"]  # a numeric column untouched
    assert csv_safe(frame.select("Children")).equals(frame.select("Children"))
