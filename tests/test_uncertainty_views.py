"""95% intervals of the four trend and share views that had none (issue 12): absence by kind by month, each
school's attendance by month, the SDQ band shares and attendance around enrolment, on tiny hand-built
snapshots worked out on paper; for protected roles from the published counts (``tests/cellkey_oracle.py``);
and the charts that draw them (error bars, a band, the interval in the tooltip)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import cellkey_oracle
import polars as pl
import pytest
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema import load_schema
from apptest_support import find_block, open_page
from apptest_support import shown_table as page_table
from builders import child, make_snapshot, school, sessions

from dashboard.charts import bar_chart, line_chart, long_form, small_multiples
from dashboard.charts import uncertainty as charts
from dashboard.components import shown_table
from data_access import assessments, attendance, chart_data, uncertainty, views
from data_access.filters import Filters
from data_access.intervals import attendance_estimate, wilson_interval
from data_access.periods import academic_year, custom
from data_access.snapshots import Snapshot, open_snapshot

VEGA_LITE = load_schema()
MON = date(2025, 9, 1)  # a Monday
SEPTEMBER = custom(date(2025, 9, 1), date(2025, 9, 30))


def build(tmp_path: Path, **tables: Any) -> Snapshot:
    tables.setdefault("schools", [school("S01")])
    return open_snapshot(make_snapshot(tmp_path, **tables))


def three_children(tmp_path: Path, more_attendance: list[dict[str, Any]] | None = None) -> Snapshot:
    """Ten possible sessions each in the week of 1 September 2025 (all enrolled 2 September 2024):
    A all present; B 8 present, 1 authorised (I), 1 unauthorised (O); C 6 present, 2 I, 2 O.
    SDQ total: A 5 → 4 (close to average both times), B 20 → 10 (very high → close to average),
    C 13 → 14 (slightly raised both times)."""
    attendance = [
        *sessions("A", MON, ["/"] * 10),
        *sessions("B", MON, ["/"] * 8 + ["I", "O"]),
        *sessions("C", MON, ["/"] * 6 + ["I", "I", "O", "O"]),
        *(more_attendance or []),
    ]
    scores = {"A": (5, 4), "B": (20, 10), "C": (13, 14)}
    assessments = [
        {"child_id": c, "assessment_date": day, "wave": wave, "measure": "sdq_total", "score": float(score)}
        for c, (first, last) in scores.items()
        for day, wave, score in ((date(2024, 10, 1), "baseline", first), (date(2025, 7, 1), "review", last))
    ]
    return build(tmp_path, children=[child("A"), child("B"), child("C")], attendance=attendance,
                 assessments=assessments)  # fmt: skip


def test_absence_by_kind_by_month_on_paper(tmp_path: Path) -> None:
    snap = three_children(tmp_path)
    row = views.monthly_absence(snap, Filters(period=SEPTEMBER), "admin").frame.row(0, named=True)
    # Authorised: a = (0, 1, 2) of n = (10, 10, 10): R = 3 ÷ 30 = 10%; residuals a − R·n = −1, 0, 1, Σ² = 2;
    # SE = √(3/2 × 2) ÷ 30 = 5.7735%; 10 ± 1.96 × 5.7735 = −1.3 … 21.316 → 0.0 (clipped) to 21.3.
    assert row["authorised_absence_rate"] == 10.0
    assert (row["authorised_absence_rate__low"], row["authorised_absence_rate__high"]) == (0.0, 21.3)
    expected = attendance_estimate([0, 1, 2], [10, 10, 10])
    assert expected is not None and expected.interval is not None
    assert expected.interval.rounded() == (0.0, 21.3)
    # Unauthorised: the same counts (0, 1, 2): the same interval. Not the attendance rate's (57.4 to 100.0).
    assert (row["unauthorised_absence_rate__low"], row["unauthorised_absence_rate__high"]) == (0.0, 21.3)


def test_school_months_and_around_enrolment_on_paper(tmp_path: Path) -> None:
    snap = three_children(tmp_path)
    filters = Filters(period=SEPTEMBER)
    # Present p = (10, 8, 6) of n = 10 each: R = 24 ÷ 30 = 80%; residuals 2, 0, −2, Σ² = 8;
    # SE = √(3/2 × 8) ÷ 30 = √12 ÷ 30 = 11.547%; 80 ± 22.632 → 57.368 to 102.6 → 57.4 to 100.0 (clipped).
    expected = attendance_estimate([10, 8, 6], [10, 10, 10])
    assert expected is not None and expected.interval is not None
    assert expected.interval.rounded() == (57.4, 100.0)
    school_row = views.school_monthly_attendance(snap, filters, "admin").frame.row(0, named=True)
    assert (school_row["school_id"], school_row["attendance_rate"]) == ("S01", 80.0)
    assert (school_row["attendance_rate__low"], school_row["attendance_rate__high"]) == (57.4, 100.0)
    around = views.attendance_around_enrolment(snap, filters, "admin")
    # Enrolled in September 2024, sessions in September 2025: month 12; every other month has none.
    by_offset = {r["month_offset"]: r for r in around.frame.iter_rows(named=True)}
    assert by_offset[12]["attendance_rate"] == 80.0
    assert (by_offset[12]["attendance_rate__low"], by_offset[12]["attendance_rate__high"]) == (57.4, 100.0)
    assert by_offset[0]["attendance_rate"] is None and by_offset[0]["attendance_rate__low"] is None
    # The table on screen (and its CSV) writes each rate with its interval.
    shown = shown_table(around, {"attendance_rate": "Attendance rate (%)"}).frame
    assert "80.0 (57.4 to 100.0)" in shown["Attendance rate (%)"].to_list()
    # The cohort frame carries the interval to the chart, and not on a point with no value.
    cohort, start = chart_data.cohort_frame(
        around, "month_offset", "attendance_rate", "children_with_sessions"
    )
    twelve = cohort.filter(pl.col("month_offset") == 12).row(0, named=True)
    assert (twelve["attendance_rate__low"], twelve["attendance_rate__high"]) == (57.4, 100.0) and start == 3


def test_weekly_attendance_and_its_baseline_on_paper(tmp_path: Path) -> None:
    """This period: the week of 1 September 2025 as in ``three_children`` (p = 10, 8, 6 of 10); their baseline
    year: the week of 4 September 2023 (the same week of the academic year, 5; within the 12 months before each
    enrolled on 2 September 2024), p = 4, 6, 8 of 10 (the rest unauthorised absence)."""
    old_week = date(2023, 9, 4)
    baseline = [
        r
        for c, p in (("A", 4), ("B", 6), ("C", 8))
        for r in sessions(c, old_week, ["/"] * p + ["O"] * (10 - p))
    ]
    snap = three_children(tmp_path, baseline)
    table = views.weekly_attendance(snap, Filters(period=SEPTEMBER), "admin")
    rows = {r["series"]: r for r in table.frame.iter_rows(named=True)}
    assert len(table.frame) == 2 and {r["week_start"] for r in rows.values()} == {MON}
    now, before = rows[attendance.THIS_PERIOD], rows[attendance.BASELINE]
    # This period: R = 24 ÷ 30 = 80%, 57.4 to 100.0 (clipped; worked out in the school months test).
    assert (now["attendance_rate"], now["attendance_rate__low"], now["attendance_rate__high"]) == (
        80.0,
        57.4,
        100.0,
    )
    # Baseline: R = 18 ÷ 30 = 60%; residuals −2, 0, 2, Σ² = 8; SE = √(3/2 × 8) ÷ 30 = 11.547%;
    # 60 ± 22.632 → 37.368 to 82.632 → 37.4 to 82.6.
    expected = attendance_estimate([4, 6, 8], [10, 10, 10])
    assert (
        expected is not None and expected.interval is not None and expected.interval.rounded() == (37.4, 82.6)
    )
    assert (before["attendance_rate"], before["attendance_rate__low"], before["attendance_rate__high"]) == (
        60.0,
        37.4,
        82.6,
    )
    shown = shown_table(table, {"series": "Series", "attendance_rate": "Attendance rate (%)"}).frame
    written = dict(zip(shown["Series"].to_list(), shown["Attendance rate (%)"].to_list(), strict=True))
    assert written == {
        attendance.THIS_PERIOD: "80.0 (57.4 to 100.0)",
        attendance.BASELINE: "60.0 (37.4 to 82.6)",
    }
    # The chart: a light band behind each series' line, in its colour, and the interval in the points' tooltips.
    spec = line_chart(table.plottable(), x="week_start", y="attendance_rate", series="series",
                      status="attendance_rate__status", interval=("attendance_rate__low", "attendance_rate__high"),
                      band=True, title="Weekly", description="Weekly.", x_title="Week", y_title="%").to_dict()  # fmt: skip
    validate_jsonschema(spec, VEGA_LITE)
    area = _interval_layer(spec, "attendance_rate__low", "attendance_rate__high", "area")
    assert area["encoding"]["color"]["field"] == "series" and area["encoding"]["color"]["legend"] is None
    assert not [layer for layer in _layers(spec) if layer["mark"]["type"] == "rule"]  # a band, not bars
    assert {"95% interval from", "95% interval to"} <= _tooltip_titles(spec)


def test_one_child_has_no_session_interval(tmp_path: Path) -> None:
    snap = build(tmp_path, children=[child("A")], attendance=sessions("A", MON, ["/"] * 8 + ["I", "O"]))
    row = views.school_monthly_attendance(snap, Filters(period=SEPTEMBER), "admin").frame.row(0, named=True)
    assert row["attendance_rate"] == 80.0 and row["attendance_rate__low"] is None  # k = 1 < 2


def test_sdq_band_shares_on_paper(tmp_path: Path) -> None:
    snap = three_children(tmp_path)
    table = views.sdq_bands(snap, Filters(period=academic_year(2025)), "admin")
    rows = {r["level"]: r for r in table.frame.iter_rows(named=True)}
    # Baseline: A close to average (5), C slightly raised (13), B very high (20): 1 of 3 each.
    # Wilson 1 of 3, z² = 3.8416: centre (1 + 1.9208) ÷ 6.8416 = 0.42692; half-width
    # 1.96 × √(1 × 2 ÷ 3 + 0.9604) ÷ 6.8416 = 0.36544 → 6.1% to 79.2%.
    one_of_three = wilson_interval(1, 3)
    assert one_of_three is not None and one_of_three.rounded() == (6.1, 79.2)
    for band in ("close to average", "slightly raised", "very high"):
        assert rows[band]["baseline_pct"] == 33.3
        assert (rows[band]["baseline_pct__low"], rows[band]["baseline_pct__high"]) == (6.1, 79.2)
    # Latest: A and B close to average (2 of 3), C slightly raised; high: 0 of 3 → 0 to z² ÷ (3 + z²) = 56.1%.
    two_of_three = wilson_interval(2, 3)
    assert two_of_three is not None
    assert (rows["close to average"]["latest_pct__low"], rows["close to average"]["latest_pct__high"]) == (
        two_of_three.rounded()
    )
    assert (rows["high"]["latest_pct__low"], rows["high"]["latest_pct__high"]) == (0.0, 56.1)
    # The total is 100% of itself by definition: no interval there.
    assert rows["Total"]["baseline_pct"] == 100.0 and rows["Total"]["baseline_pct__low"] is None
    shown = shown_table(table, {"level": "Band", "baseline_pct": "% at baseline"}).frame
    assert shown.row(0, named=True)["% at baseline"] == "33.3 (6.1 to 79.2)"
    assert shown.row(-1, named=True)["% at baseline"] == "100.0"


def test_sdq_movement_shares_on_paper(tmp_path: Path) -> None:
    snap = three_children(tmp_path)
    table = views.sdq_band_movement(snap, Filters(period=academic_year(2025)), "admin")
    rows = {r["movement"]: r for r in table.frame.iter_rows(named=True)}
    better, same, worse = assessments.MOVEMENTS
    # B moved from very high to close to average (better); A and C stayed; nobody moved to a worse band.
    # Better 1 of 3: Wilson 6.1% to 79.2% (worked out in test_sdq_band_shares_on_paper); same 2 of 3: the
    # mirror image, 100 − 79.2 = 20.8% to 100 − 6.1 = 93.9%; worse 0 of 3: 0 to z² ÷ (3 + z²) = 56.1%.
    assert (
        rows[better]["children_pct"],
        rows[better]["children_pct__low"],
        rows[better]["children_pct__high"],
    ) == (33.3, 6.1, 79.2)
    assert (rows[same]["children_pct__low"], rows[same]["children_pct__high"]) == (20.8, 93.9)
    assert (
        rows[worse]["children_pct"],
        rows[worse]["children_pct__low"],
        rows[worse]["children_pct__high"],
    ) == (0.0, 0.0, 56.1)
    # The total is 100% of itself by definition: no interval there.
    assert rows["Total"]["children_pct"] == 100.0 and rows["Total"]["children_pct__low"] is None
    shown = shown_table(table, {"movement": "Movement", "children_pct": "% of children"}).frame
    written = dict(zip(shown["Movement"].to_list(), shown["% of children"].to_list(), strict=True))
    assert written == {better: "33.3 (6.1 to 79.2)", same: "66.7 (20.8 to 93.9)", worse: "0.0 (0.0 to 56.1)",
                       "Total": "100.0"}  # fmt: skip


def twelve_children(tmp_path: Path) -> tuple[Snapshot, list[str]]:
    """K00-K11: ten sessions each in the week of 1 September 2025, K00-K05 all present, K06-K11 8 present, 1 I
    and 1 O; SDQ total baseline 5 (close to average) for K00-K07, 20 (very high) for K08-K11; latest 4 for all."""
    ids = cellkey_oracle.children("K", 12)
    attendance = [
        r
        for i, c in enumerate(ids)
        for r in sessions(c, MON, ["/"] * 10 if i < 6 else ["/"] * 8 + ["I", "O"])
    ]
    assessments = [
        {"child_id": c, "assessment_date": day, "wave": wave, "measure": "sdq_total", "score": float(score)}
        for i, c in enumerate(ids)
        for day, wave, score in ((date(2024, 10, 1), "baseline", 5 if i < 8 else 20),
                                 (date(2025, 7, 1), "review", 4))
    ]  # fmt: skip
    return build(
        tmp_path, children=[child(c) for c in ids], attendance=attendance, assessments=assessments
    ), ids


def test_protected_session_intervals_come_from_sessions_only_where_the_rate_is_shown(tmp_path: Path) -> None:
    snap, ids = twelve_children(tmp_path)
    filters = Filters(period=academic_year(2025))
    shown_children = cellkey_oracle.published("children", ids)  # all 12 have sessions in September
    exact = attendance_estimate([10] * 6 + [8] * 6, [10] * 12)
    authorised = attendance_estimate([0] * 6 + [1] * 6, [10] * 12)
    assert exact is not None and exact.interval is not None
    assert authorised is not None and authorised.interval is not None
    shown = isinstance(shown_children, int) and shown_children >= 10  # rule 4 for a rate of sessions
    school_row = views.school_monthly_attendance(snap, filters, "councillor").frame.row(0, named=True)
    month = views.monthly_absence(snap, filters, "councillor").frame.row(0, named=True)
    around = views.attendance_around_enrolment(snap, filters, "councillor").frame
    twelve = around.filter(pl.col("month_offset") == 12).row(0, named=True)
    if shown:
        # Contract 4.2: a rate of sessions and its interval come from sessions (exact), shown where the rate is.
        assert (
            school_row["attendance_rate__low"],
            school_row["attendance_rate__high"],
        ) == exact.interval.rounded()
        assert (twelve["attendance_rate__low"], twelve["attendance_rate__high"]) == exact.interval.rounded()
        assert (month["authorised_absence_rate__low"], month["authorised_absence_rate__high"]) == (
            authorised.interval.rounded()
        )
    else:
        assert school_row["attendance_rate__low"] is None and twelve["attendance_rate__low"] is None
        assert month["authorised_absence_rate__low"] is None
    assert shown, "the test snapshot is meant to show its rates (12 children, published ≥ 10)"


def _published_share_checked(row: dict[str, Any], name: str, members: list[str], with_both: object) -> bool:
    """Check a protected share's interval against the oracle's published counts: Wilson on (published count,
    published children with both), the count capped at its denominator; none when either is hidden. True when
    the share was shown (and so checked), False when it had no interval."""
    count = cellkey_oracle.published("children", members)
    if count == "c" or not isinstance(with_both, int) or with_both < 10:
        assert row[f"{name}__low"] is None and row[f"{name}__high"] is None
        return False
    assert isinstance(count, int)
    expected = wilson_interval(min(count, with_both), with_both)
    assert expected is not None
    assert (row[f"{name}__num"], row[f"{name}__den"]) == (count, with_both)
    assert (row[f"{name}__low"], row[f"{name}__high"]) == expected.rounded()
    return True


def test_protected_sdq_band_intervals_come_from_the_published_counts(tmp_path: Path) -> None:
    snap, ids = twelve_children(tmp_path)
    table = views.sdq_bands(snap, Filters(period=academic_year(2025)), "councillor")
    rows = {r["level"]: r for r in table.frame.iter_rows(named=True)}
    with_both = cellkey_oracle.published("children", ids)
    shown = [
        _published_share_checked(rows[band], "baseline_pct", members, with_both)
        for band, members in (("close to average", ids[:8]), ("very high", ids[8:]))
    ]
    assert any(shown), "at least one band is shown on the test snapshot"
    # Nothing in a band: a true 0 is published as 0, so its interval is Wilson (0, published children).
    zero = wilson_interval(0, with_both)
    assert zero is not None
    assert (rows["high"]["baseline_pct__low"], rows["high"]["baseline_pct__high"]) == zero.rounded()


def test_protected_sdq_movement_intervals_come_from_the_published_counts(tmp_path: Path) -> None:
    snap, ids = twelve_children(tmp_path)
    table = views.sdq_band_movement(snap, Filters(period=academic_year(2025)), "councillor")
    rows = {r["movement"]: r for r in table.frame.iter_rows(named=True)}
    better, same, worse = assessments.MOVEMENTS
    with_both = cellkey_oracle.published("children", ids)
    assert isinstance(with_both, int) and with_both >= 10, "the test snapshot is meant to show its shares"
    # K08-K11 moved from very high to close to average; K00-K07 stayed close to average.
    shown = [
        _published_share_checked(rows[movement], "children_pct", members, with_both)
        for movement, members in ((better, ids[8:]), (same, ids[:8]))
    ]
    assert any(shown), "at least one movement is shown on the test snapshot"
    zero = wilson_interval(0, with_both)  # nobody moved to a worse band: a true 0 is published as 0
    assert zero is not None
    assert (rows[worse]["children_pct__low"], rows[worse]["children_pct__high"]) == zero.rounded()
    assert rows["Total"]["children_pct__low"] is None


def test_protected_hidden_figures_have_no_interval(tmp_path: Path) -> None:
    # Three children: fewer than 10 published, so no rate and no interval anywhere (rule 4/5).
    snap = three_children(tmp_path)
    filters = Filters(period=academic_year(2025))
    for table, name in (
        (views.monthly_absence(snap, filters, "councillor"), "authorised_absence_rate"),
        (views.school_monthly_attendance(snap, filters, "commissioner"), "attendance_rate"),
        (views.attendance_around_enrolment(snap, filters, "councillor"), "attendance_rate"),
        (views.sdq_bands(snap, filters, "councillor"), "baseline_pct"),
        (views.sdq_band_movement(snap, filters, "commissioner"), "children_pct"),
    ):
        assert uncertainty.has_interval(table, name)
        assert table.frame.get_column(f"{name}__low").drop_nulls().is_empty(), name


# ------------------------------------------------------------------------------------------------ charts


def _layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every layer of a (possibly concatenated) spec."""
    out: list[dict[str, Any]] = []
    for part in [spec, *spec.get("vconcat", [])]:
        out += part.get("layer", [])
    return out


