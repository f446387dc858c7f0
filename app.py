"""Wigan Impact Dashboard: the router. Page config, the sign-in gate, and navigation built from the viewer's role.

``st.navigation`` is the map, not the lock: every page script guards itself too (``dashboard.page.page_setup``),
because Streamlit runs a page file directly when a deep link is a fresh server's first request.
"""

import streamlit as st

from dashboard.auth import require_viewer
from dashboard.registry import pages_for

st.set_page_config(page_title="Wigan Impact Dashboard", page_icon=":material/child_care:", layout="wide")

viewer = require_viewer(None)
sections: dict[str, list[st.Page]] = {}
for spec in pages_for(viewer.role):
    sections.setdefault(spec.section, []).append(
        st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path)
    )
first_page = next(iter(sections.values()))[0]


def _home() -> None:
    """``/`` forwards to the first page, keeping the filters in the link.

    Streamlit serves its default page only at ``/``; a hidden default page leaves ``/overview`` a real URL
    that can be shared and reloaded.
    """
    st.switch_page(first_page, query_params={k: st.query_params.get_all(k) for k in st.query_params})


home = st.Page(_home, title="Home", url_path="home", default=True, visibility="hidden")
sections[next(iter(sections))].insert(0, home)
st.navigation(sections).run()
