"""Audit log (admin only): sign-ins, failures, lockouts, logouts, user changes, downloads and publications.

Newest first, filtered by event type. The log records who did what and when, never figures.
"""

import json

import streamlit as st

from dashboard import audit
from dashboard.auth import require_viewer

require_viewer("audit")

st.title("Audit log", anchor=False)
st.caption("Newest first. Kept as JSON lines in the state folder (IMPACT_STATE_DIR/audit.jsonl).")

chain = audit.chain_report()
if not chain.intact:
    st.error(
        f"**The audit log has been tampered with or damaged.** Its hash chain breaks at line {chain.broken_at} "
        f"of {chain.lines}: {chain.reason}. Lines at and after it cannot be trusted. Run "
        "`python -m dashboard audit verify` and compare the file with its backup.",
        icon=":material/gpp_bad:",
    )
else:
    st.caption(f"Hash chain intact over {chain.lines} lines (head {chain.head[:16]}…).")

types = audit.event_types()
left, right = st.columns([3, 1])
chosen = left.multiselect("Event types", types, key="audit_event_types", placeholder="All event types")
limit = right.number_input(
    "Show at most", min_value=10, max_value=100_000, value=500, step=100, key="audit_limit"
)

events = audit.read_events(limit=int(limit), events=set(chosen) or None)
if not events:
    st.info("No events recorded yet." if not types else "No events of these types.")
else:
    st.dataframe(
        [
            {
                "time (UTC)": event.get("timestamp", ""),
                "event": event.get("event", ""),
                "username": event.get("username") or "",
                "details": json.dumps(event.get("details") or {}, ensure_ascii=False, sort_keys=True),
            }
            for event in events
        ],
        hide_index=True,
        width="stretch",
    )
    st.caption(f"{len(events)} event{'s' if len(events) != 1 else ''} shown.")
