"""The sidebar filters, bound to the URL query string and the same on every page.

The first run of a session (or of a new snapshot) reads the filters from the URL, dropping invalid values
with a visible notice; the widgets then hold them, and every run writes them back to the URL so a view can
be shared as a link and survives a reload.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from data_access.contract import SEN_PROVISIONS, SEXES
from data_access.filters import (
    FIXED_SELECTIONS_WHY,
    QUERY_KEYS,
    Filters,
    characteristic_values,
    filters_from_query,
    protected_selection_problems,
)
from data_access.periods import Period, custom, last_month_end

CUSTOM = "custom"
KEYS = {
    "period": "f_period",
    "custom": "f_custom",
    "school": "f_school",
    "year": "f_year",
    "sex": "f_sex",
    "fsm": "f_fsm",
    "sen": "f_sen",
    "scope": "f_scope",  # protected roles: all schools, one township or one school
    "characteristic": "f_char",  # protected roles: at most one characteristic value
}
ALL_SCHOOLS = "all"
NO_CHARACTERISTIC = "none"
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


def protected_periods(periods: list[Period], last_day: date | None = None) -> list[Period]:
    """Rule 6: academic years and terms only (no half-terms, no custom ranges), and (with ``last_day``, the
    snapshot date) only those with a complete month by then: a period not over runs to the last month end."""
    end = last_month_end(last_day) if last_day is not None else None
    return [p for p in periods if p.kind in ("year", "term") and (end is None or p.start <= end)]


def scope_options(school_names: dict[str, str], townships: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Rule 6's school choices as option → label: all schools, each township (of more than one school), each school."""
    options = {ALL_SCHOOLS: "All schools"}
    for name, ids in townships.items():
        if 1 < len(ids) < len(school_names):
            options[f"town:{name}"] = f"{name} (township: {len(ids)} schools)"
    options.update({f"school:{sid}": label for sid, label in school_names.items()})
    return options


def characteristic_options() -> dict[str, str]:
    """Rule 6's characteristic choices as option → label: everyone, or one value of one characteristic."""
    options = {NO_CHARACTERISTIC: "All children"}
    options.update({f"year:{y}": "Reception" if y == 0 else f"Year {y}" for y in range(14)})
    options.update({f"sex:{s}": f"Sex: {s}" for s in SEXES})
    options.update({"fsm:yes": "Free school meals: eligible", "fsm:no": "Free school meals: not eligible"})
    options.update({f"sen:{s}": f"SEN provision: {SEN_LABELS[s]}" for s in SEN_PROVISIONS})
    return options


def _scope_of(filters: Filters, townships: dict[str, tuple[str, ...]]) -> str:
    if not filters.schools:
        return ALL_SCHOOLS
    if len(filters.schools) == 1:
        return f"school:{filters.schools[0]}"
    for name, ids in townships.items():
        if tuple(sorted(ids)) == tuple(sorted(filters.schools)):
            return f"town:{name}"
    return ALL_SCHOOLS


def _characteristic_of(filters: Filters) -> str:
    if filters.year_groups:
        return f"year:{filters.year_groups[0]}"
    if filters.sexes:
        return f"sex:{filters.sexes[0]}"
    if filters.fsm is not None:
        return "fsm:yes" if filters.fsm else "fsm:no"
    if filters.sen:
        return f"sen:{filters.sen[0]}"
    return NO_CHARACTERISTIC


def allowed_for_protected(
    filters: Filters,
    periods: list[Period],
    default_period: Period,
    townships: dict[str, tuple[str, ...]],
    last_day: date | None = None,
) -> tuple[Filters, list[str]]:
    """A link's filters made allowable for a protected role (rule 6): what asks for more is refused with a
    notice and replaced (the current academic year, all schools, no characteristic filter)."""
    notices: list[str] = []
    allowed = protected_periods(periods, last_day)
    offered = {p.key for p in allowed}
    if default_period.key not in offered and allowed:
        default_period = allowed[0]
    if filters.period.key not in offered:
        notices.append(
            f"The period {filters.period.describe()} in the link is not offered for your role (academic years and "
            f"terms only), so {default_period.label} is shown instead."
        )
        filters = Filters(period=default_period, schools=filters.schools, year_groups=filters.year_groups,
                          sexes=filters.sexes, fsm=filters.fsm, sen=filters.sen)  # fmt: skip
    everyone = Filters(period=filters.period, schools=filters.schools)
    if protected_selection_problems(everyone, townships, check_period=False):
        notices.append(
            "The schools in the link are not one school, one township or all schools, so all schools are shown."
        )
        filters = Filters(period=filters.period, year_groups=filters.year_groups, sexes=filters.sexes,
                          fsm=filters.fsm, sen=filters.sen)  # fmt: skip
    if characteristic_values(filters) > 1:
        notices.append(
            "The link chooses more than one characteristic filter value (at most one is allowed for your role), "
            "so no characteristic filter is applied."
        )
        filters = Filters(period=filters.period, schools=filters.schools)
    return filters, notices


