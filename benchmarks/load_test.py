"""Load test: many people opening the dashboard at once before a board meeting (not a pytest test).

Starts ``streamlit run app.py`` on a free loopback port against a demo snapshot (made once and cached under
``benchmarks/.cache``), or targets a server that is already running (``--url``, http or https with a
self-signed certificate, loopback only), then runs concurrent sessions. Each session signs in as a demo
account (the four roles in turn), then, until the time or action budget runs out, opens every page its role
may see and changes a filter (free school meals) on each page that has filters. With ``--think SECONDS``
each person reads for a while after each action (uniform between 0.5x and 1.5x the mean), as at a board
meeting; without it every session acts back to back (a stress test).

Two clients, both real Streamlit clients:
  * ``--client ws`` (default): Streamlit's own websocket protocol, with its own protobuf messages: the
    session sends what a browser sends (a rerun request with the query string, the page and the widget
    states) and reads every message of the run until the script has finished. Light enough that 25
    sessions load the server, not the machine.
  * ``--client browser``: headless Chromium (Playwright, ``/usr/bin/chromium``), one browser context per
    session spread over a few browser processes, clicking the sidebar and the filter. Faithful, but each
    tab renders the whole app in software: on a 2-core machine 25 tabs starve the server of CPU, so use it
    with a handful of sessions.

It reports:
  * errors (must be 0): an exception box on a page (``[data-testid="stException"]``, or an exception
    element in the protocol), a page that did not show its title, or a sign-in, navigation or filter
    change that did not finish within the timeout;
  * page times, p50 and p95 (request -> the page's script run finished), overall and per page, filter-change
    times overall and per page, sign-in times;
  * the server's CPU seconds per action (user + system CPU of the server processes / actions: robust to other
    work on the machine, unlike the times), its peak resident memory, the machine's load average.

``--suite`` (what ``make load-test`` runs) does in one go: single process (1 session; 25 sessions stress;
25 sessions with 5 s think time), the same through a replicated setup when one is given (``--url`` with
``--pids``, or ``--replicas N``: N local processes behind a measurement-only balancer), then a soak
(``--soak`` seconds, default 600) recording the server's memory curve. ``--profile`` samples the server with
py-spy during a single run and prints where its CPU goes.

Traffic goes to 127.0.0.1 only; every run is bounded in sessions (at most 50), actions (at most 20,000) and
seconds (at most 600 a scenario, 3,600 for the soak), and stops by itself.

    .venv/bin/python benchmarks/load_test.py --children 250 --sessions 25 --duration 90 [--think 5]
    .venv/bin/python benchmarks/load_test.py --suite [--quick] [--replicas 2] [--url https://127.0.0.1:8443 --pids 1,2]

Exit code 0 when there were no errors, 1 otherwise. A JSON copy of the report goes to
``benchmarks/results/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import os
import random
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dashboard.registry import pages_for  # noqa: E402 - after the path is set

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ROLES = ("councillor", "commissioner", "allchild", "admin")
PASSWORD = "demo-password"
EXCEPTION = '[data-testid="stException"]'
RUNNING = '[data-testid="stStatusWidget"]'
MAX_SESSIONS = 50
MAX_SECONDS = 600.0
MAX_SOAK_SECONDS = 3600.0
MAX_ACTIONS = 20_000
RESULTS = REPO / "benchmarks" / "results"


@dataclass
class Results:
    """What every session measured."""

    page_times: list[float] = field(default_factory=list)
    by_page: dict[str, list[float]] = field(default_factory=dict)
    filter_times: list[float] = field(default_factory=list)
    filter_by_page: dict[str, list[float]] = field(default_factory=dict)
    sign_in_times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    actions: int = 0
    pages_by_role: dict[str, list[str]] = field(default_factory=dict)


class Think:
    """Reading time after each action: uniform between 0.5x and 1.5x ``mean`` seconds (0: no pause)."""

    def __init__(self, mean: float, seed: int) -> None:
        self.mean = max(0.0, mean)
        self.random = random.Random(seed)

    async def pause(self, deadline: float) -> None:
        if self.mean <= 0:
            return
        wait = self.random.uniform(0.5 * self.mean, 1.5 * self.mean)
        await asyncio.sleep(max(0.0, min(wait, deadline - time.monotonic())))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_root(children: int) -> Path:
    """A snapshot root holding the demo snapshot of ``children`` children (made once, then reused)."""
    root = REPO / "benchmarks" / ".cache" / f"load-test-{children}" / "snapshots"
    if not any(root.glob("????-??-??")):
        subprocess.run(
            [sys.executable, "-m", "data_access", "demo", str(root), "--children", str(children)],
            cwd=REPO, check=True,
        )  # fmt: skip
    return root


def memory_kib(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` (peak) of a process, in KiB, from /proc."""
    found: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    except OSError:
        pass
    return found


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used, from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values) - idle) / tick, sum(values) / tick


def loopback_url(url: str) -> str:
    """``url`` without a trailing slash, refused unless it is http(s) on a loopback address."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https"):
        raise SystemExit(f"--url must be http:// or https://, not {url!r}")
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"--url must point at this machine's loopback (127.0.0.1, ::1, localhost): {url!r}")
    return url.rstrip("/")


def tls_context(url: str) -> ssl.SSLContext | None:
    """For https on loopback: a context that accepts the stack's self-signed certificate."""
    if not url.startswith("https://"):
        return None
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def wait_healthy(url: str, process: subprocess.Popen[bytes] | None, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    context = tls_context(url)
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2, context=context) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server was not healthy within {timeout} s")