def _interval_layer(spec: dict[str, Any], low: str, high: str, mark: str) -> dict[str, Any]:
    found = [
        layer
        for layer in _layers(spec)
        if layer["mark"]["type"] == mark
        and layer["encoding"].get("y", {}).get("field") == low
        and layer["encoding"].get("y2", {}).get("field") == high
    ]
    assert found, f"no {mark} from {low} to {high}"
    return found[0]


def _tooltip_titles(spec: dict[str, Any]) -> set[str]:
    return {t.get("title") for layer in _layers(spec) for t in layer["encoding"].get("tooltip", [])}


def test_the_charts_draw_the_intervals_and_name_them(tmp_path: Path) -> None:
    snap = three_children(tmp_path)
    filters = Filters(period=SEPTEMBER)
    monthly = views.monthly_absence(snap, filters, "admin")
    long = long_form(monthly.plottable(), ["month_start", "month"],
                     {"authorised_absence_rate": "Authorised", "unauthorised_absence_rate": "Unauthorised"},
                     intervals=True)  # fmt: skip
    assert long["value__low"].to_list() == [0.0, 0.0] and long["value__high"].to_list() == [21.3, 21.3]
    absence = line_chart(long, x="month", x_type="N", y="value", series="series", status="value__status",
                         interval=("value__low", "value__high"), title="Absence", description="Absence.",
                         x_title="Month", y_title="%").to_dict()  # fmt: skip
    schools = views.school_monthly_attendance(snap, filters, "admin")
    panels = small_multiples(schools.plottable(), x="month_start", y="attendance_rate", facet="school_name",
                             status="attendance_rate__status", title="By school", description="By school.",
                             y_title="%", interval=("attendance_rate__low", "attendance_rate__high")).to_dict()  # fmt: skip
    bands = views.sdq_bands(snap, Filters(period=academic_year(2025)), "admin")
    shares = bar_chart(long_form(bands.plottable(), ["level"], {"baseline_pct": "Baseline"}, intervals=True),
                       x="level", y="value", series="series", status="value__status", percent=True,
                       interval=("value__low", "value__high"), title="Bands", description="Bands.",
                       x_title="Band", y_title="%").to_dict()  # fmt: skip
    movement = views.sdq_band_movement(snap, Filters(period=academic_year(2025)), "admin")
    moves = bar_chart(long_form(movement.plottable(), ["movement"], {"children_pct": "Children"}, intervals=True),
                      x="movement", y="value", series="series", status="value__status", percent=True,
                      interval=("value__low", "value__high"), title="Movement", description="Movement.",
                      x_title="", y_title="%").to_dict()  # fmt: skip
    around = views.attendance_around_enrolment(snap, filters, "admin")
    cohort, _ = chart_data.cohort_frame(around, "month_offset", "attendance_rate", "children_with_sessions")
    line = charts.cohort_line(cohort, x="month_offset", y="attendance_rate", children="children_text",
                              group="group", status="status", title="Cohort", description="A cohort.",
                              x_title="Months", y_title="%",
                              interval=("attendance_rate__low", "attendance_rate__high")).to_dict()  # fmt: skip
    for spec, low, high, mark in (
        (absence, "value__low", "value__high", "rule"),
        (panels, "attendance_rate__low", "attendance_rate__high", "area"),
        (shares, "value__low", "value__high", "rule"),
        (moves, "value__low", "value__high", "rule"),
        (line, "attendance_rate__low", "attendance_rate__high", "rule"),
    ):
        validate_jsonschema(spec, VEGA_LITE)
        _interval_layer(spec, low, high, mark)
        assert {"95% interval from", "95% interval to"} <= _tooltip_titles(spec)
    assert "95% interval" in str(panels["title"])  # the band is named in the subtitle


