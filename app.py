"""Wigan Impact Dashboard: the router. Page config, the sign-in gate, and navigation built from the viewer's role.

``st.navigation`` is the map, not the lock: every page script guards itself too (``dashboard.page.page_setup``),
because Streamlit runs a page file directly when a deep link is a fresh server's first request.
"""

from urllib.parse import urlparse

import streamlit as st

from dashboard.auth import require_viewer
from dashboard.registry import PAGES, pages_for

# Until a page names itself (dashboard.page.page_setup sets "<Page> — Wigan Impact Dashboard"), the only thing
# on screen is the sign-in form.
st.set_page_config(
    page_title="Sign in — Wigan Impact Dashboard", page_icon=":material/child_care:", layout="wide"
)

# Remember the page a visitor arrived for (a shared link), so that signing in takes them there.
ENTRY = "_entry_page"
if ENTRY not in st.session_state:
    st.session_state[ENTRY] = urlparse(st.context.url or "").path.rstrip("/").rsplit("/", 1)[-1]

viewer = require_viewer(None)
pages: dict[str, st.Page] = {}
sections: dict[str, list[st.Page]] = {}
for spec in pages_for(viewer.role):
    page = st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path)
    pages[spec.url_path] = page
    sections.setdefault(spec.section, []).append(page)


def _home() -> None:
    """``/`` forwards to the page the visitor arrived for (if their role may open it), else the first page.

    Streamlit serves its default page only at ``/``; a hidden default page leaves ``/overview`` a real URL
    that can be shared and reloaded. The filters in the link are kept.
    """
    wanted = pages.get(st.session_state.pop(ENTRY, ""), next(iter(pages.values())))
    st.switch_page(wanted, query_params={k: st.query_params.get_all(k) for k in st.query_params})


# Pages the role may not open are still routed, hidden from the menu, so that a shared link to one says "This
# page is not available for your role" (the page's own guard) rather than Streamlit's "Page not found".
hidden = [
    st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path, visibility="hidden")
    for spec in PAGES
    if spec.url_path not in pages
]
home = st.Page(_home, title="Home", url_path="home", default=True, visibility="hidden")
sections[next(iter(sections))].insert(0, home)
sections[next(iter(sections))].extend(hidden)
st.navigation(sections).run()
st.session_state.pop(ENTRY, None)  # a page has run: the link has been followed (or was never needed)
