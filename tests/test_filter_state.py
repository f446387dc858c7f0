"""Filters live in the URL: setting them writes the query string, a link restores them, junk gets a notice."""

from __future__ import annotations

import re
from typing import Any

from apptest_support import open_page


def query_values(at: Any, key: str) -> list[str]:
    """The values of ``key`` in the page's query string (AppTest gives one value as a plain string)."""
    value = at.query_params.get(key)
    return [] if value is None else value if isinstance(value, list) else [value]


def test_setting_filters_writes_the_query_string(demo_env: object) -> None:
    at = open_page("attendance", "allchild", {"period": "2025-26"})
    assert not at.exception
    at.multiselect(key="f_school").set_value(["S02", "S04"]).run()
    at.selectbox(key="f_fsm").set_value("yes").run()
    at.multiselect(key="f_year").set_value([9]).run()
    assert not at.exception
    assert query_values(at, "period") == ["2025-26"]
    assert query_values(at, "school") == ["S02", "S04"]
    assert query_values(at, "fsm") == ["yes"]
    assert query_values(at, "year") == ["9"]


def test_a_link_restores_the_filters_on_any_page(demo_env: object) -> None:
    query = {"period": "2025-26-spring", "school": ["S03"], "sex": ["female"], "sen": ["sen_support"]}
    for page in ("overview", "referrals"):
        at = open_page(page, "admin", query)
        assert not at.exception
        assert at.selectbox(key="f_period").value == "2025-26-spring"
        assert at.multiselect(key="f_school").value == ["S03"]
        assert at.multiselect(key="f_sex").value == ["female"]
        assert at.multiselect(key="f_sen").value == ["sen_support"]
        assert not at.warning, [w.value for w in at.warning]
        assert any("Spring term 2025/26" in c.value for c in at.caption)


def test_junk_in_the_link_is_dropped_with_a_visible_notice_never_an_error(demo_env: object) -> None:
    query = {"period": "1999-00-winter", "school": ["S01", "<script>"], "year": ["14", "x"], "fsm": "maybe"}
    at = open_page("overview", "councillor", query)
    assert not at.exception
    # The notices are Markdown source with link text escaped (dashboard.text.plain): read them as displayed.
    notices = re.sub(r"\\(.)", r"\1", " ".join(w.value for w in at.warning))
    for junk in ("1999-00-winter", "<script>", "14", "'x'", "maybe"):
        assert junk in notices, (junk, notices)
    assert query_values(at, "school") == ["S01"]
    assert "year" not in at.query_params and "fsm" not in at.query_params
    assert at.selectbox(key="f_scope").value == "school:S01"


def test_protected_roles_choose_only_what_rule_6_allows(demo_env: object) -> None:
    """Contract section 6, rule 6: years and terms; all schools, one township or one school; at most one
    characteristic value. The sidebar offers only those and says why in one line."""
    at = open_page("attendance", "commissioner", {"period": "2025-26"})
    assert not at.exception
    periods = at.selectbox(key="f_period").options
    assert "custom" not in periods and all("half" not in p.lower() for p in periods)
    assert any("cannot be worked out by comparing views" in c.value for c in at.sidebar.caption)
    scopes = at.selectbox(key="f_scope").options
    assert "All schools" in scopes and any("Atherton (township" in o for o in scopes)
    at.selectbox(key="f_scope").set_value("town:Atherton").run()
    at.selectbox(key="f_char").set_value("fsm:yes").run()
    assert not at.exception
    assert query_values(at, "school") == ["S03", "S04"]
    assert query_values(at, "fsm") == ["yes"]
    assert "year" not in at.query_params
    for widget in ("f_school", "f_year", "f_sex", "f_sen", "f_custom"):
        assert widget not in [w.key for w in at.sidebar.multiselect] + [w.key for w in at.sidebar.date_input]


def test_a_protected_link_asking_for_more_is_refused_with_a_notice(demo_env: object) -> None:
    query = {"period": "2025-09-03..2025-12-17", "school": ["S01", "S05"], "sex": ["female"], "sen": ["ehcp"]}
    at = open_page("overview", "councillor", query)
    assert not at.exception
    notices = " ".join(w.value for w in at.warning)
    assert "not offered for your role" in notices
    assert "not one school, one township or all schools" in notices
    assert "more than one characteristic" in notices
    assert query_values(at, "period") == ["2026-27"] and "school" not in at.query_params
    assert "sex" not in at.query_params and "sen" not in at.query_params
    # one school and one value are allowed as they are
    at = open_page(
        "overview", "councillor", {"period": "2025-26-spring", "school": ["S03"], "sex": ["female"]}
    )
    assert not at.warning, [w.value for w in at.warning]
    assert (
        at.selectbox(key="f_scope").value == "school:S03" and at.selectbox(key="f_char").value == "sex:female"
    )


def test_a_custom_range_round_trips_through_the_link(demo_env: object) -> None:
    at = open_page("overview", "allchild", {"period": "2025-09-03..2025-12-17"})
    assert not at.exception
    assert at.selectbox(key="f_period").value == "custom"
    assert query_values(at, "period") == ["2025-09-03..2025-12-17"]


def test_protected_roles_choose_as_at_dates_only_at_month_ends(demo_env: object) -> None:
    from datetime import date, timedelta

    at = open_page("enrolment", "councillor", {"period": "2026-27"})
    assert not at.exception
    box = at.selectbox(key="enrolment_as_at_month_end")
    assert box.value == date(2026, 10, 31)  # the last month end before the snapshot date (20 Nov 2026)
    assert box.options[:3] == ["31 Oct 2026", "30 Sep 2026", "31 Aug 2026"]  # month ends only, newest first
    assert (box.value + timedelta(days=1)).day == 1
    assert "enrolment_as_at" not in [w.key for w in at.date_input]
    assert not open_page("enrolment", "allchild", {"period": "2026-27"}).exception