# ------------------------------------------------------------------------------------------------ the pages


WRITTEN = re.compile(r"\d+\.\d \(\d+\.\d to \d+\.\d\)")  # "88.3 (86.9 to 89.6)"
FOUR_BLOCKS = {
    "attendance": {
        "weekly": "attendance_rate__low",
        "absence_kinds": "value__low",
        "around_enrolment": "attendance_rate__low",
    },
    "school_progress": {
        "school_trends": "attendance_rate__low",
        "sdq_bands": "value__low",
        "sdq_movement": "value__low",
    },
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("page", "role"),
    [
        ("attendance", "allchild"),
        ("attendance", "councillor"),
        ("school_progress", "commissioner"),
        ("school_progress", "allchild"),
    ],
)
def test_the_pages_draw_and_write_the_intervals(demo_env: Any, page: str, role: str) -> None:
    at = open_page(page, role, {"period": "2025-26"})
    assert not at.exception, at.exception
    for key, low in FOUR_BLOCKS[page].items():
        block = find_block(at.main, f"fig_{key}")
        # Weeks are refused to protected roles (contract section 6, rule 6).
        if key == "weekly" and role != "allchild":
            assert block is None
            continue
        assert block is not None, key
        specs = [json.loads(chart.proto.spec) for chart in block.get("vega_lite_chart")]
        drawn = [layer for spec in specs for layer in _layers(spec)
                 if layer["encoding"].get("y", {}).get("field") == low and "y2" in layer["encoding"]]  # fmt: skip
        assert drawn, f"{key}: the chart draws no interval"
        rows = page_table(at, key)
        written = [v for row in rows for v in row.values() if WRITTEN.fullmatch(v)]
        assert written, f"{key}: the table writes no interval"