def start_server(app_dir: Path, root: Path, port: int, state: Path, name: str = "server",
                 post_script_gc: bool | None = None) -> subprocess.Popen[bytes]:  # fmt: skip
    """``streamlit run app.py`` in demo mode (demo snapshot, no credentials file), loopback only.

    ``post_script_gc`` overrides ``runner.postScriptGC`` of ``.streamlit/config.toml`` (to measure "before").
    """
    env = {
        **os.environ,
        "IMPACT_SNAPSHOT_ROOT": str(root),
        "IMPACT_STATE_DIR": str(state / "state"),
        "IMPACT_CREDENTIALS_FILE": str(state / "no-credentials.yaml"),
    }
    env["IMPACT_ENV"] = "demo"  # the demo accounts exist only when asked for
    if post_script_gc is not None:
        env["STREAMLIT_RUNNER_POST_SCRIPT_GC"] = "true" if post_script_gc else "false"
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
        "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    log = (state / f"{name}.log").open("wb")
    return subprocess.Popen(command, cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT)


async def settle(page: Any, timeout_ms: float) -> None:
    """Wait until the script run has finished: the 'running' status widget has gone and stayed gone."""
    deadline = time.monotonic() + timeout_ms / 1000
    quiet = 0
    while time.monotonic() < deadline:
        running = await page.locator(RUNNING).count()
        quiet = quiet + 1 if running == 0 else 0
        if quiet >= 3:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("the page kept running")


async def check_page(page: Any, what: str, results: Results) -> bool:
    if await page.locator(EXCEPTION).count():
        text = (await page.locator(EXCEPTION).first.inner_text())[:200].replace("\n", " ")
        results.errors.append(f"{what}: exception shown: {text}")
        return False
    return True


async def sign_in(page: Any, url: str, username: str, timeout_ms: float) -> None:
    await page.goto(url, timeout=timeout_ms)
    await page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    await page.wait_for_selector(".st-key-login_username input", timeout=timeout_ms)
    await page.fill(".st-key-login_username input", username)
    await page.fill(".st-key-login_password input", PASSWORD)
    await page.click(".st-key-login_submit button")
    await page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=timeout_ms)
    await page.locator("h1").filter(has_text="Overview").first.wait_for(timeout=timeout_ms)  # the first page
    await settle(page, timeout_ms)


async def change_filter(page: Any, turn: int, timeout_ms: float) -> bool:
    """Change the free-school-meals filter in the sidebar; False when the page has no filters."""
    # Exact roles have the free school meals box (f_fsm); protected roles one "Children" box (f_char, contract
    # section 6, rule 6: at most one characteristic value) offering the same choice.
    widget = "f_fsm"
    choices = (("Eligible", "fsm=yes"), ("Not eligible", "fsm=no"), ("All children", None))
    box = page.locator(f'[data-testid="stSidebar"] .st-key-{widget} input[role="combobox"]')
    if not await box.count():
        widget = "f_char"
        choices = (("Free school meals: eligible", "fsm=yes"), ("Free school meals: not eligible", "fsm=no"),
                   ("All children", None))  # fmt: skip
        box = page.locator(f'[data-testid="stSidebar"] .st-key-{widget} input[role="combobox"]')
    if not await box.count():
        return False
    choice, in_link = choices[turn % 3]
    option = page.get_by_role("option", name=choice, exact=True)
    for attempt in range(4):  # the list may not open when the click lands while the sidebar re-renders
        await page.locator(
            f'[data-testid="stSidebar"] .st-key-{widget} button[aria-label="Open"]'
        ).first.click(timeout=timeout_ms)
        try:
            await option.wait_for(state="visible", timeout=5000)
            break
        except Exception:
            if attempt == 3:
                raise
            await page.keyboard.press("Escape")
    await option.click(timeout=timeout_ms)
    # The run writes the filters into the link, then finishes: wait for both.
    if in_link:
        await page.wait_for_function(f"location.search.includes({in_link!r})", timeout=timeout_ms)
    else:
        await page.wait_for_function("!location.search.includes('fsm=')", timeout=timeout_ms)
    await settle(page, timeout_ms)
    return True


