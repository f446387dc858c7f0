"""Several people at once on one running server, over Streamlit's own websocket protocol (no browser).

AppTest runs one session in-process, so it cannot see what only concurrency shows. After the issue 11-15
merges, every websocket handshake hung as soon as two sessions ran scripts at once (two script threads in
polars ``map_elements`` while the event loop waited); only the load test found it. Here four sessions, one
per role, each tour every page they may open and change a filter on each, all at the same time; every
action must answer, with no exception shown. The load test's own client (``benchmarks/load_test.py``) is
used, so this is the same protocol the board meeting's measurements go through.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from conftest import Server

from benchmarks.load_test import ROLES, Results, pages_for, run_ws_clients


def test_one_session_per_role_at_once_every_action_answers(app_server: Server) -> None:
    tour = max(len(pages_for(role)) for role in ROLES) * 2  # a page and a filter change on each
    results = Results()
    # Each session stops after its tour; the deadline only bounds a hung server (then the actions time out).
    # Its own thread and event loop: Playwright's sync API (other browser tests in this worker) may hold one.
    clients = run_ws_clients(app_server.base_url, sessions=len(ROLES), duration=300,
                             max_actions=len(ROLES) * tour, timeout_ms=90_000, results=results)  # fmt: skip
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, clients).result()
    assert not results.errors, (
        "\n".join(results.errors[:5]) + "\n\nserver log (end):\n" + app_server.log()[-3000:]
    )
    assert len(results.sign_in_times) == len(ROLES), "every person signed in"
    assert results.actions == len(ROLES) * tour, f"{results.actions} of {len(ROLES) * tour} actions answered"
    assert results.filter_times, "the filters were changed too"