# ------------------------------------------------------------------------- rates per 100 (referrals, suspensions)


def garwood(count: int, children: int) -> tuple[float, float]:
    """The exact Poisson 95% interval of ``count`` per 100 ``children`` straight from the chi-square quantiles
    (contract 4.2, OHID's Fingertips guidance), rounded to one decimal: the data layer's code is not used."""
    from scipy.stats import chi2

    low = chi2.ppf(0.025, 2 * count) / 2 if count else 0.0
    high = chi2.ppf(0.975, 2 * count + 2) / 2
    return round(low * 100 / children, 1), round(high * 100 / children, 1)


def forty_children(tmp_path: Path) -> tuple[Snapshot, list[str], list[str]]:
    """A00-A19 at S01 and B00-B19 at S02, all in scope in 2025/26. Mental health referrals R0-R5 (A00-A05) and
    R6 (B00) on 1 October 2025; suspensions E0-E6 (A00-A06) and E7 (B00) on 2 October 2025, and one permanent
    exclusion P0 (A07) on 3 October 2025."""
    a, b = cellkey_oracle.children("A", 20), cellkey_oracle.children("B", 20)
    referrals = [{"referral_id": f"R{i}", "child_id": c, "referral_date": date(2025, 10, 1), "service": "camhs",
                  "reason": "mental_health"} for i, c in enumerate([*a[:6], b[0]])]  # fmt: skip
    events = [{"event_id": f"E{i}", "child_id": c, "start_date": date(2025, 10, 2), "kind": "suspension",
               "sessions": 2} for i, c in enumerate([*a[:7], b[0]])]  # fmt: skip
    events.append({"event_id": "P0", "child_id": a[7], "start_date": date(2025, 10, 3),
                   "kind": "permanent_exclusion", "sessions": 1})  # fmt: skip
    snap = build(tmp_path, schools=[school("S01"), school("S02")],
                 children=[child(c, school_id="S01") for c in a] + [child(c, school_id="S02") for c in b],
                 referrals=referrals, suspensions=events)  # fmt: skip
    return snap, a, b


