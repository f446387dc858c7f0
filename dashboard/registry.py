"""The map of the dashboard: every page, its file, URL and the roles that may open it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

ALL_ROLES: Final = frozenset({"councillor", "commissioner", "allchild", "admin"})
LEADERSHIP: Final = frozenset({"allchild", "admin"})


@dataclass(frozen=True)
class PageSpec:
    """One page of the dashboard."""

    key: str
    title: str
    path: str
    icon: str
    roles: frozenset[str]
    section: str = "Programme"
    question: str = ""

    @property
    def url_path(self) -> str:
        """The page's URL path segment, e.g. ``school-progress``.

        It is also the page file's name: on a fresh server's first request Streamlit names pages after their
        files, so the two must agree for a deep link to work (a test holds them together).
        """
        return self.key.replace("_", "-")


PAGES: Final[tuple[PageSpec, ...]] = (
    PageSpec("overview", "Overview", "pages/overview.py", ":material/dashboard:", ALL_ROLES,
             question="How is the programme doing overall?"),
    PageSpec("enrolment", "Enrolment", "pages/enrolment.py", ":material/group_add:", ALL_ROLES,
             question="Who is on the programme, and how did they join and leave?"),
    PageSpec("attendance", "Attendance", "pages/attendance.py", ":material/event_available:", ALL_ROLES,
             question="Are programme children in school more often?"),
    PageSpec("referrals", "Referrals", "pages/referrals.py", ":material/psychology:", ALL_ROLES,
             question="Are fewer children being referred for mental health support?"),
    PageSpec("suspensions", "Suspensions and exclusions", "pages/suspensions.py", ":material/gavel:", ALL_ROLES,
             question="Are fewer children being suspended or excluded?"),
    PageSpec("school_progress", "School progress", "pages/school-progress.py", ":material/school:",
             frozenset({"commissioner", "allchild", "admin"}), question="How does each school compare?"),
    PageSpec("about", "About the data", "pages/about.py", ":material/info:", ALL_ROLES,
             question="Where do these figures come from, and how are they defined?"),
    PageSpec("presentation", "Presentation view", "pages/presentation.py", ":material/slideshow:", LEADERSHIP,
             section="Board meetings", question="The board's story, one screen at a time"),
    PageSpec("snapshots", "Snapshots", "pages/snapshots.py", ":material/history:", LEADERSHIP,
             section="Board meetings", question="Which snapshots exist, and what changed between them?"),
    PageSpec("users", "Users", "pages/users.py", ":material/manage_accounts:", frozenset({"admin"}),
             section="Administration", question="Who may sign in, and with which role?"),
    PageSpec("audit", "Audit log", "pages/audit.py", ":material/receipt_long:", frozenset({"admin"}),
             section="Administration", question="Who signed in, downloaded or published what, and when?"),
)  # fmt: skip
PAGES_BY_KEY: Final = {page.key: page for page in PAGES}


def pages_for(role: str) -> list[PageSpec]:
    """The pages ``role`` may open, in menu order."""
    return [page for page in PAGES if role in page.roles]
