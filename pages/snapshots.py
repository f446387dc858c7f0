"""Snapshots: every snapshot folder (valid or refused), viewing an earlier one, and what changed between two."""

from datetime import date
from pathlib import Path

import polars as pl
import streamlit as st

from dashboard.components import figure_block
from dashboard.data import cached
from dashboard.page import page_footer, page_setup
from dashboard.registry import pages_for
from data_access.compare import compare_board
from data_access.contract import TABLE_FILES
from data_access.filters import Filters
from data_access.periods import format_date
from data_access.registry import FIGURES
from data_access.snapshots import Snapshot, SnapshotError, open_snapshot, snapshot_folders
from data_access.views import BOARD_FIGURES

ctx = page_setup("snapshots")
state = ctx.state
current = state.current
assert current is not None  # page_setup stops when there is no valid snapshot
valid_names = [folder.name for folder in state.valid_folders]
COUNTED = ("schools", "children", "attendance", "referrals", "suspensions", "assessments")


def _when(name: str) -> str:
    try:
        return format_date(date.fromisoformat(name))
    except ValueError:
        return name


def _count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "–"


def _rows_of(folder: Path) -> dict[str, str]:
    """Row counts from the manifest (cheap: no Parquet file is opened)."""
    try:
        files = open_snapshot(folder, validate=False).manifest.get("files", {})
    except SnapshotError:
        return dict.fromkeys(COUNTED, "–")
    return {table: _count(files.get(TABLE_FILES[table], {}).get("rows")) for table in COUNTED}


# --- every snapshot ----------------------------------------------------------------------------------------
st.subheader("Every snapshot in the folder", anchor=False)
st.caption(
    "The newest snapshot that passes every rule of the data contract is served to everyone. A refused snapshot "
    "is never shown, in whole or in part; the validator's findings are listed below it."
)
listing: list[dict[str, str]] = []
refusals = {refusal.folder.name: refusal for refusal in state.every_refusal}
for folder in snapshot_folders(state.root):
    if folder.name in valid_names:
        if folder.name == current.folder.name:
            status = "served now"
        elif folder.name == ctx.snapshot.folder.name:
            status = "valid · viewing"
        else:
            status = "valid"
        listing.append(
            {"Snapshot": _when(folder.name), "Folder": folder.name, "Status": status, **_rows_of(folder)}
        )
    elif folder.name in refusals:
        listing.append({"Snapshot": _when(folder.name), "Folder": folder.name,
                        "Status": f"refused ({refusals[folder.name].rules_text})", **dict.fromkeys(COUNTED, "–")})  # fmt: skip
    else:  # appeared since the state was last checked: it is validated with the next check, not in this page run
        listing.append({"Snapshot": _when(folder.name), "Folder": folder.name, "Status": "not yet checked",
                        **dict.fromkeys(COUNTED, "–")})  # fmt: skip
headings = {table: f"{table.capitalize()} rows" for table in COUNTED} | {"attendance": "Attendance sessions"}
st.dataframe(pl.DataFrame(listing).rename(headings), hide_index=True, key="snapshot_list")
in_banner = {refusal.folder.name for refusal in state.refused}  # newer than the served one: shown at the top
for name, refusal in refusals.items():
    if name in in_banner:
        continue
    with st.expander(f":warning: Snapshot {name} was refused: what the validator found", expanded=False):
        st.code(refusal.summary[:6000], language=None)

# --- view an earlier snapshot ------------------------------------------------------------------------------
st.subheader("View an earlier snapshot", anchor=False)
viewing_earlier = ctx.snapshot.folder.name != current.folder.name
if viewing_earlier:
    st.info(
        f"You are viewing the snapshot of **{ctx.as_of_text}**, not the current one ({format_date(current.snapshot_date)})."
        " Every page opened from the links below shows it too; the link can be shared.",
        icon=":material/history:",
    )
    if st.button("Back to current snapshot", key="snapshot_back", icon=":material/update:"):
        del st.query_params["snapshot"]
        st.rerun()