PER_100 = "mental_health_referrals_per_100"


def test_rates_per_100_by_school_and_by_year_on_paper(tmp_path: Path) -> None:
    snap, _, _ = forty_children(tmp_path)
    filters = Filters(period=academic_year(2025))
    mh = views.mental_health_by_school(snap, filters, "admin")
    rows = {r["school_id"]: r for r in mh.frame.to_dicts()}
    # S01: 6 referrals per 20 children = 30.0 (11.0 to 65.3); all: 7 per 40 = 17.5 (7.0 to 36.1).
    assert (rows["S01"][PER_100], uncertainty.interval_of(rows["S01"], PER_100)) == (30.0, garwood(6, 20))
    assert (rows["all"][PER_100], uncertainty.interval_of(rows["all"], PER_100)) == (17.5, garwood(7, 40))
    assert garwood(6, 20) == (11.0, 65.3)
    long = views.long_form(mh, figures=[PER_100], intervals=True)
    assert long.select("school_id", "value", "value__low", "value__high").rows() == [
        ("S01", 30.0, *garwood(6, 20)), ("S02", 5.0, *garwood(1, 20)),
    ]  # fmt: skip
    written = uncertainty.display_with_intervals(mh).get_column(PER_100).to_list()
    assert written == ["30.0 (11.0 to 65.3)", "5.0 (0.1 to 27.9)", "17.5 (7.0 to 36.1)"]

    susp = views.suspensions_by_school(snap, filters, "admin")
    s = {r["school_id"]: r for r in susp.frame.to_dicts()}
    assert uncertainty.interval_of(s["S01"], "suspensions_per_100") == garwood(7, 20)
    long = views.long_form(susp, figures=["suspensions_per_100"], intervals=True)
    assert long.get_column("value__high").to_list() == [garwood(7, 20)[1], garwood(1, 20)[1]]

    year = views.suspensions_by_period(snap, filters, "admin", [academic_year(2025)])
    row = year.frame.row(0, named=True)
    assert uncertainty.interval_of(row, "suspensions_per_100") == garwood(8, 40)
    assert uncertainty.interval_of(row, "permanent_exclusions_per_100") == garwood(1, 40)
    long = views.long_form(year, figures=["permanent_exclusions_per_100"], intervals=True)
    assert long.select("value", "value__low", "value__high").row(0) == (2.5, *garwood(1, 40))
    # Without ``intervals`` the long form is as before (the charts that draw counts).
    assert views.long_form(year, figures=["suspensions"]).columns == [
        "order",
        "period",
        "period_key",
        "start",
        "end",
        "series",
        "value",
        "value__status",
    ]


