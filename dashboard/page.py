"""The frame of every page: ``page_setup`` (sign-in guard, snapshot, filters, header) and ``page_footer``.

Every page script starts with ``ctx = page_setup("<key>")``. The guard runs first, so a page run directly
from a deep link (which skips ``app.py``) still shows nothing but the login form to a signed-out visitor.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import date
from html import escape
from typing import Any, Final, NoReturn, TypeVar

import polars as pl
import streamlit as st

from dashboard import audit
from dashboard.auth import Viewer, require_viewer
from dashboard.data import cached, current_state, derived, refresh_state
from dashboard.filters_ui import dismiss_notices, filter_sidebar
from dashboard.registry import PAGES_BY_KEY, PageSpec
from dashboard.text import plain
from data_access import enrolment
from data_access.contract import EXACT_FOOTNOTE, SUPPRESSION_FOOTNOTE
from data_access.filters import Filters, default_period_for
from data_access.periods import Period, as_shown, format_date, periods_for_snapshot, year_before
from data_access.policy import Policy, policy_for
from data_access.snapshots import Snapshot, SnapshotError, SnapshotState, forget_cached, open_snapshot
from data_access.views import townships_of

T = TypeVar("T")
APP_NAME = "Wigan Impact Dashboard"
SOURCE = ("Source: AllChild Impact Programmes case records, anonymised snapshot. Comparators: Department for "
          "Education (DfE) statistics via the Local Authority Interactive Tool (LAIT).")  # fmt: skip

# Every abbreviation the dashboard uses, spelled out. Each page lists the ones it uses under its heading (its
# first use on the page), and the About page's glossary lists them all.
ABBREVIATIONS: Final = {
    "CAMHS": "Child and Adolescent Mental Health Services",
    "DfE": "Department for Education",
    "EHC plan": "Education, health and care plan",
    "FSM": "Free school meals",
    "LAIT": "Local Authority Interactive Tool",
    "SDQ": "Strengths and Difficulties Questionnaire",
    "SEN": "Special educational needs",
}
PAGE_ABBREVIATIONS: Final = {
    "overview": ("SDQ", "SEN", "FSM", "DfE"),
    "enrolment": ("SEN", "EHC plan", "FSM", "DfE"),
    "attendance": ("SEN", "FSM", "DfE"),
    "referrals": ("CAMHS", "SEN", "FSM", "DfE"),
    "suspensions": ("SEN", "FSM", "DfE"),
    "school_progress": ("SDQ", "SEN", "FSM", "DfE"),
    "about": ("SDQ", "SEN", "EHC plan", "FSM", "CAMHS", "DfE", "LAIT"),
    "presentation": ("SDQ", "CAMHS", "SEN", "DfE"),
    "snapshots": ("SDQ", "SEN"),
}

# One style block for the whole app, injected by the page frame (theme options cannot reach these):
# captions dark enough on the grey sidebar (Streamlit draws them in the text colour at 60% opacity, #717273 on
# #F2F5F8, 4.4:1; now solid #595C61, 6.1:1) and a focus mark on the page links that is a 3 px near-black
# outline (15:1 against the sidebar), not a faint tint.
FRAME_STYLE: Final = """
<style>
[data-testid="stCaptionContainer"] { opacity: 1 !important; color: #595C61 !important; }
[data-testid="stSidebarNav"] a:focus-visible, [data-testid="stSidebarNavLink"]:focus-visible,
[data-testid="stSidebar"] a:focus-visible {
  outline: 3px solid #1B1B1B !important; outline-offset: -3px; border-radius: .25rem; }
.st-key-page_footer_link a:focus-visible, .st-key-present_leave a:focus-visible {
  outline: 3px solid #1B1B1B; outline-offset: 2px; }
</style>
"""


@dataclass(frozen=True)
class PageContext:
    """Everything a page needs: who is looking, at which snapshot, through which filters."""

    spec: PageSpec
    viewer: Viewer
    policy: Policy
    state: SnapshotState
    snapshot: Snapshot
    filters: Filters
    periods: tuple[Period, ...]
    school_names: dict[str, str]

    @property
    def role(self) -> str:
        """The viewer's role."""
        return self.viewer.role

    @property
    def comparison(self) -> Period:
        """The period the figures are compared with: the same span a year earlier for a period "so far",
        else the same named period of the previous academic year (contract 4.1)."""
        return year_before(self.filters.period)

    @property
    def as_of_text(self) -> str:
        """The snapshot's as-of date in words."""
        return format_date(self.snapshot.snapshot_date)

    def view(self, fn: Callable[..., T], *args: Hashable, **kwargs: Hashable) -> T:
        """A cached figure: ``fn(snapshot, filters, role, *args, **kwargs)``; stops the page with a clear
        message when the snapshot has become unreadable while being served."""
        try:
            return cached(fn, self.snapshot, self.filters, self.role, *args, **kwargs)
        except SnapshotError as error:
            _unreadable(self.snapshot, error)

    def derive(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` on figures from ``view``, once (``dashboard.data.derived``): a long form for a
        chart, the funnel's points; not redone on a rerun that changed nothing."""
        return derived(fn, *args, **kwargs)

    def audit_download(self, kind: str, title: str) -> None:
        """Record a download in the audit log (what and from which snapshot; never the figures)."""
        audit.record("download", self.viewer.username, format=kind, figure=title, page=self.spec.key,
                     snapshot=self.snapshot.snapshot_date.isoformat(), period=self.filters.period.key)  # fmt: skip

    @property
    def children_in_scope(self) -> int:
        """How many children the filters select for the period (0 means an empty selection)."""
        try:
            return cached(_count_in_scope, self.snapshot, self.filters)
        except SnapshotError as error:
            _unreadable(self.snapshot, error)


def _unreadable(snapshot: Snapshot, error: Exception) -> NoReturn:
    """A snapshot broke while served: forget it (the next look re-validates the root, so the last good
    snapshot is served again) and say so instead of showing a traceback."""
    forget_cached(snapshot.folder)
    refresh_state()
    st.error(
        f"The snapshot of {format_date(snapshot.snapshot_date)} could not be read, so no figures are shown: "
        f"{str(error)[:500]}. It may have been changed or removed on the server; reload the page in a moment "
        "to see the last good snapshot."
    )
    st.stop()


def _count_in_scope(snapshot: Snapshot, filters: Filters) -> int:
    return enrolment.children_in_scope(snapshot, filters).height


def _chosen_snapshot(state: SnapshotState, policy: Policy) -> Snapshot:
    assert state.current is not None
    wanted = st.query_params.get("snapshot")
    if not wanted or wanted == state.current.folder.name or not policy.may_choose_snapshot:
        if wanted and not policy.may_choose_snapshot:
            del st.query_params["snapshot"]
        return state.current
    for folder in state.valid_folders:
        if folder.name == wanted:
            return open_snapshot(folder, validate=False)
    st.warning(
        f"The snapshot '{plain(wanted[:20])}' in the link is not available; showing the current snapshot."
    )
    del st.query_params["snapshot"]
    return state.current


def _refusal_banner(state: SnapshotState, policy: Policy) -> None:
    if not state.refused or not policy.may_choose_snapshot:
        return
    for refusal in state.refused:
        with st.expander(
            f":warning: Snapshot {refusal.folder.name} was refused and is not shown", expanded=False
        ):
            st.markdown("Everyone keeps seeing the last good snapshot. The validator found:")
            st.code(refusal.summary[:6000], language=None)


@st.cache_data(show_spinner=False, max_entries=16)
def _periods(snapshot_id: str, _snapshot: Snapshot) -> tuple[Period, ...]:
    days = _snapshot.school_days.to_list()
    return tuple(periods_for_snapshot(_snapshot.first_day, _snapshot.snapshot_date, days))


def page_setup(page_key: str, *, with_filters: bool = True) -> PageContext:
    """Guard the page, load the snapshot and filters, and draw the header. Call first on every page."""
    spec = PAGES_BY_KEY[page_key]
    # No table toolbar download or copy for anyone: it bypasses the role's download policy and the audit log
    # (also in .streamlit/config.toml, which covers a session's first run).
    st.set_option("client.disableDataExport", True)
    # The browser tab names the page (WCAG 2.4.2); a later call in the same run overrides app.py's title.
    st.set_page_config(page_title=page_title(spec.title))
    st.html(FRAME_STYLE)
    viewer = require_viewer(page_key)
    policy = policy_for(viewer.role)
    try:
        state = current_state()
    except Exception as error:
        st.error(f"The snapshot folder could not be read: {error}")
        st.stop()
    if state.current is None:
        st.error(
            f"No valid snapshot was found in {state.root}. Publish one with `python -m data_access publish`, "
            "or run `make run` to create the demo snapshot."
        )
        _refusal_banner(state, policy)
        st.stop()
    snapshot = state.current
    try:
        snapshot = _chosen_snapshot(state, policy)
        periods = _periods(snapshot.id, snapshot)
        school_names = dict(snapshot.schools.select("school_id", "school_name").iter_rows())
        first_day = snapshot.first_day
    except (SnapshotError, OSError, pl.exceptions.PolarsError) as error:
        _unreadable(snapshot, error)
    default = default_period_for(snapshot.snapshot_date, list(periods))
    if with_filters:
        filters, notices = filter_sidebar(
            seed_key=snapshot.id, periods=list(periods), default_period=default, school_names=school_names,
            first_day=min(first_day, default.start), last_day=snapshot.snapshot_date,
            protected=policy.suppressed, townships=townships_of(snapshot),
        )  # fmt: skip
    else:
        filters, notices = st.session_state.get("_filters_value") or Filters(period=default), []
    # A period not over is shown "so far": to the snapshot date, or the last month end for protected roles
    # (contract 4.1); the URL keeps the named period.
    # The presentation shows protected (board paper) figures unless exact figures are turned on.
    protected = policy.suppressed or (
        page_key == "presentation" and not st.session_state.get("present_exact")
    )
    filters = replace(filters, period=as_shown(filters.period, snapshot.snapshot_date, protected))
    ctx = PageContext(spec, viewer, policy, state, snapshot, filters, periods, school_names)
    _header(ctx, notices, with_filters=with_filters)
    _refusal_banner(state, policy)
    return ctx


def _header(ctx: PageContext, notices: list[str], *, with_filters: bool = True) -> None:
    st.title(ctx.spec.title, anchor=False)
    st.markdown(f"#### {ctx.spec.question}")
    is_current = ctx.state.current is not None and ctx.snapshot.id == ctx.state.current.id
    snapshot_note = "" if is_current else " — **an earlier snapshot**, not the current one"
    in_force = ""
    if with_filters:  # a page without filters must not name a period or schools it does not use
        in_force = f" · {plain(ctx.filters.period.describe())} · " + " · ".join(
            plain(line) for line in ctx.filters.describe(ctx.school_names)[1:]
        )
    st.caption(f"Data as of **{ctx.as_of_text}**{snapshot_note}{in_force}")
    abbreviations = PAGE_ABBREVIATIONS.get(ctx.spec.key, ())
    if abbreviations:
        st.caption(abbreviations_text(abbreviations))
    for notice in notices:
        st.warning(plain(notice), icon=":material/link_off:")
    if notices:
        dismiss_notices()


def page_title(title: str) -> str:
    """The browser tab's title for a page: "Overview — Wigan Impact Dashboard"."""
    return f"{title} — {APP_NAME}"


def abbreviations_text(names: tuple[str, ...]) -> str:
    """One line spelling out ``names`` (keys of ``ABBREVIATIONS``), for the top of a page."""
    return "Abbreviations on this page: " + "; ".join(f"**{n}**: {ABBREVIATIONS[n]}" for n in names) + "."


def same_tab_link(href: str, text: str, *, key: str, icon: str = "") -> None:
    """A link that opens in the same tab (Streamlit's markdown links open a new tab, unannounced)."""
    with st.container(key=key):
        st.html(f'<p style="margin:0">{icon}<a href="{escape(href)}" target="_self">{escape(text)}</a></p>')


def empty_selection(ctx: PageContext) -> bool:
    """Show a clear message and return True when the filters select no children in the period."""
    if ctx.children_in_scope > 0:
        return False
    st.info(
        "No children on the programme match these filters in this period, so there are no figures to show. "
        "Widen the filters or choose another period in the sidebar.",
        icon=":material/filter_alt_off:",
    )
    page_footer(ctx)
    return True


def page_footer(ctx: PageContext, *, suppressed: bool = False, footnote: bool = True) -> None:
    """Source, the disclosure footnote (protected) or "Exact figures — internal use only", and a link to the
    definitions. ``footnote=False`` where each screen carries its own footnote (the presentation, whose
    figures are protected or exact by its switch, not by the viewer's role)."""
    st.divider()
    st.caption(SOURCE + f" Snapshot of {ctx.as_of_text}.")
    if footnote:
        st.caption(SUPPRESSION_FOOTNOTE if suppressed or ctx.policy.suppressed else EXACT_FOOTNOTE)
    # A plain relative link (st.page_link fails when a page runs outside st.navigation, as on a deep link),
    # opening in the same tab.
    same_tab_link("about", "How every figure is defined: About the data", key="page_footer_link")


def today() -> date:
    """Today's date (a function so tests can pin it)."""
    return date.today()