async def session(
    index: int, browser: Any, url: str, deadline: float, max_actions: int, timeout_ms: float, results: Results,
    think: float = 0.0,
) -> None:  # fmt: skip
    role = ROLES[index % len(ROLES)]
    specs = pages_for(role)
    reader = Think(think, seed=index)
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, ignore_https_errors=True)
    page = await context.new_page()
    actions = 0
    try:
        started = time.monotonic()
        try:
            await sign_in(page, url, f"demo-{role}", timeout_ms)
        except Exception as error:  # any failure to sign in is an error of the run
            results.errors.append(
                f"session {index} ({role}) sign-in failed: {type(error).__name__}: {error}"[:300]
            )
            return
        results.sign_in_times.append(time.monotonic() - started)
        if not await check_page(page, f"session {index} ({role}) first page", results):
            return
        turn = 0
        while time.monotonic() < deadline and actions < max_actions:
            for spec in specs:
                if time.monotonic() >= deadline or actions >= max_actions:
                    break
                what = f"session {index} ({role}) {spec.key}"
                started = time.monotonic()
                try:
                    link = page.locator('[data-testid="stSidebarNav"] a').filter(has_text=spec.title).first
                    await link.click(timeout=timeout_ms)
                    await page.locator("h1").filter(has_text=spec.title).first.wait_for(timeout=timeout_ms)
                    await settle(page, timeout_ms)
                except Exception as error:
                    results.errors.append(f"{what}: navigation failed: {type(error).__name__}: {error}"[:300])
                    return
                results.page_times.append(time.monotonic() - started)
                results.by_page.setdefault(spec.key, []).append(results.page_times[-1])
                actions += 1
                if not await check_page(page, what, results):
                    return
                await reader.pause(deadline)
                if time.monotonic() >= deadline or actions >= max_actions:
                    break
                started = time.monotonic()
                try:
                    changed = await change_filter(page, turn, timeout_ms)
                except Exception as error:
                    results.errors.append(
                        f"{what}: filter change failed: {type(error).__name__}: {error}"[:300]
                    )
                    return
                if changed:
                    turn += 1
                    results.filter_times.append(time.monotonic() - started)
                    results.filter_by_page.setdefault(spec.key, []).append(results.filter_times[-1])
                    actions += 1
                    if not await check_page(page, f"{what} after a filter change", results):
                        return
                    await reader.pause(deadline)
    finally:
        results.actions += actions
        await context.close()


async def run_clients(url: str, sessions: int, browsers: int, duration: float, max_actions: int,
                      timeout_ms: float, results: Results, think: float = 0.0) -> None:  # fmt: skip
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = [
            await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for _ in range(max(1, min(browsers, sessions)))
        ]
        try:
            deadline = time.monotonic() + duration
            per_session = max(1, max_actions // sessions)
            tasks = []
            for index in range(sessions):
                tasks.append(session(index, launched[index % len(launched)], url, deadline, per_session,
                                     timeout_ms, results, think))  # fmt: skip
                await asyncio.sleep(0.2)  # people arrive over a few seconds, not in the same millisecond
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=duration + 4 * timeout_ms / 1000 + 60)
        finally:
            for browser in launched:
                await browser.close()


# --- the websocket client: Streamlit's own protocol (BackMsg / ForwardMsg protobufs) -------------------------


class StreamlitSession:
    """One browser tab, spoken in Streamlit's websocket protocol: rerun requests out, page deltas in.

    It keeps what a browser keeps between runs (the query string, the widget ids it was shown, the pages of
    the navigation) and sends what a browser sends: a ``rerun_script`` with the client state.
    """

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self.query_string = ""
        self.page_hash = ""
        self.widget_ids: dict[str, str] = {}  # user key -> widget id
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.headings: list[str] = []
        self.exceptions: list[str] = []
        self.ws: Any = None

    async def __aenter__(self) -> StreamlitSession:
        from websockets.asyncio.client import connect

        stream = re.sub("^http", "ws", self.url) + "/_stcore/stream"
        self.ws = await connect(stream, subprotocols=["streamlit"], origin=self.url, max_size=None,
                                open_timeout=self.timeout, ssl=tls_context(self.url),
                                ping_interval=None)  # a browser sends no websocket pings  # fmt: skip
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()

    async def run(self, widgets: list[Any] | None = None, page_hash: str | None = None) -> None:
        """Ask for a script run and read its messages until it has finished (reruns included)."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        if page_hash is not None:
            self.page_hash = page_hash
            self.query_string = ""  # a click in the menu opens the page without the old query string
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query_string
        state.page_script_hash = self.page_hash
        state.widget_states.widgets.extend(widgets or [])
        self.headings = []
        self.exceptions = []
        await self.ws.send(message.SerializeToString())
        await asyncio.wait_for(self._until_finished(), timeout=self.timeout)

    async def _until_finished(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        while True:
            message = ForwardMsg()
            message.ParseFromString(await self.ws.recv())
            kind = message.WhichOneof("type")
            if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                self._element(message.delta.new_element)
            elif kind == "new_session":
                self.headings = []
                self.exceptions = []
            elif kind == "page_info_changed":
                self.query_string = message.page_info_changed.query_string
            elif kind == "navigation":
                for app_page in message.navigation.app_pages:  # by URL path and by title
                    self.pages[app_page.url_pathname] = app_page.page_script_hash
                    self.pages[app_page.page_name] = app_page.page_script_hash
                self.page_hash = message.navigation.page_script_hash or self.page_hash
            elif kind == "page_not_found":
                self.exceptions.append(f"page not found: {message.page_not_found.page_name}")
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(message.script_finished)
                if status == "FINISHED_WITH_COMPILE_ERROR":
                    self.exceptions.append("the page script did not compile")
                if status != "FINISHED_EARLY_FOR_RERUN":
                    return

    def _element(self, element: Any) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.exceptions.append(f"{element.exception.type}: {element.exception.message}"[:200])
        elif kind == "heading":
            self.headings.append(element.heading.body)
        elif kind is not None:
            widget_id = getattr(getattr(element, kind), "id", "")
            if isinstance(widget_id, str) and widget_id.startswith("$$ID-"):
                self.widget_ids[widget_id.rsplit("-", 1)[-1]] = widget_id

    def state(self, key: str, **value: Any) -> Any:
        """A widget state for the widget shown with ``key`` (e.g. ``string_value="Eligible"``)."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        widget = WidgetState(id=self.widget_ids[key])
        for field_name, field_value in value.items():
            setattr(widget, field_name, field_value)
        return widget


