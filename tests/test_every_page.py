"""Every page, for every role, opened directly (as a deep link would) on a tiny hand-built snapshot.

A role that may open the page sees it without an exception; any other role sees "not available for your
role" and no figures. The demo snapshot is covered page by page in the other test_pages_* files.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from apptest_support import open_page, point_app_at
from builders import child, make_snapshot, school, sessions

from dashboard.registry import PAGES
from data_access.contract import ROLES
from data_access.demo import DEMO_SCHOOLS


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two schools, twelve children: enough for every page to have something (and some c) to show."""
    root = tmp_path_factory.mktemp("tiny-root")
    children = [
        child(f"C{i:02d}", school_id="S01" if i < 9 else "S02", year_group=3 + i % 4,
              enrolled_date=date(2025, 9, 1 + i), identified_date=date(2025, 8, 20))
        for i in range(12)
    ]  # fmt: skip
    attendance = [
        row
        for i in range(12)
        for row in sessions(f"C{i:02d}", date(2025, 9, 15), ["/"] * 36 + ["N"] * (i % 5))
    ]
    referrals = [
        {"referral_id": f"R{i}", "child_id": f"C{i:02d}", "referral_date": date(2025, 11, 3),
         "service": "camhs", "reason": "mental_health"} for i in range(6)
    ]  # fmt: skip
    assessments = [
        {"child_id": f"C{i:02d}", "assessment_date": d, "wave": w, "measure": "sdq_total", "score": s}
        for i in range(12)
        for d, w, s in ((date(2025, 9, 20), "baseline", 20.0), (date(2026, 3, 20), "review", 20.0 - i))
    ]  # fmt: skip
    # Named as demo schools, so the root counts as demo data and the demo accounts may sign in.
    names = [row[1] for row in DEMO_SCHOOLS[:2]]
    schools = [school("S01", school_name=names[0]), school("S02", school_name=names[1])]
    make_snapshot(root, schools=schools, children=children, attendance=attendance,
                  referrals=referrals, assessments=assessments)  # fmt: skip
    return root


@pytest.fixture
def tiny_env(tiny_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    point_app_at(tiny_root, tmp_path / "state", monkeypatch)
    return tiny_root


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("spec", PAGES, ids=[p.key for p in PAGES])
def test_page_opens_for_allowed_roles_and_refuses_the_others(tiny_env: Path, spec, role: str) -> None:
    at = open_page(spec.key, role, {"period": "2025-26"})
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    if role in spec.roles:
        assert not any("not available for your role" in e for e in errors), errors
    else:
        assert any("not available for your role" in e for e in errors), errors
        assert not at.metric and not at.dataframe