def test_protected_rates_per_100_intervals_come_from_the_published_counts(tmp_path: Path) -> None:
    snap, a, b = forty_children(tmp_path)
    filters = Filters(period=academic_year(2025))
    children = cellkey_oracle.published("children", [*a, *b])
    referrals = cellkey_oracle.published("referrals", ["R0", "R1", "R2", "R3", "R4", "R5", "R6"])
    suspensions = cellkey_oracle.published("suspensions", [f"E{i}" for i in range(8)])
    assert isinstance(children, int) and isinstance(referrals, int) and isinstance(suspensions, int), (
        "the test snapshot is meant to show its all-schools rates"
    )
    mh = views.mental_health_by_school(snap, filters, "councillor")
    total = mh.frame.filter(pl.col("school_id") == "all").row(0, named=True)
    assert uncertainty.interval_of(total, PER_100) == garwood(referrals, children)
    long = views.long_form(mh, figures=[PER_100], intervals=True, include_total=True)
    assert long.filter(pl.col("school_id") == "all").select("value__low", "value__high").row(0) == garwood(
        referrals, children
    )
    # A school's rate hidden (c) has no interval in the chart's rows either.
    hidden = long.filter(pl.col("value__status") != "shown")
    assert hidden.get_column("value__low").drop_nulls().is_empty()
    year = views.suspensions_by_period(snap, filters, "commissioner", [academic_year(2025)])
    row = year.frame.row(0, named=True)
    if row["suspensions_per_100__status"] == "shown":
        assert uncertainty.interval_of(row, "suspensions_per_100") == garwood(suspensions, row["children"])
    else:
        assert uncertainty.interval_of(row, "suspensions_per_100") is None