async def ws_session(index: int, url: str, deadline: float, max_actions: int, timeout_ms: float,
                     results: Results, think: float = 0.0) -> None:  # fmt: skip
    """One person over the websocket protocol: sign in, then every page in turn with a filter change on each."""
    role = ROLES[index % len(ROLES)]
    specs = pages_for(role)
    reader = Think(think, seed=index)
    actions = 0
    what = f"session {index} ({role})"
    try:
        async with StreamlitSession(url, timeout_ms / 1000) as tab:
            started = time.monotonic()
            try:
                await tab.run()
                await tab.run([
                    tab.state("login_username", string_value=f"demo-{role}"),
                    tab.state("login_password", string_value=PASSWORD),
                    tab.state("login_submit", trigger_value=True),
                ])  # fmt: skip
                if "Overview" not in tab.headings:
                    raise RuntimeError(f"not signed in; headings shown: {tab.headings[:3]}")
            except Exception as error:
                results.errors.append(f"{what} sign-in failed: {type(error).__name__}: {error}"[:300])
                return
            results.sign_in_times.append(time.monotonic() - started)
            if tab.exceptions:
                results.errors.append(f"{what} first page: exception shown: {tab.exceptions[0]}")
                return
            await reader.pause(deadline)
            turn = 0
            while time.monotonic() < deadline and actions < max_actions:
                for spec in specs:
                    if time.monotonic() >= deadline or actions >= max_actions:
                        break
                    started = time.monotonic()
                    try:
                        await tab.run(page_hash=tab.pages.get(spec.url_path) or tab.pages[spec.title])
                        if spec.title not in tab.headings:
                            raise RuntimeError(f"the page title did not show; headings: {tab.headings[:3]}")
                    except Exception as error:
                        results.errors.append(
                            f"{what} {spec.key}: navigation failed: {type(error).__name__}: {error}"[:300]
                        )
                        return
                    results.page_times.append(time.monotonic() - started)
                    results.by_page.setdefault(spec.key, []).append(results.page_times[-1])
                    actions += 1
                    if tab.exceptions:
                        results.errors.append(f"{what} {spec.key}: exception shown: {tab.exceptions[0]}")
                        return
                    await reader.pause(deadline)
                    if (
                        "f_fsm" not in tab.widget_ids
                        or time.monotonic() >= deadline
                        or actions >= max_actions
                    ):
                        continue
                    choice = ("Eligible", "Not eligible", "All children")[turn % 3]
                    turn += 1
                    started = time.monotonic()
                    try:
                        await tab.run([tab.state("f_fsm", string_value=choice)])
                    except Exception as error:
                        results.errors.append(
                            f"{what} {spec.key}: filter change failed: {type(error).__name__}: {error}"[:300]
                        )
                        return
                    results.filter_times.append(time.monotonic() - started)
                    results.filter_by_page.setdefault(spec.key, []).append(results.filter_times[-1])
                    actions += 1
                    if tab.exceptions:
                        results.errors.append(
                            f"{what} {spec.key} after a filter change: exception shown: {tab.exceptions[0]}"
                        )
                        return
                    await reader.pause(deadline)
    except Exception as error:
        results.errors.append(f"{what}: connection failed: {type(error).__name__}: {error}"[:300])
    finally:
        results.actions += actions


async def run_ws_clients(url: str, sessions: int, duration: float, max_actions: int, timeout_ms: float,
                         results: Results, think: float = 0.0) -> None:  # fmt: skip
    deadline = time.monotonic() + duration
    per_session = max(1, max_actions // sessions)
    tasks = []
    for index in range(sessions):
        tasks.append(asyncio.create_task(
            ws_session(index, url, deadline, per_session, timeout_ms, results, think)
        ))  # fmt: skip
        await asyncio.sleep(0.2)
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=duration + 4 * timeout_ms / 1000 + 60)


# --- where the load goes: a local single process, local replicas (measurement only), or a running URL ----