def _protected_sidebar(
    periods: list[Period], school_names: dict[str, str], townships: dict[str, tuple[str, ...]], last_day: date
) -> Filters:
    """Rule 6's sidebar: years and terms; all schools, one township or one school; at most one characteristic."""
    offered = protected_periods(periods, last_day)
    by_key = {p.key: p for p in offered}
    scopes = scope_options(school_names, townships)
    characteristics = characteristic_options()
    with st.sidebar:
        st.header("Filters", anchor=False)
        st.caption(FIXED_SELECTIONS_WHY)
        choice = st.selectbox(
            "Period", list(by_key), key=KEYS["period"], format_func=lambda k: by_key[k].label,
            help="Academic years and terms follow the Department for Education (DfE) census boundaries; a year or "
            "term not over runs to the last month end (see About the data).",
        )  # fmt: skip
        scope = st.selectbox("Schools", list(scopes), key=KEYS["scope"], format_func=scopes.__getitem__)
        characteristic = st.selectbox(
            "Children", list(characteristics), key=KEYS["characteristic"], format_func=characteristics.__getitem__,
            help="At most one characteristic: one year group, one sex, free school meals or one SEN provision.",
        )  # fmt: skip
    period = by_key[str(choice)]
    schools: tuple[str, ...] = ()
    if str(scope).startswith("school:"):
        schools = (str(scope).split(":", 1)[1],)
    elif str(scope).startswith("town:"):
        schools = townships[str(scope).split(":", 1)[1]]
    kind, _, value = str(characteristic).partition(":")
    return Filters(
        period=period,
        schools=tuple(sorted(schools)),
        year_groups=(int(value),) if kind == "year" else (),
        sexes=(value,) if kind == "sex" else (),
        fsm=(value == "yes") if kind == "fsm" else None,
        sen=(value,) if kind == "sen" else (),
    )


def filter_sidebar(
    *,
    seed_key: str,
    periods: list[Period],
    default_period: Period,
    school_names: dict[str, str],
    first_day: date,
    last_day: date,
    protected: bool = False,
    townships: dict[str, tuple[str, ...]] | None = None,
) -> tuple[Filters, list[str]]:
    """Render the filter widgets in the sidebar and return the filters in force plus any URL notices.

    Args:
        seed_key: changes when the filters must be re-read from the URL (a new snapshot).
        periods: the periods the snapshot offers, newest first.
        default_period: the period used when the URL names none.
        school_names: school_id → school name, in school_id order.
        first_day: earliest date a custom range may start.
        last_day: latest date a custom range may end (the snapshot date).
        protected: the viewer's figures are protected (councillor, commissioner): the sidebar offers only what
            contract section 6, rule 6 allows, and says why in one line; a link asking for more is refused
            with a notice.
        townships: each township's schools (for ``protected``).
    """
    state = st.session_state
    townships = townships or {}
    seed_key = f"{seed_key}:{'protected' if protected else 'exact'}"
    if state.get(_SEEDED) != seed_key:
        filters, notices = filters_from_query(
            _query_as_lists(), periods=periods, default_period=default_period, school_ids=list(school_names)
        )
        if protected:
            filters, refused = allowed_for_protected(filters, periods, default_period, townships, last_day)
            notices += refused
        _seed(filters, periods)
        state[KEYS["scope"]] = _scope_of(filters, townships)
        state[KEYS["characteristic"]] = _characteristic_of(filters)
        state[_SEEDED] = seed_key
        state[_NOTICES] = notices
    elif KEYS["period"] not in state and _VALUE in state:
        _seed(state[_VALUE], periods)  # widgets were not rendered on the last page (e.g. Users): restore them
        state[KEYS["scope"]] = _scope_of(state[_VALUE], townships)
        state[KEYS["characteristic"]] = _characteristic_of(state[_VALUE])

    if protected:
        filters = _protected_sidebar(periods, school_names, townships, last_day)
        state[_VALUE] = filters
        write_query(filters)
        return filters, list(state.get(_NOTICES, []))

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