def test_the_rate_per_100_bars_draw_the_intervals_and_name_them(tmp_path: Path) -> None:
    snap, _, _ = forty_children(tmp_path)
    filters = Filters(period=academic_year(2025))
    mh = views.mental_health_by_school(snap, filters, "admin")
    by_school = bar_chart(views.long_form(mh, figures=[PER_100], intervals=True), x="school_id", y="value",
                          status="value__status", horizontal=True, percent=True, interval=("value__low", "value__high"),
                          title="By school", description="By school.", x_title="School",
                          y_title="Per 100").to_dict()  # fmt: skip
    year = views.suspensions_by_period(snap, filters, "admin", [academic_year(2025)])
    by_year = bar_chart(views.long_form(year, figures=["suspensions_per_100"], intervals=True), x="period",
                        y="value", status="value__status", percent=True, interval=("value__low", "value__high"),
                        title="By year", description="By year.", x_title="Year", y_title="Per 100").to_dict()  # fmt: skip
    for spec, axis in ((by_school, "x"), (by_year, "y")):
        validate_jsonschema(spec, VEGA_LITE)
        rules = [layer for layer in _layers(spec) if layer["mark"]["type"] == "rule"
                 and layer["encoding"].get(axis, {}).get("field") == "value__low"
                 and layer["encoding"].get(f"{axis}2", {}).get("field") == "value__high"]  # fmt: skip
        assert rules, "no error bar"
        assert {"95% interval from", "95% interval to"} <= _tooltip_titles(spec)