@dataclass
class Target:
    """A base URL and the server processes behind it (for CPU and memory; may be empty for a --url)."""

    label: str
    url: str
    pids: list[int]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def alive(self) -> bool:
        return all(process.poll() is None for process in self.processes)

    def log_tail(self) -> str:
        return "\n".join(f"--- {log.name}\n" + log.read_text(errors="replace")[-2000:] for log in self.logs
                         if log.exists())  # fmt: skip


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def local_target(app_dir: Path, root: Path, replicas: int = 1, post_script_gc: bool | None = None
                 ) -> Iterator[Target]:  # fmt: skip
    """One ``streamlit run`` (replicas=1), or N behind ``benchmarks/balancer.py`` (MEASUREMENT ONLY)."""
    with tempfile.TemporaryDirectory(prefix="impact-load-") as scratch:
        state = Path(scratch)
        processes: list[subprocess.Popen[bytes]] = []
        try:
            ports = [free_port() for _ in range(replicas)]
            servers = [
                start_server(app_dir, root, port, state, name=f"server-{i}", post_script_gc=post_script_gc)
                for i, port in enumerate(ports)
            ]
            processes.extend(servers)
            for port, server in zip(ports, servers, strict=True):
                wait_healthy(f"http://127.0.0.1:{port}", server)
            logs = [state / f"server-{i}.log" for i in range(replicas)]
            if replicas == 1:
                url, label = f"http://127.0.0.1:{ports[0]}", "single process"
            else:
                port = free_port()
                balancer = subprocess.Popen(
                    [sys.executable, str(REPO / "benchmarks" / "balancer.py"), "--port", str(port),
                     *[arg for p in ports for arg in ("--backend", f"127.0.0.1:{p}")]],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                processes.append(balancer)
                url = f"http://127.0.0.1:{port}"
                wait_healthy(url, balancer)
                label = f"{replicas} replicas behind benchmarks/balancer.py (measurement only)"
            yield Target(label, url, [p.pid for p in servers], processes, logs)
        finally:
            _stop(processes)


@contextlib.contextmanager
def stack_target(root: Path, replicas: int, post_script_gc: bool | None = None) -> Iterator[Target]:
    """The production stack of `make serve` (``dashboard.serve``: nginx with TLS, N replicas, sticky sessions)
    on the demo snapshot, in demo mode, with its own state folder; the replicas' ids are measured."""
    from dashboard.serve import start_stack

    with tempfile.TemporaryDirectory(prefix="impact-stack-") as scratch:
        env = {
            "IMPACT_SNAPSHOT_ROOT": str(root),
            "IMPACT_ENV": "demo",
            "IMPACT_STATE_DIR": str(Path(scratch) / "state"),
        }
        if post_script_gc is not None:
            env["STREAMLIT_RUNNER_POST_SCRIPT_GC"] = "true" if post_script_gc else "false"
        with start_stack(replicas=replicas, env=env, run_dir=Path(scratch) / "run") as stack:
            label = f"make serve stack: nginx + {len(stack.replicas)} replicas"
            yield Target(
                label,
                stack.url,
                [r.process.pid for r in stack.replicas],
                [],
                [r.log_path for r in stack.replicas],
            )


# --- measuring one scenario ---------------------------------------------------------------------------------


def rss_mib(pids: list[int]) -> float:
    return sum(memory_kib(pid).get("VmRSS", 0) for pid in pids) / 1024


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 3)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1], 3)


def p50_p95(values: list[float]) -> dict[str, Any]:
    return {"n": len(values), "p50": percentile(values, 0.5), "p95": percentile(values, 0.95)}


def load_average() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def run_scenario(target: Target, *, sessions: int, duration: float, think: float = 0.0, max_actions: int = 5000,
                 timeout: float = 60, client: str = "ws", browsers: int = 3, sample_every: float = 1.0,
                 name: str = "") -> dict[str, Any]:  # fmt: skip
    """Run ``sessions`` sessions against ``target`` for ``duration`` seconds; the report as a dict."""
    sessions = max(1, min(sessions, MAX_SESSIONS))
    max_actions = max(1, min(max_actions, MAX_ACTIONS))
    results = Results()
    samples: list[tuple[float, float]] = []  # (seconds since start, RSS MiB of the server processes)
    stop = False
    started = time.monotonic()

    async def watch_memory() -> None:
        while not stop:
            if target.pids:
                samples.append((round(time.monotonic() - started, 1), round(rss_mib(target.pids), 1)))
            await asyncio.sleep(sample_every)

    async def load() -> None:
        nonlocal stop
        watcher = asyncio.create_task(watch_memory())
        try:
            if client == "browser":
                await run_clients(target.url, sessions, browsers, duration, max_actions, timeout * 1000, results,
                                  think)  # fmt: skip
            else:
                await run_ws_clients(
                    target.url, sessions, duration, max_actions, timeout * 1000, results, think
                )
        finally:
            stop = True
            await watcher

    load_before = load_average()
    cpu_before = sum(cpu_seconds(pid) for pid in target.pids)
    busy_before, total_before = machine_busy_seconds()
    asyncio.run(load())
    elapsed = time.monotonic() - started
    server_cpu = sum(cpu_seconds(pid) for pid in target.pids) - cpu_before
    busy_after, total_after = machine_busy_seconds()
    if not target.alive():
        results.errors.append("a server process died during the run")
    busy = busy_after - busy_before
    return {
        "scenario": name or f"{sessions} sessions" + (f", think {think:g} s" if think else ", stress"),
        "target": target.label,
        "url": target.url,
        "sessions": sessions,
        "think_s": think,
        "client": client,
        "duration_s": round(elapsed, 1),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "actions": results.actions,
        "page_opens": len(results.page_times),
        "filter_changes": len(results.filter_times),
        "errors": len(results.errors),
        "error_examples": results.errors[:10],
        "sign_in_s": p50_p95(results.sign_in_times),
        "page_s": {**p50_p95(results.page_times),
                   "max": round(max(results.page_times), 3) if results.page_times else None},
        "page_s_by_page": {key: p50_p95(times) for key, times in sorted(results.by_page.items())},
        "filter_s": p50_p95(results.filter_times),
        "filter_s_by_page": {key: p50_p95(times) for key, times in sorted(results.filter_by_page.items())},
        "server": {
            "processes": len(target.pids),
            "cpu_seconds": round(server_cpu, 2) if target.pids else None,
            "cpu_ms_per_action": round(1000 * server_cpu / results.actions, 1)
            if target.pids and results.actions else None,
            "cores_used": round(server_cpu / elapsed, 2) if target.pids else None,
            "rss_mib_start": samples[0][1] if samples else None,
            "rss_mib_peak": max((v for _, v in samples), default=None),
            "rss_mib_end": samples[-1][1] if samples else None,
        },
        "machine": {
            "cores": os.cpu_count(),
            "busy_pct": round(100 * busy / max(total_after - total_before, 1e-9), 1),
            "server_share_of_busy_pct": round(100 * server_cpu / max(busy, 1e-9), 1) if target.pids else None,
        },
        "memory_samples": samples,
    }  # fmt: skip


