"""The sidebar filters, bound to the URL query string and the same on every page.

The first run of a session (or of a new snapshot) reads the filters from the URL, dropping invalid values
with a visible notice; the widgets then hold them, and every run writes them back to the URL so a view can
be shared as a link and survives a reload.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from data_access.contract import SEN_PROVISIONS, SEXES
from data_access.filters import QUERY_KEYS, Filters, filters_from_query
from data_access.periods import Period, custom

CUSTOM = "custom"
KEYS = {
    "period": "f_period",
    "custom": "f_custom",
    "school": "f_school",
    "year": "f_year",
    "sex": "f_sex",
    "fsm": "f_fsm",
    "sen": "f_sen",
}
_SEEDED = "_filters_seeded_for"
_VALUE = "_filters_value"
_NOTICES = "_filters_notices"
FSM_OPTIONS = ("all", "yes", "no")
FSM_LABELS = {"all": "All children", "yes": "Eligible", "no": "Not eligible"}
SEN_LABELS = {"none": "None", "sen_support": "SEN support", "ehcp": "Education, health and care (EHC) plan"}


def _query_as_lists() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params.keys()}  # noqa: SIM118


def _seed(filters: Filters, periods: list[Period]) -> None:
    state = st.session_state
    known = {p.key for p in periods}
    state[KEYS["period"]] = filters.period.key if filters.period.key in known else CUSTOM
    state[KEYS["custom"]] = (filters.period.start, filters.period.end)
    state[KEYS["school"]] = list(filters.schools)
    state[KEYS["year"]] = list(filters.year_groups)
    state[KEYS["sex"]] = list(filters.sexes)
    state[KEYS["fsm"]] = "all" if filters.fsm is None else ("yes" if filters.fsm else "no")
    state[KEYS["sen"]] = list(filters.sen)


def filter_sidebar(
    *,
    seed_key: str,
    periods: list[Period],
    default_period: Period,
    school_names: dict[str, str],
    first_day: date,
    last_day: date,
) -> tuple[Filters, list[str]]:
    """Render the filter widgets in the sidebar and return the filters in force plus any URL notices.

    Args:
        seed_key: changes when the filters must be re-read from the URL (a new snapshot).
        periods: the periods the snapshot offers, newest first.
        default_period: the period used when the URL names none.
        school_names: school_id → school name, in school_id order.
        first_day: earliest date a custom range may start.
        last_day: latest date a custom range may end (the snapshot date).
    """
    state = st.session_state
    if state.get(_SEEDED) != seed_key:
        filters, notices = filters_from_query(
            _query_as_lists(), periods=periods, default_period=default_period, school_ids=list(school_names)
        )
        _seed(filters, periods)
        state[_SEEDED] = seed_key
        state[_NOTICES] = notices
    elif KEYS["period"] not in state and _VALUE in state:
        _seed(state[_VALUE], periods)  # widgets were not rendered on the last page (e.g. Users): restore them

    by_key = {p.key: p for p in periods}
    with st.sidebar:
        st.header("Filters", anchor=False)
        choice = st.selectbox(
            "Period", [*by_key, CUSTOM], key=KEYS["period"],
            format_func=lambda k: "Custom range…" if k == CUSTOM else by_key[k].label,
            help="Academic years and terms follow the Department for Education (DfE) census boundaries (see About the "
            "data).",
        )  # fmt: skip
        if choice == CUSTOM:
            chosen = st.date_input(
                "From – to", key=KEYS["custom"], min_value=first_day, max_value=last_day, format="DD/MM/YYYY"
            )
            start, end = (chosen[0], chosen[1]) if isinstance(chosen, tuple) and len(chosen) == 2 else (
                default_period.start, default_period.end)  # fmt: skip
            period = custom(start, end)
        else:
            period = by_key[str(choice)]
        schools = st.multiselect(
            "Schools", list(school_names), key=KEYS["school"], format_func=lambda s: school_names.get(s, s),
            placeholder="All schools", select_all=False,
        )  # fmt: skip
        years = st.multiselect(
            "Year groups", list(range(14)), key=KEYS["year"],
            format_func=lambda y: "Reception" if y == 0 else f"Year {y}", placeholder="All year groups",
            select_all=False,
        )  # fmt: skip
        sexes = st.multiselect("Sex", list(SEXES), key=KEYS["sex"], placeholder="All", select_all=False)
        fsm = st.selectbox(
            "Free school meals", FSM_OPTIONS, key=KEYS["fsm"], format_func=FSM_LABELS.__getitem__
        )
        sen = st.multiselect(
            "Special educational needs (SEN) provision", list(SEN_PROVISIONS), key=KEYS["sen"], placeholder="All",
            format_func=SEN_LABELS.__getitem__, select_all=False,
        )  # fmt: skip
    filters = Filters(
        period=period,
        schools=tuple(sorted(schools)),
        year_groups=tuple(sorted(int(y) for y in years)),
        sexes=tuple(sorted(sexes)),
        fsm=None if fsm == "all" else fsm == "yes",
        sen=tuple(sorted(sen)),
    )
    state[_VALUE] = filters
    write_query(filters)
    return filters, list(state.get(_NOTICES, []))


def write_query(filters: Filters) -> None:
    """Put the filters into the URL, keeping any other parameters (such as the chosen snapshot)."""
    wanted = filters.to_query()
    current = _query_as_lists()
    others = {k: v for k, v in current.items() if k not in QUERY_KEYS}
    normalised = {k: v if isinstance(v, list) else [v] for k, v in wanted.items()}
    if {k: v for k, v in current.items() if k in QUERY_KEYS} != normalised:
        st.query_params.from_dict({**others, **wanted})


def dismiss_notices() -> None:
    """Forget the URL notices once shown."""
    st.session_state[_NOTICES] = []