def test_the_spc_table_writes_each_months_interval(tmp_path: Path) -> None:
    from data_access.periods import months_up_to

    snap, _, _ = forty_children(tmp_path)
    months = months_up_to(date(2025, 12, 31), date(2025, 9, 1))
    monthly = views.by_period(snap, Filters(period=academic_year(2025)), "admin", months, views.MH_SPECS)
    column = uncertainty.interval_column(monthly, PER_100)
    october = monthly.frame.get_column("period").to_list().index("Oct 2025")
    assert column.name == "95% interval"
    assert column[october] == "{:.1f} to {:.1f}".format(*garwood(7, 40))
    assert column[october - 1] == "{:.1f} to {:.1f}".format(*garwood(0, 40))  # September: none, 0.0 to 9.2


def test_a_hidden_rate_has_no_interval_in_the_long_form() -> None:
    # A rate hidden after its interval was worked out (``hide_rates_with_counts``: its count is c) draws no bar.
    frame = pl.DataFrame({"school_id": ["S01", "S02"], PER_100: [30.0, None], f"{PER_100}__status": ["shown", "c"],
                          f"{PER_100}__low": [11.0, 0.1], f"{PER_100}__high": [65.3, 27.9]})  # fmt: skip
    table = views.FigureTable(frame, ("school_id",), (PER_100,), True)
    long = views.long_form(table, intervals=True)
    assert long.select("value__low", "value__high").rows() == [(11.0, 65.3), (None, None)]
    assert uncertainty.interval_column(table, PER_100).to_list() == ["11.0 to 65.3", ""]


RATE_BLOCKS = {
    "referrals": ("mh_by_school",),
    "suspensions": ("suspensions_per_100_by_year", "exclusions_per_100_by_year", "suspensions_by_school"),
}


@pytest.mark.slow
@pytest.mark.parametrize(("page", "role"), [("referrals", "allchild"), ("suspensions", "councillor")])
def test_the_rate_per_100_pages_draw_and_write_the_intervals(demo_env: Any, page: str, role: str) -> None:
    at = open_page(page, role, {"period": "2025-26"})
    assert not at.exception, at.exception
    for key in RATE_BLOCKS[page]:
        block = find_block(at.main, f"fig_{key}")
        assert block is not None, key
        specs = [json.loads(chart.proto.spec) for chart in block.get("vega_lite_chart")]
        drawn = [layer for spec in specs for layer in _layers(spec) if layer["mark"]["type"] == "rule"
                 and any(layer["encoding"].get(a, {}).get("field") == "value__low"
                         and layer["encoding"].get(f"{a}2", {}).get("field") == "value__high" for a in ("x", "y"))]  # fmt: skip
        assert drawn, f"{key}: the chart draws no interval"
        assert {"95% interval from", "95% interval to"} <= {
            t.get("title") for s in specs for t in _tooltip_titles_of(s)
        }
        assert any("95% interval" in str(s.get("title")) for s in specs), (
            f"{key}: the subtitle does not say so"
        )
        written = [v for row in page_table(at, key) for v in row.values() if WRITTEN.fullmatch(v)]
        assert written, f"{key}: the table writes no interval"
    if page == "referrals":  # the SPC table: each month's value, then its interval (the chart draws limits)
        rows = page_table(at, "mh_spc")
        assert all("95% interval" in row for row in rows)
        assert any(re.fullmatch(r"\d+\.\d to \d+\.\d", row["95% interval"]) for row in rows)


def _tooltip_titles_of(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for layer in _layers(spec) for t in layer["encoding"].get("tooltip", [])]