def memory_curve(samples: list[tuple[float, float]], step: float = 60.0) -> dict[str, Any]:
    """Peak RSS per ``step`` seconds, and whether the whole run's peak is within 10% of the first step's."""
    buckets: dict[int, float] = {}
    for at, value in samples:
        index = int(at // step)
        buckets[index] = max(buckets.get(index, 0.0), value)
    curve = [buckets[i] for i in sorted(buckets)]
    if not curve:
        return {"per_minute_peak_mib": [], "flat": None}
    first, peak = curve[0], max(curve)
    return {
        "per_minute_peak_mib": curve,
        "first_minute_peak_mib": first,
        "peak_mib": peak,
        "peak_over_first_minute": round(peak / first, 3) if first else None,
        "flat": bool(first and peak <= 1.10 * first),
    }


# --- profile (py-spy) ---------------------------------------------------------------------------------------

# Inclusive shares of the server's sampled CPU stacks, by what the issue names. A category matches a stack
# when any frame matches (function name, then the file it is in).
PROFILE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Streamlit post-script gc.collect(2)": ("gc.collect",),
    "altair to_dict (chart -> Vega-Lite spec)": ("to_dict \\(.*altair/",),
    "  of which jsonschema validation": ("(validate|iter_errors|descend) \\(.*jsonschema/",),
    "polars collect": ("collect \\(.*polars/",),
    "polars DataFrame.filter": ("filter \\(.*polars/dataframe/frame.py",),
    "frame -> pandas/Arrow (st.dataframe, chart data)": (
        "convert_anything_to_pandas_df",
        "convert_pandas_df_to_arrow",
        "convert_anything_to_arrow_bytes",
        "to_pandas \\(.*polars/",
    ),
    "FigureTable.display (shown strings)": ("display \\(.*data_access/disclosure.py",),
    "protobuf / websocket send": ("(SerializeToString|write_message|_send_message|enqueue) ",),
}


def gc_frame_pattern() -> str:
    """py-spy shows ``gc.collect(2)`` as the line of Streamlit's script runner that calls it."""
    import streamlit.runtime.scriptrunner.script_runner as runner

    source = Path(runner.__file__).read_text().splitlines()
    lines = [i + 1 for i, text in enumerate(source) if "gc.collect(" in text]
    return "|".join(f"script_runner.py:{n}\\)" for n in lines) or "gc.collect"


def profile_shares(raw: Path, top: int = 15) -> dict[str, Any]:
    """Shares of py-spy's raw (collapsed) stacks: the categories above, and the top functions by inclusive
    and by own time (the per-thread root frames left out)."""
    stacks: list[tuple[list[str], int]] = []
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    total = sum(count for _, count in stacks) or 1
    patterns = {name: [re.compile(p) for p in pats] for name, pats in PROFILE_CATEGORIES.items()}
    patterns["Streamlit post-script gc.collect(2)"] = [re.compile(gc_frame_pattern())]
    shares: dict[str, float] = {}
    for name, compiled in patterns.items():
        hit = sum(count for frames, count in stacks if any(p.search(f) for f in frames for p in compiled))
        shares[name] = round(100 * hit / total, 1)
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    for frames, count in stacks:
        for frame in set(frames[2:]):  # below the thread bootstrap frames
            inclusive[frame] = inclusive.get(frame, 0) + count
        own[frames[-1]] = own.get(frames[-1], 0) + count
    return {
        "samples": total,
        "shares_pct": shares,
        "top_inclusive_pct": {f: round(100 * c / total, 1) for f, c in
                              sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]},
        "top_own_pct": {f: round(100 * c / total, 1) for f, c in sorted(own.items(), key=lambda kv: -kv[1])[:top]},
    }  # fmt: skip


def py_spy() -> str:
    found = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if not found:
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy (it is in the dev extra)")
    return found


def profile_command(pid: int, seconds: float, out: Path) -> list[str]:
    """The exact py-spy command the load test runs (also in benchmarks/README.md)."""
    return [py_spy(), "record", "--pid", str(pid), "--rate", "100", "--duration", str(int(seconds)),
            "--format", "raw", "--output", str(out)]  # fmt: skip


