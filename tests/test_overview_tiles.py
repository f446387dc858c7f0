"""The Overview tiles on the demo snapshot (20 Nov 2026): 2026/27 "so far", compared with the same point last
year, and "no clear change" where the contract's test says so (issue 12)."""

from __future__ import annotations

import pytest
from apptest_support import open_page

pytestmark = pytest.mark.usefixtures("demo_env")


def _tiles(role: str) -> tuple[dict[str, tuple[str, str]], list[str]]:
    at = open_page("overview", role)
    assert not at.exception
    tiles = {m.label: (m.value, m.delta) for m in at.metric}
    return tiles, [c.value for c in at.caption]


def test_allchild_tiles_compare_so_far_with_the_same_point_last_year() -> None:
    tiles, captions = _tiles("allchild")
    text = " ".join(captions)
    assert "Academic year 2026/27 so far, to 20 Nov 2026 (1 Aug 2026 – 20 Nov 2026)" in text
    assert "the same point last year, Academic year 2025/26 to 20 Nov 2025 (1 Aug 2025 – 20 Nov 2025)" in text
    # 8 referrals among 138 children against 5 among 119, and 6 suspensions against 2: both rose, and
    # neither rise is significant (exact conditional test), so neither is coloured or called worse.
    assert tiles["Mental health referrals"] == ("8", "+3 · no clear change")
    assert tiles["Suspensions"] == ("6", "+4 · no clear change")
    assert tiles["Children on the programme"] == ("138", "+19")  # a census: its change, no test
    assert tiles["Improved on SDQ total difficulties"][1].endswith("· no clear change")
    assert "Same point last year: 5" in captions and "Same point last year: 2" in captions


def test_councillor_tiles_end_at_the_last_month_end() -> None:
    tiles, captions = _tiles("councillor")
    text = " ".join(captions)
    assert "Academic year 2026/27 so far, to 31 Oct 2026 (1 Aug 2026 – 31 Oct 2026)" in text
    assert "(1 Aug 2025 – 31 Oct 2025)" in text
    # A hidden side (c) gets no change and no test.
    for value, delta in tiles.values():
        if value == "c":
            assert delta == ""
    assert all("better" not in d and "worse" not in d for _, d in tiles.values())
