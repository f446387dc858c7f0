"""The viewer's filters as one frozen, hashable value that maps to and from the URL query string.

Filters select children by their row in ``children`` (school, year group, sex, FSM, SEN provision) and a
period. The value is hashable so figures can be cached by (snapshot, filters, role).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from data_access.contract import SEN_PROVISIONS, SEXES
from data_access.periods import Period, parse_period

QUERY_KEYS = ("period", "school", "year", "sex", "fsm", "sen")
FIXED_SELECTIONS_WHY = (
    "Councillors, commissioners and board papers choose academic years or terms, one school, one township or "
    "all schools, and at most one characteristic, so that small numbers cannot be worked out by comparing views."
)
"""Rule 6 in one line, for the sidebar and refusals."""


class SelectionRefused(ValueError):
    """A protected role asked for a selection that contract section 6, rule 6 does not allow."""


@dataclass(frozen=True)
class Filters:
    """A period and the characteristics that select children; an empty tuple means "all"."""

    period: Period
    schools: tuple[str, ...] = ()
    year_groups: tuple[int, ...] = ()
    sexes: tuple[str, ...] = ()
    fsm: bool | None = None
    sen: tuple[str, ...] = field(default=())

    def with_schools(self, schools: Sequence[str]) -> Filters:
        """The same filters for other schools."""
        return replace(self, schools=tuple(sorted(schools)))

    @property
    def selects_everyone(self) -> bool:
        """True when no characteristic filter is set (the period still applies)."""
        return not (self.schools or self.year_groups or self.sexes or self.sen) and self.fsm is None

    def to_query(self) -> dict[str, str | list[str]]:
        """The URL query-string form: only what differs from "all" is written."""
        query: dict[str, str | list[str]] = {"period": self.period.key}
        if self.schools:
            query["school"] = list(self.schools)
        if self.year_groups:
            query["year"] = [str(y) for y in self.year_groups]
        if self.sexes:
            query["sex"] = list(self.sexes)
        if self.fsm is not None:
            query["fsm"] = "yes" if self.fsm else "no"
        if self.sen:
            query["sen"] = list(self.sen)
        return query

    def describe(self, school_names: Mapping[str, str] | None = None) -> list[str]:
        """Plain-words lines naming every filter in force, for page headers and exports."""
        names = school_names or {}
        lines = [f"Period: {self.period.describe()}"]
        lines.append(
            "Schools: " + (", ".join(names.get(s, s) for s in self.schools) if self.schools else "all")
        )
        if self.year_groups:
            lines.append(
                "Year groups: " + ", ".join("Reception" if y == 0 else f"Year {y}" for y in self.year_groups)
            )
        if self.sexes:
            lines.append("Sex: " + ", ".join(self.sexes))
        if self.fsm is not None:
            lines.append("Free school meals: " + ("eligible" if self.fsm else "not eligible"))
        if self.sen:
            lines.append("SEN provision: " + ", ".join(s.replace("_", " ") for s in self.sen))
        return lines


def characteristic_values(filters: Filters) -> int:
    """How many characteristic filter values are chosen (year groups, sexes, FSM, SEN provisions)."""
    return len(filters.year_groups) + len(filters.sexes) + len(filters.sen) + (filters.fsm is not None)


def protected_selection_problems(
    filters: Filters, townships: Mapping[str, Sequence[str]], *, check_period: bool = True
) -> list[str]:
    """Contract section 6, rule 6 — the one place it is written: what a protected role may not choose.

    Protected roles choose an academic year or a term (no half-terms, no custom ranges); one school, one whole
    township, or all schools; and at most one characteristic filter with one value. Returns one plain-words
    sentence per problem (empty when the selection is allowed).

    Args:
        filters: the selection asked for.
        townships: each township's schools (``views.townships_of``).
        check_period: False for views that also serve series points (calendar months) and comparison periods
            built from an allowed period; the sidebar, the URL and ``report`` check it.
    """
    problems: list[str] = []
    if check_period and filters.period.kind not in ("year", "term"):
        problems.append(
            f"The period {filters.period.describe()} is not an academic year or a term: only those are offered "
            "for protected figures."
        )
    schools = tuple(sorted(filters.schools))
    allowed = {tuple(sorted(ids)) for ids in townships.values()}
    allowed.add(
        tuple(sorted(s for ids in townships.values() for s in ids))
    )  # every school, listed one by one
    if len(schools) > 1 and schools not in allowed:
        problems.append(
            f"The schools {', '.join(schools)} are neither one school, one whole township nor all schools."
        )
    if characteristic_values(filters) > 1:
        problems.append("More than one characteristic filter value is chosen: choose at most one.")
    return problems


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in value.split(",") if part] if "," in value else [value]
    return [str(v) for v in value]


def filters_from_query(
    query: Mapping[str, str | Sequence[str]],
    *,
    periods: Sequence[Period],
    default_period: Period,
    school_ids: Sequence[str],
) -> tuple[Filters, list[str]]:
    """Read filters from a query string, dropping every invalid value with a notice for the viewer.

    Args:
        query: the query string as a mapping of key to value or list of values.
        periods: the periods the snapshot offers (a period key must be one of them, or a valid custom range).
        default_period: used when the query names no valid period.
        school_ids: the snapshot's schools.

    Returns:
        The filters and a list of plain-words notices, one per value dropped.
    """
    notices: list[str] = []
    by_key = {p.key: p for p in periods}
    period = default_period
    raw_period = _as_list(query.get("period"))
    if raw_period:
        key = raw_period[0]
        if key in by_key:
            period = by_key[key]
        else:
            try:
                parsed = parse_period(key)
            except ValueError:
                notices.append(f"The period '{key[:40]}' in the link is not valid and was replaced.")
            else:
                if parsed.kind == "custom":
                    period = parsed
                else:
                    notices.append(
                        f"The period '{key[:40]}' is not covered by this snapshot and was replaced."
                    )

    def pick(name: str, allowed: Sequence[str], label: str) -> tuple[str, ...]:
        chosen: list[str] = []
        for value in _as_list(query.get(name)):
            if value in chosen:
                continue  # a repeated known value is not junk: keep it once, no notice
            if value in allowed:
                chosen.append(value)
            else:
                notices.append(f"The {label} '{value[:40]}' in the link is not known and was dropped.")
        return tuple(sorted(chosen))

    schools = pick("school", list(school_ids), "school")
    years = tuple(int(y) for y in pick("year", [str(n) for n in range(14)], "year group"))
    sexes = pick("sex", SEXES, "sex")
    sen = pick("sen", SEN_PROVISIONS, "SEN provision")
    fsm: bool | None = None
    raw_fsm = _as_list(query.get("fsm"))
    if raw_fsm:
        if raw_fsm[0] in ("yes", "no"):
            fsm = raw_fsm[0] == "yes"
        else:
            notices.append(
                f"The free school meals value '{raw_fsm[0][:40]}' in the link is not known and was dropped."
            )
    filters = Filters(
        period=period, schools=schools, year_groups=tuple(sorted(years)), sexes=sexes, fsm=fsm, sen=sen
    )
    return filters, notices


def default_period_for(snapshot_date: date, periods: Sequence[Period]) -> Period:
    """The current academic year of the snapshot (the newest year the snapshot offers)."""
    years = [p for p in periods if p.kind == "year" and p.start <= snapshot_date]
    return years[0] if years else periods[0]