# --- printing -----------------------------------------------------------------------------------------------


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def summary_table(reports: list[dict[str, Any]]) -> str:
    lines = [
        "| target | scenario | load avg (before → after) | actions | errors | page p50 / p95 s | "
        "filter p50 / p95 s | CPU ms / action | cores used | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in reports:
        server = r["server"]
        lines.append(
            f"| {r['target']} | {r['scenario']} | {r['load_average_before'][0]} → {r['load_average_after'][0]} | "
            f"{r['actions']} | {r['errors']} | {_s(r['page_s']['p50'])} / {_s(r['page_s']['p95'])} | "
            f"{_s(r['filter_s']['p50'])} / {_s(r['filter_s']['p95'])} | {server['cpu_ms_per_action'] or '–'} | "
            f"{server['cores_used'] if server['cores_used'] is not None else '–'} | "
            f"{server['rss_mib_peak'] or '–'} |"
        )
    return "\n".join(lines)


def per_page_table(report: dict[str, Any]) -> str:
    lines = [f"{report['target']}, {report['scenario']}:",
             "| page | page p50 / p95 s (n) | filter change p50 / p95 s (n) |", "|---|---|---|"]  # fmt: skip
    for key in sorted(set(report["page_s_by_page"]) | set(report["filter_s_by_page"])):
        page = report["page_s_by_page"].get(key, p50_p95([]))
        change = report["filter_s_by_page"].get(key, p50_p95([]))
        lines.append(f"| {key} | {_s(page['p50'])} / {_s(page['p95'])} ({page['n']}) | "
                     f"{_s(change['p50'])} / {_s(change['p95'])} ({change['n']}) |")  # fmt: skip
    return "\n".join(lines)


def write_json(name: str, payload: Any) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


# --- command line -------------------------------------------------------------------------------------------


def _pids(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add(
        "--client",
        choices=("ws", "browser"),
        default="ws",
        help="ws: Streamlit's websocket protocol (default); browser: headless Chromium",
    )
    add("--children", type=int, default=250, help="children in the demo snapshot (default 250)")
    add("--sessions", type=int, default=25, help=f"concurrent sessions (default 25, at most {MAX_SESSIONS})")
    add("--browsers", type=int, default=3, help="Chromium processes to spread them over (default 3)")
    add("--duration", type=float, default=90, help=f"seconds of load (default 90, at most {MAX_SECONDS:g})")
    add(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds each person reads after an action, drawn uniformly from 0.5x to 1.5x (default 0)",
    )
    add(
        "--max-actions",
        type=int,
        default=5000,
        help=f"page opens and filter changes in all, per run (default 5000, at most {MAX_ACTIONS})",
    )
    add("--timeout", type=float, default=60, help="seconds one action may take (default 60)")
    add("--app-dir", type=Path, default=REPO, help="the project folder to serve (default: this one)")
    add("--url", help="target this already-running base URL (http or https, loopback only) instead of "
                      "starting a server, e.g. the replicated stack of `make serve`")  # fmt: skip
    add(
        "--pids",
        type=_pids,
        default=[],
        help="with --url: comma-separated ids of the server processes, for CPU per action and memory",
    )
    add(
        "--stack",
        type=int,
        default=0,
        help="--suite: also measure the production stack of `make serve` (nginx, TLS, N replicas) started here",
    )
    add("--replicas", type=int, default=0,
        help="also start N local server processes behind benchmarks/balancer.py (measurement only; "
             "--suite measures them as the replicated setup when no --url is given)")  # fmt: skip
    add(
        "--post-script-gc",
        choices=("config", "on", "off"),
        default="config",
        help="runner.postScriptGC for the servers started here (default: .streamlit/config.toml)",
    )
    add(
        "--profile",
        action="store_true",
        help="sample the (single, locally started) server with py-spy for the whole run and print the shares",
    )
    add(
        "--suite",
        action="store_true",
        help="single process (1 session, 25 stress, 25 with --think 5), the replicated setup if any, and a soak",
    )
    add(
        "--warm",
        action="store_true",
        help="a single run: warm every page of every role first, not counted (a profile of the steady state)",
    )
    add("--soak", type=float, default=600, help="--suite: seconds of soak (default 600, 0 to skip)")
    add("--quick", action="store_true", help="--suite: 30 s scenarios and a 60 s soak (a smoke run)")
    args = parser.parse_args(argv)
    args.sessions = max(1, min(args.sessions, MAX_SESSIONS))
    args.duration = max(5.0, min(args.duration, MAX_SECONDS))
    args.soak = max(0.0, min(args.soak, MAX_SOAK_SECONDS))
    args.replicas = max(0, min(args.replicas, 8))
    args.stack = max(0, min(args.stack, 8))
    if args.url:
        args.url = loopback_url(args.url)
    if args.profile and (args.url or args.replicas > 1):
        parser.error("--profile samples one locally started server: leave out --url and --replicas")
    return args


def warm_up(target: Target, timeout: float) -> None:
    """Every page of every role once, not counted: first imports, snapshot load, first figures."""
    print(f"[{time.strftime('%H:%M:%S')}] {target.label}: warm-up (not counted) ...", file=sys.stderr,
          flush=True)  # fmt: skip
    pages = max(len(pages_for(role)) for role in ROLES)
    run_scenario(target, name="warm-up", sessions=len(ROLES) * max(1, len(target.pids)), duration=MAX_SECONDS / 2,
                 max_actions=len(ROLES) * max(1, len(target.pids)) * 2 * pages, timeout=timeout * 3)  # fmt: skip


def single_run(args: argparse.Namespace) -> int:
    gc_setting = {"config": None, "on": True, "off": False}[args.post_script_gc]
    kwargs = dict(sessions=args.sessions, duration=args.duration, think=args.think, max_actions=args.max_actions,
                  timeout=args.timeout, client=args.client, browsers=args.browsers)  # fmt: skip
    profile: dict[str, Any] | None = None
    if args.url:
        target = Target("given URL", args.url, args.pids)
        wait_healthy(args.url, None)
        report = run_scenario(target, **kwargs)  # type: ignore[arg-type]
        log_tail = ""
    else:
        root = demo_root(args.children).resolve()
        with local_target(args.app_dir.resolve(), root, max(1, args.replicas), gc_setting) as target:
            if args.warm:
                warm_up(target, args.timeout)
            spy = None
            if args.profile:
                raw = RESULTS / f"profile-{args.children}-{args.sessions}.txt"
                RESULTS.mkdir(parents=True, exist_ok=True)
                command = profile_command(target.pids[0], args.duration, raw)
                print("profiling:", " ".join(command[1:]).replace(str(target.pids[0]), "<server pid>"),
                      file=sys.stderr)  # fmt: skip
                spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            report = run_scenario(target, **kwargs)  # type: ignore[arg-type]
            if spy is not None:
                try:
                    spy.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(timeout=30)
                profile = profile_shares(raw)
                profile["raw"] = str(raw.relative_to(REPO))
            log_tail = target.log_tail() if report["errors"] else ""
    report["command"] = "python benchmarks/load_test.py " + " ".join(sys.argv[1:])
    report["post_script_gc"] = args.post_script_gc
    if profile is not None:
        report["profile"] = profile
    samples = report.pop("memory_samples")
    report["memory_curve"] = memory_curve(samples)
    print(json.dumps(report, indent=2))
    print("\n" + summary_table([report]) + "\n\n" + per_page_table(report))
    if log_tail:
        print("\nserver log (end):\n" + log_tail, file=sys.stderr)
    write_json(f"load_test-{args.children}.json", report)
    return 0 if not report["errors"] else 1


def suite(args: argparse.Namespace) -> int:
    """Everything `make load-test` prints, in one run: 1, 2 and N sessions stress, N with 5 s think time."""
    seconds = 30.0 if args.quick else args.duration
    soak = min(args.soak, 60.0) if args.quick else args.soak
    gc_setting = {"config": None, "on": True, "off": False}[args.post_script_gc]
    common = dict(
        max_actions=args.max_actions, timeout=args.timeout, client=args.client, browsers=args.browsers
    )
    scenarios = [
        dict(name="1 session, stress", sessions=1, duration=min(seconds, 60.0), think=0.0),
        dict(name="2 sessions, stress", sessions=2, duration=min(seconds, 60.0), think=0.0),
        dict(name=f"{args.sessions} sessions, stress", sessions=args.sessions, duration=seconds, think=0.0),
        dict(name=f"{args.sessions} sessions, think 5 s", sessions=args.sessions, duration=seconds, think=5.0),
    ]  # fmt: skip
    root = demo_root(args.children).resolve()
    reports: list[dict[str, Any]] = []
    soak_report: dict[str, Any] | None = None

    def run_all(target: Target) -> None:
        for scenario in scenarios:
            print(f"[{time.strftime('%H:%M:%S')}] {target.label}: {scenario['name']} ...", file=sys.stderr,
                  flush=True)  # fmt: skip
            reports.append(run_scenario(target, **scenario, **common))  # type: ignore[arg-type]

    with local_target(args.app_dir.resolve(), root, 1, gc_setting) as target:
        warm_up(target, args.timeout)
        run_all(target)
        if soak:
            print(f"[{time.strftime('%H:%M:%S')}] soak: {soak:g} s ...", file=sys.stderr, flush=True)
            soak_report = run_scenario(
                target, name=f"soak {soak:g} s, {args.sessions} sessions, think 5 s", sessions=args.sessions,
                duration=soak, think=5.0, sample_every=5.0, **{**common, "max_actions": MAX_ACTIONS},
            )  # type: ignore[arg-type]  # fmt: skip
    if args.url:
        wait_healthy(args.url, None)
        run_all(Target(f"replicated: {args.url}", args.url, args.pids))
    elif args.stack:
        with stack_target(root, args.stack, gc_setting) as target:
            warm_up(target, args.timeout)
            run_all(target)
    elif args.replicas > 1:
        with local_target(args.app_dir.resolve(), root, args.replicas, gc_setting) as target:
            warm_up(target, args.timeout)
            run_all(target)
    else:
        print("(no replicated setup measured: give --stack N, --url [--pids] of `make serve`, or --replicas N)",
              file=sys.stderr)  # fmt: skip

    all_reports = [*reports, *([soak_report] if soak_report else [])]
    for report in all_reports:
        report["memory_curve"] = memory_curve(report.pop("memory_samples"))
    print("## Load test suite (" + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()) +
          f", {args.children} children, {os.cpu_count()} cores, client {args.client})\n")  # fmt: skip
    print(summary_table(all_reports) + "\n")
    for report in reports:
        if report["sessions"] > 1:
            print(per_page_table(report) + "\n")
    if soak_report:
        curve = soak_report["memory_curve"]
        print(f"Soak memory (server RSS, peak per minute, MiB): {curve['per_minute_peak_mib']}")
        print(f"peak / first minute's peak = {curve.get('peak_over_first_minute')}; flat (within 10%): "
              f"{curve['flat']}")  # fmt: skip
    errors = [(r["target"], r["scenario"], r["error_examples"]) for r in all_reports if r["errors"]]
    for target_label, name, examples in errors:
        print(f"ERRORS in {target_label}, {name}: {examples[:3]}")
    path = write_json(f"load_suite-{args.children}.json", {"command": "python benchmarks/load_test.py " +
                      " ".join(sys.argv[1:]), "runs": all_reports})  # fmt: skip
    print(f"\n(full figures: {path.relative_to(REPO)})")
    return 0 if not errors else 1


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    return suite(args) if args.suite else single_run(args)


if __name__ == "__main__":
    sys.exit(main())