if len(valid_names) > 1:
    chosen = st.selectbox(
        "Snapshot to view", valid_names, index=valid_names.index(ctx.snapshot.folder.name), key="snapshot_choice",
        format_func=lambda n: _when(n) + (" (current)" if n == current.folder.name else ""),
    )  # fmt: skip
    if st.button("View this snapshot", key="snapshot_view", icon=":material/visibility:"):
        if chosen == current.folder.name:
            if "snapshot" in st.query_params:
                del st.query_params["snapshot"]
        else:
            st.query_params["snapshot"] = chosen
        st.rerun()
    if viewing_earlier:
        name = ctx.snapshot.folder.name
        links = [f"[{page.title}]({page.url_path}?snapshot={name})" for page in pages_for(ctx.role)
                 if page.section == "Programme"]  # fmt: skip
        st.markdown("Open with this snapshot: " + " · ".join(links))
else:
    st.caption("There is only one valid snapshot, so there is no earlier one to view.")


# --- what changed ----------------------------------------------------------------------------------------
def _comparison(
    before: Snapshot, after_folder: str, after_id: str, filters: Filters, role: str, public: bool
):  # type: ignore[no-untyped-def]
    """The comparison, cached by both snapshots' ids (``after_id`` is in the cache key only)."""
    return compare_board(
        before, open_snapshot(Path(after_folder), validate=False), filters, role, public=public
    )


st.subheader("What changed between two snapshots", anchor=False)
st.caption(
    "Each board figure as each snapshot gives it, for the same period and filters (chosen in the sidebar). "
    "A later snapshot can revise earlier figures: late attendance marks, corrected records, children added. "
    "A change is only worked out between two shown numbers, never from a hidden one."
)
if len(valid_names) < 2:
    st.info(
        "There is only one valid snapshot, so there is nothing to compare yet.",
        icon=":material/compare_arrows:",
    )
    page_footer(ctx)
    st.stop()
columns = st.columns(2)
after_default = valid_names.index(current.folder.name)
before_name = columns[0].selectbox(
    "Before",
    valid_names,
    index=min(after_default + 1, len(valid_names) - 1),
    key="compare_before",
    format_func=_when,
)
after_name = columns[1].selectbox(
    "After", valid_names, index=after_default, key="compare_after", format_func=_when
)
public = st.toggle(
    "As a public board paper shows it (small numbers hidden)", key="compare_public",
    help="Applies the disclosure-control rules to both snapshots before any change is worked out.",
)  # fmt: skip
if before_name == after_name:
    st.info("Choose two different snapshots to see what changed.", icon=":material/compare_arrows:")
    page_footer(ctx)
    st.stop()
try:
    before_snapshot = open_snapshot(state.root / before_name, validate=False)
    after_snapshot = open_snapshot(state.root / after_name, validate=False)
    comparison = cached(
        _comparison,
        before_snapshot,
        str(after_snapshot.folder),
        after_snapshot.id,
        ctx.filters,
        ctx.role,
        public,
    )
    names = dict(before_snapshot.schools.select("school_id", "school_name").iter_rows())
    names |= dict(after_snapshot.schools.select("school_id", "school_name").iter_rows())
except SnapshotError as error:
    st.error(f"The snapshots could not be compared: {error}")
    page_footer(ctx)
    st.stop()

only_changed = st.toggle("Only figures that changed", key="compare_only_changed", value=False)
shown = comparison.display()
shown = shown.with_columns(
    pl.col("figure").replace({name: FIGURES[name].title for name in BOARD_FIGURES}),
    pl.col("school_id").replace(names | {"all": "All selected schools"}),
)
if only_changed:
    shown = shown.filter(~pl.col("change").is_in(["0", "0.0"]))
before_label = f"Before ({_when(before_name)})"
after_label = f"After ({_when(after_name)})"
shown = shown.rename({"figure": "Figure", "school_id": "School", "before": before_label, "after": after_label,
                      "change": "Change"})  # fmt: skip
figure_block(
    ctx, key="compare", title=f"Board figures: {_when(before_name)} and {_when(after_name)} snapshots",
    description=(f"Each board figure for {ctx.filters.period.describe()} as the {_when(before_name)} snapshot "
                 f"gave it and as the {_when(after_name)} snapshot gives it, with the change."),
    chart=None, table=shown, suppressed=comparison.has_suppressed_values, definitions=BOARD_FIGURES,
    note="'not in snapshot' marks a school that one of the two snapshots does not hold.",
)  # fmt: skip
page_footer(ctx, suppressed=comparison.has_suppressed_values)
