"""Golden outputs: ``report`` (JSON and CSV, every role) and the board story must not change by a byte.

Issue 11 (contract version 2, section 6) re-baselined the PROTECTED outputs (councillor, commissioner, and the
story's public board-pack values): the cell key method replaced version 1's suppression, and rule 6 refuses the
custom ranges and the two-school subset for protected roles (checked here as exit 2). The exact roles' figures
were kept byte-identical (their CSV files did not change; their JSON gained only section 7's ``complete`` and
``disclosure_control`` keys).

The files under ``tests/golden/`` were written by the code as it stood before the data layer was reorganised
(issue 10), and every later change must reproduce them exactly. They are not answers worked out on paper (the
figures' definitions are proven in ``test_figures.py`` and ``test_trends.py``); they pin that a restructure
changes no figure, no rounding, no ``c`` and no row order. After a deliberate change to a figure, regenerate
them with ``UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from builders import child, make_snapshot, school, sessions

from data_access.cli import main
from data_access.contract import ROLES
from data_access.demo import write_demo_snapshot
from data_access.policy import POLICIES

GOLDEN = Path(__file__).parent / "golden"
PROTECTED_ROLES = {role for role, policy in POLICIES.items() if policy.suppressed}
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

# (name, --from, --to, schools): a year, two terms (autumn 2025 = 1 Aug–31 Dec, spring 2026 = 1 Jan–Easter
# Sunday 5 April), a custom range crossing a month and a half-term, a single day and a school subset.
PERIODS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("year-2025", "2025-08-01", "2026-07-31", ()),
    ("year-2024", "2024-08-01", "2025-07-31", ()),
    ("autumn-2025", "2025-08-01", "2025-12-31", ()),
    ("spring-2026", "2026-01-01", "2026-04-05", ()),
    ("autumn-2026", "2026-08-01", "2026-12-31", ()),
    ("custom-oct-nov-2025", "2025-10-06", "2025-11-14", ()),
    ("one-day", "2025-10-07", "2025-10-07", ()),
    ("subset-year-2025", "2025-08-01", "2026-07-31", ("S02", "S01")),
]


def _run(
    folder: Path, date_from: str, date_to: str, schools: tuple[str, ...], role: str, fmt: str
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = ["report", str(folder), "--from", date_from, "--to", date_to, "--role", role, "--format", fmt]
    for school_id in schools:
        args += ["--school", school_id]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def _report(folder: Path, date_from: str, date_to: str, schools: tuple[str, ...], role: str, fmt: str) -> str:
    code, out, err = _run(folder, date_from, date_to, schools, role, fmt)
    assert code == 0, err
    return out


# Contract section 6, rule 6: protected roles get academic years and terms only, and one school, one township
# or all schools. The golden periods that are custom ranges, or two schools of different townships, are refused.
REFUSED_FOR_PROTECTED = {"custom-oct-nov-2025", "one-day", "subset-year-2025"}


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1 once"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def _all_reports(folder: Path, label: str, periods: list[tuple[str, str, str, tuple[str, ...]]]) -> None:
    for name, date_from, date_to, schools in periods:
        for role in ROLES:
            for fmt in ("json", "csv"):
                if role in PROTECTED_ROLES and name in REFUSED_FOR_PROTECTED:
                    code, out, err = _run(folder, date_from, date_to, schools, role, fmt)
                    assert code == 2 and out == "" and "rule 6" in err, (name, role, code, err)
                    continue
                _check(
                    f"{label}/report-{name}-{role}.{fmt}",
                    _report(folder, date_from, date_to, schools, role, fmt),
                )


def _mixed_snapshot(root: Path, seed: int, n_children: int, snapshot_date: str) -> Path:
    """A seeded small snapshot with every table filled: three schools, sessions of every kind, events, SDQ.

    Not worked out on paper (``test_figures.py`` does that); it only has to exercise every branch of every
    figure (small counts that are suppressed, zeros, rates with nothing to compute, exits, a school with no one).
    """
    rng = random.Random(seed)
    codes = ["/", "/", "/", "/", "/", "L", "N", "C", "E", "X", "#", "G", "U", "I", "M", "B"]
    kids: list[dict[str, Any]] = []
    attendance: list[dict[str, Any]] = []
    referrals: list[dict[str, Any]] = []
    suspensions: list[dict[str, Any]] = []
    assessments: list[dict[str, Any]] = []
    start = date(2024, 9, 2)
    for i in range(n_children):
        child_id = f"K{i:03d}"
        school_id = rng.choice(["S01", "S01", "S02", "S03"])
        enrolled = start + timedelta(days=rng.randrange(0, 400))
        exited = enrolled + timedelta(days=rng.randrange(60, 500)) if rng.random() < 0.3 else None
        kids.append(
            child(
                child_id,
                school_id=school_id,
                year_group=rng.randrange(1, 12),
                sex=rng.choice(["female", "male", "not recorded"]),
                fsm_eligible=rng.random() < 0.5,
                sen_provision=rng.choice(["none", "none", "sen_support", "ehcp"]),
                identified_date=enrolled - timedelta(days=7),
                enrolled_date=enrolled,
                exit_date=exited,
                exit_reason="completed" if exited else None,
            )
        )
        absent_bias = rng.random()
        n_sessions = rng.randrange(0, 160) * 2
        day_codes = [rng.choice(codes) if rng.random() < absent_bias else "/" for _ in range(n_sessions)]
        attendance += sessions(child_id, enrolled, day_codes)
        for r in range(rng.randrange(0, 3)):
            referrals.append(
                {
                    "referral_id": f"R{i:03d}-{r}",
                    "child_id": child_id,
                    "referral_date": enrolled + timedelta(days=rng.randrange(0, 400)),
                    "service": rng.choice(["camhs", "early_help", "school_nursing"]),
                    "reason": rng.choice(["mental_health", "mental_health", "behaviour", "other"]),
                }
            )
        for s in range(rng.randrange(0, 2)):
            suspensions.append(
                {
                    "event_id": f"E{i:03d}-{s}",
                    "child_id": child_id,
                    "start_date": enrolled + timedelta(days=rng.randrange(0, 400)),
                    "kind": "permanent_exclusion" if rng.random() < 0.1 else "suspension",
                    "sessions": rng.randrange(1, 10),
                }
            )
        if rng.random() < 0.8:
            for measure, low, high in (("sdq_total", 0, 40), ("wellbeing", 12, 60), ("reading", 1, 4)):
                base = rng.randrange(low, high + 1)
                assessments.append(
                    {
                        "child_id": child_id,
                        "assessment_date": enrolled + timedelta(days=10),
                        "wave": "baseline",
                        "measure": measure,
                        "score": float(base),
                    }
                )
                if rng.random() < 0.7:
                    later = min(high, max(low, base + rng.randrange(-6, 7)))
                    assessments.append(
                        {
                            "child_id": child_id,
                            "assessment_date": enrolled + timedelta(days=150),
                            "wave": "review",
                            "measure": measure,
                            "score": float(later),
                        }
                    )
    schools = [
        school("S03"),
        school("S01", township="Wigan"),
        school("S02", phase="secondary"),
        school("S04"),
    ]
    return make_snapshot(
        root,
        snapshot_date,
        schools=schools,
        children=kids,
        attendance=attendance,
        referrals=referrals,
        suspensions=suspensions,
        assessments=assessments,
    )


def _story_text(folder: Path, date_from: date, date_to: date, role: str, public: bool) -> str:
    """The story's shown values (headlines, each chart's table and notes, the school table) as plain text."""
    from dashboard.story import build_story
    from data_access.filters import Filters
    from data_access.periods import custom
    from data_access.snapshots import open_snapshot

    snapshot = open_snapshot(folder)
    story = build_story(snapshot, Filters(period=custom(date_from, date_to)), role, public=public)
    lines = [f"period={story.period.label} before={story.before.label} suppressed={story.suppressed}"]
    for h in story.headlines:
        lines.append(
            json.dumps(
                [
                    h.name,
                    h.title,
                    h.now_text,
                    h.before_text,
                    h.change_text,
                    h.direction_text,
                    list(h.comparators),
                    h.comparator_summary,
                ]
            )
        )
    for chart in (*story.charts, story.schools):
        lines.append(f"== {chart.key}: {chart.title}")
        lines.append(chart.description)
        lines.append(f"note={chart.note!r} definitions={list(chart.definitions)}")
        lines.append(chart.shown().write_csv())
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("golden-tiny")


def test_report_on_the_demo_snapshot_is_unchanged(demo_root: Path) -> None:
    _all_reports(demo_root / "2026-11-20", "demo", PERIODS)


def test_report_on_a_smaller_demo_is_unchanged(tmp_path: Path) -> None:
    folder = write_demo_snapshot(tmp_path, children=40, seed=7, snapshot_date="2026-03-13")
    _all_reports(folder, "demo40", [p for p in PERIODS if p[1] < "2026-03-13" and "S02" not in p[3]])


@pytest.mark.parametrize(("seed", "n_children"), [(1, 30), (2, 12)])
def test_report_on_hand_built_snapshots_is_unchanged(tiny_root: Path, seed: int, n_children: int) -> None:
    folder = _mixed_snapshot(tiny_root / f"seed{seed}", seed, n_children, "2026-06-30")
    _all_reports(folder, f"tiny{seed}", [p for p in PERIODS if p[1] < "2026-06-30"])


@pytest.mark.parametrize(("role", "public"), [("councillor", True), ("admin", False), ("allchild", True)])
def test_story_values_are_unchanged(demo_root: Path, role: str, public: bool) -> None:
    for name, date_from, date_to, _ in PERIODS[:6]:
        text = _story_text(
            demo_root / "2026-11-20", date.fromisoformat(date_from), date.fromisoformat(date_to), role, public
        )
        _check(f"story/{name}-{role}-{'public' if public else 'screen'}.txt", text)
