"""Plain English on every page: abbreviations spelled out before (or at) their first use, no field names in text
shown to people, no "MH" in the presentation, a glossary on the About page, and the accessibility statement in
GOV.UK's model form.

Each page is opened with AppTest on the 250-child demo snapshot as AllChild staff (who see every page but the
administration ones) and its text is read in the order it is shown.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from apptest_support import open_page

from dashboard.page import ABBREVIATIONS, PAGE_ABBREVIATIONS, page_title
from dashboard.registry import pages_for

# Abbreviation → the words that spell it out (the expansion shown, or enough of it).
SPELLED_OUT = {name: meaning.split(" (")[0] for name, meaning in ABBREVIATIONS.items()}
FIELD_NAME = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")  # snake_case, as in enrolled_date or mental_health


def shown_text(at: Any) -> list[str]:
    """The page's text in the order shown: titles, headings, markdown, captions, notices, metric labels, tabs."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        for child in getattr(node, "children", {}).values():
            kind = type(child).__name__
            if kind in {"Title", "Header", "Subheader", "Markdown", "Caption", "Info", "Warning", "Error",
                        "Success"}:  # fmt: skip
                texts.append(str(child.value))
            elif kind == "Metric":
                texts.append(f"{child.label} {child.value}")
            elif kind in {"Tab", "Expander"}:
                texts.append(str(child.label))
            walk(child)

    walk(at.main)
    return texts


def words(text: str) -> str:
    # Drop markdown emphasis and code marks, and the icon names Streamlit reads from ":material/...:".
    return re.sub(r":material/[a-z_]+:", "", text).replace("**", "").replace("`", "")


@pytest.fixture(scope="module")
def pages_as_shown(demo_root: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Each AllChild page's shown text (opened once per module: every test reads the same pages)."""
    from apptest_support import point_app_at

    monkeypatch = pytest.MonkeyPatch()
    point_app_at(demo_root, tmp_path_factory.mktemp("words-state"), monkeypatch)
    try:
        shown: dict[str, list[str]] = {}
        for spec in pages_for("allchild"):
            at = open_page(spec.key, "allchild", query={"period": "2025-26"})
            assert not at.exception, (spec.key, at.exception)
            shown[spec.key] = [words(t) for t in shown_text(at)]
        return shown
    finally:
        monkeypatch.undo()


def test_every_abbreviation_is_spelled_out_at_or_before_its_first_use(
    pages_as_shown: dict[str, list[str]],
) -> None:
    problems = []
    for page, texts in pages_as_shown.items():
        for name, meaning in SPELLED_OUT.items():
            short = name.split()[0]  # "EHC plan" is also used as "EHC"
            used = [i for i, text in enumerate(texts) if re.search(rf"\b{re.escape(short)}\b", text)]
            if used and not any(meaning in text for text in texts[: used[0] + 1]):
                problems.append(
                    f"{page}: {name} is first used in {texts[used[0]][:80]!r} before it is spelled out"
                )
    assert not problems, "\n".join(problems)


def test_each_page_lists_only_abbreviations_it_spells_out_from_the_one_list() -> None:
    for page, names in PAGE_ABBREVIATIONS.items():
        assert set(names) <= set(ABBREVIATIONS), page


def test_no_field_names_in_text_shown_to_people(pages_as_shown: dict[str, list[str]]) -> None:
    found = {
        page: sorted({m for text in texts for m in FIELD_NAME.findall(text)})
        for page, texts in pages_as_shown.items()
    }
    assert not {page: names for page, names in found.items() if names}, found


def test_the_presentation_never_says_mh(demo_env: Any) -> None:
    at = open_page("presentation", "allchild", query={"period": "2025-26"})
    for screen in range(1, 7):
        at.query_params["screen"] = str(screen)
        at.run()
        assert not at.exception
        texts = shown_text(at)
        tables = [" ".join(map(str, table.value.columns)) for table in at.table]
        assert not [t for t in texts + tables if re.search(r"\bMH\b", t)], screen


def test_the_about_page_has_a_glossary_and_a_gov_uk_model_accessibility_statement(
    pages_as_shown: dict[str, list[str]],
) -> None:
    text = "\n".join(pages_as_shown["about"])
    assert "Glossary" in text
    for name, meaning in ABBREVIATIONS.items():
        assert f"{name}: {meaning}" in text, name
    # The sections of GOV.UK's model accessibility statement.
    for part in (
        "Accessibility statement for the Wigan Impact Dashboard",
        "How accessible this dashboard is",
        "Feedback and contact information",
        "Enforcement procedure",
        "Equality and Human Rights Commission",
        "Equality Advisory and Support Service",
        "Compliance status",
        "partially compliant with the Web Content Accessibility Guidelines",
        "Non-accessible content",
        "Preparation of this accessibility statement",
        "This statement was prepared on",
        "last reviewed on",
        "This dashboard was last tested on",
        "Automated: axe-core",
        "Manual:",
    ):
        assert part in text, part


def test_page_titles_name_the_page() -> None:
    assert page_title("Overview") == "Overview — Wigan Impact Dashboard"
