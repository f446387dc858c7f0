"""Browser test harness: ``streamlit run app.py`` on loopback against a demo snapshot, driven by headless Chromium.

Fixtures:

* ``demo_snapshot_root`` (session): a fresh demo snapshot (``python -m data_access demo ROOT --children 250``).
* ``app_server`` (session): one server shared by tests that do not care about being first.
* ``fresh_server`` (per test): a server that has received no page request yet, for "the first request to a
  freshly started server" (Streamlit then runs a deep-linked page file directly, skipping ``app.py``).
* ``browser`` (session) and ``context`` (per test): Chromium through Playwright's sync API.

Every server runs in demo mode (``IMPACT_ENV=demo``, no credentials file) with its own state folder. Browser tests
are skipped, with the reason, when ``/usr/bin/chromium`` or Playwright is missing, or when a page file that
``app.py`` navigates to does not exist yet.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dashboard.registry import PAGES

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
START_TIMEOUT = 90.0
READY_LINE = b"You can now view your Streamlit app"


@dataclass
class Server:
    """A running ``streamlit run app.py``: where it answers and where it keeps its state and log."""

    base_url: str
    state_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        """The server's output so far (for failure messages)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(snapshot_root: Path, work: Path, extra_env: dict[str, str] | None = None) -> Server:
    """Start ``streamlit run app.py`` on a free loopback port, wait until it listens, and check ``/_stcore/health``.

    Args:
        snapshot_root: The ``IMPACT_SNAPSHOT_ROOT`` to serve.
        work: A folder for the server's state and log.
        extra_env: More environment (e.g. ``IMPACT_COOKIE_EXPIRY_DAYS``).

    Returns:
        The running server; stop it with ``stop_server``.
    """
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {
        **{name: value for name, value in os.environ.items() if name != "IMPACT_ENV"},
        "IMPACT_SNAPSHOT_ROOT": str(snapshot_root),
        "IMPACT_STATE_DIR": str(work / "state"),
        "IMPACT_CREDENTIALS_FILE": str(work / "no-credentials.yaml"),
        "PYTHONPATH": str(ROOT),
        **(extra_env or {}),
    }
    env.setdefault("IMPACT_ENV", "demo")  # demo accounts need it explicitly (and demo snapshots only)
    log_path = work / "streamlit.log"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
               "--logger.hideWelcomeMessage", "false"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", work / "state", log_path, process)
    listening = threading.Event()
    log = log_path.open("wb")

    def copy_output() -> None:
        """Copy the server's output to its log for its whole life; say when it is listening (or has exited)."""
        assert process.stdout is not None
        with log:
            for line in process.stdout:
                log.write(line)
                log.flush()
                if READY_LINE in line:
                    listening.set()
        listening.set()  # the output ended: the server exited

    threading.Thread(target=copy_output, name=f"streamlit-{port}-output", daemon=True).start()
    # Streamlit prints READY_LINE once its server is listening: wait for that line, not for a time.
    try:
        if not listening.wait(START_TIMEOUT):
            raise OSError(f"it did not say it was listening within {START_TIMEOUT:g} s")
        with urllib.request.urlopen(f"{server.base_url}/_stcore/health", timeout=30) as response:
            if response.status != 200:
                raise OSError(f"its health check answered {response.status}")
    except OSError as error:
        stop_server(server)
        pytest.fail(f"streamlit did not start ({error}):\n{server.log()}")
    return server


def stop_server(server: Server) -> None:
    """Stop the server started by ``start_server`` (this process only, by its id)."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=15)


def _skip_unless_pages_exist() -> None:
    missing = [page.path for page in PAGES if not (ROOT / page.path).exists()]
    if missing:
        pytest.skip(f"app.py's navigation needs every page file; not written yet: {', '.join(missing)}")


@pytest.fixture(scope="session")
def demo_snapshot_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly generated demo snapshot root (250 children)."""
    if not (ROOT / "data_access" / "demo.py").exists():
        pytest.skip("data_access/demo.py (the demo generator) is not written yet")
    root = tmp_path_factory.mktemp("demo-snapshots")
    result = subprocess.run([sys.executable, "-m", "data_access", "demo", str(root), "--children", "250"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    if result.returncode != 0:
        pytest.fail(f"the demo snapshot could not be generated:\n{result.stdout}\n{result.stderr}")
    return root


@pytest.fixture(scope="session")
def app_server(demo_snapshot_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the whole session, in demo mode."""
    _skip_unless_pages_exist()
    server = start_server(demo_snapshot_root, tmp_path_factory.mktemp("app-server"))
    yield server
    stop_server(server)


@pytest.fixture
def fresh_server(demo_snapshot_root: Path, tmp_path: Path) -> Iterator[Server]:
    """A server that has answered no page request yet (only its health check)."""
    _skip_unless_pages_exist()
    server = start_server(demo_snapshot_root, tmp_path / "fresh-server")
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (the system's), launched once per session."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install -y chromium); browser tests need it"
        if os.environ.get("IMPACT_REQUIRE_BROWSER"):  # set by .ci/run: in CI a missing browser is a failure
            pytest.fail(reason)
        pytest.skip(reason)
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) per test."""
    new_context = browser.new_context(viewport={"width": 1280, "height": 800})
    new_context.set_default_timeout(30_000)
    yield new_context
    new_context.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under ``artifacts/screenshots/`` (git-ignored) and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """When a test that drives a server fails, add what every thread of that server was doing (``py-spy dump``).

    A wait that times out says only that the page never came; the server's stacks say whether it was hung
    (a deadlock like the one the load test found), busy, or idle and waiting for the browser.
    """
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    for name in ("app_server", "fresh_server"):
        server = funcargs.get(name)
        if isinstance(server, Server) and server.process.poll() is None:
            report.sections.append(
                (f"{name}: py-spy dump of pid {server.process.pid}", _server_stacks(server))
            )


def _server_stacks(server: Server) -> str:
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        return "(py-spy is not installed: .venv/bin/pip install py-spy, it is in the dev extra)"
    try:
        done = subprocess.run([str(spy), "dump", "--pid", str(server.process.pid)], capture_output=True,
                              text=True, timeout=60, check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        return "(py-spy dump took over 60 s)"
    return (done.stdout + done.stderr)[-20_000:]
