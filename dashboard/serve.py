"""The production serving stack: nginx (TLS, headers, sticky sessions, ``/media/`` check) in front of N replicas.

``make serve`` and ``python -m dashboard serve`` run it in the foreground; tests and benchmarks start it from
Python::

    from dashboard.serve import start_stack

    with start_stack(replicas=2, env={"IMPACT_SNAPSHOT_ROOT": root, "IMPACT_ENV": "demo"}) as stack:
        stack.url          # "https://127.0.0.1:<port>" (self-signed certificate unless IMPACT_TLS_CERT is set)
        stack.replicas     # the Streamlit processes, each with its loopback port
        stack.access_log   # nginx's log: one line per request with the replica that answered

What runs (every process bound to 127.0.0.1, each started and stopped by its own id):

* N ``streamlit run app.py`` replicas (``IMPACT_REPLICAS``, default the number of CPU cores), all sharing
  ``IMPACT_STATE_DIR`` (sessions, throttles, audit log) and one cookie key;
* ``python -m dashboard.authcheck``: answers nginx's ``auth_request`` for ``/media/`` (is the sign-in cookie's
  session live?);
* nginx from Debian's ``nginx`` package, with a configuration written for this run into a private folder.

Why nginx: of the three in Debian (Caddy 2.6, nginx 1.22, HAProxy 2.6) it is the only one whose packaged build
has everything needed without plug-ins or Lua: ``auth_request`` (Caddy's ``forward_auth`` is built in too, but
its packaged build has no rate limiting; HAProxy needs a Lua script for a forward-auth call), ``limit_req``,
websocket proxying and consistent-hash upstreams. Sticky sessions use a random route cookie set by nginx at
the first request and ``hash $route consistent`` (open-source nginx has no ``sticky cookie``): a browser's
page, websocket and ``/media/`` downloads all reach the replica that holds its session.

Start-up waits for conditions, never fixed sleeps: each replica's ``/_stcore/health``, the check's
``/health``, then ``/_stcore/health`` through nginx over TLS.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from dashboard.proxy_config import (
    StackError,
    nginx_config,
    self_signed_certificate,
)
from data_access.settings import (
    COOKIE_KEY,
    ENVIRONMENT,
    REPLICAS,
    TLS_CERT,
    TLS_KEY,
)

ROOT: Final = Path(__file__).resolve().parent.parent
NGINX: Final = "nginx"
START_TIMEOUT: Final = 180.0


@dataclass
class Replica:
    """One Streamlit process behind the proxy."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def address(self) -> str:
        """``127.0.0.1:port``, as nginx's ``$upstream_addr`` names it."""
        return f"127.0.0.1:{self.port}"


@dataclass
class Stack:
    """A running stack: where it answers, its processes and its files. ``stop()`` (or ``with``) ends it."""

    url: str
    port: int
    run_dir: Path
    replicas: list[Replica]
    authcheck: subprocess.Popen[bytes]
    nginx: subprocess.Popen[bytes]
    cert_path: Path
    env: dict[str, str] = field(repr=False)
    own_run_dir: bool = True

    @property
    def access_log(self) -> Path:
        """nginx's access log: ``… upstream=<replica address> route=<route cookie> …`` per request."""
        return self.run_dir / "access.log"

    def logs(self) -> str:
        """Every process's output so far (for failure messages)."""
        parts = []
        for path in sorted(self.run_dir.glob("*.log")):
            parts.append(f"--- {path.name}\n{path.read_text(encoding='utf-8', errors='replace')[-4000:]}")
        return "\n".join(parts)

    def ssl_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts this stack's certificate (self-signed for tests)."""
        context = ssl.create_default_context(cafile=str(self.cert_path))
        return context

    def stop(self) -> None:
        """Stop nginx, the check and every replica (each by its own process id), then remove the run folder."""
        _stop(self.nginx, signal.SIGQUIT)
        _stop(self.authcheck)
        for replica in self.replicas:
            _stop(replica.process)
        if self.own_run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _stop(process: subprocess.Popen[bytes], first: signal.Signals = signal.SIGTERM) -> None:
    if process.poll() is not None:
        return
    process.send_signal(first)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def default_replicas() -> int:
    """``IMPACT_REPLICAS``, else the number of CPU cores this process may use."""
    value = REPLICAS.get().strip()
    if value:
        try:
            count = int(value)
        except ValueError:
            raise StackError(f"{REPLICAS.name} must be a whole number of replicas, not {value!r}.") from None
        if not 1 <= count <= 64:
            raise StackError(f"{REPLICAS.name} must be between 1 and 64, not {count}.")
        return count
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


# Content-Security-Policy ------------------------------------------------------------------------------------


def _wait_for(url: str, processes: Sequence[subprocess.Popen[bytes]], deadline: float,
              context: ssl.SSLContext | None = None) -> None:  # fmt: skip
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5, context=context) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        for process in processes:
            if process.poll() is not None:
                raise StackError(
                    f"a process of the stack exited (code {process.returncode}) while waiting for {url}"
                )
        if time.monotonic() > deadline:
            raise StackError(f"{url} did not answer within the start-up timeout")
        time.sleep(0.2)


def _private_umask() -> None:
    os.umask(0o077)  # every state file the replicas write is 0600


def start_stack(
    *,
    port: int = 0,
    http_port: int | None = None,
    replicas: int | None = None,
    env: Mapping[str, str] | None = None,
    host: str = "127.0.0.1",
    run_dir: Path | None = None,
    app_dir: Path = ROOT,
    timeout: float = START_TIMEOUT,
) -> Stack:
    """Start the whole stack and return once it answers over TLS.

    Args:
        port: The HTTPS port (0: a free one).
        http_port: Also listen here for plain HTTP, answered with a redirect to HTTPS (``None``: not at all).
        replicas: How many Streamlit processes (default ``IMPACT_REPLICAS``, else the number of cores).
        env: Environment for the replicas on top of this process's (``IMPACT_SNAPSHOT_ROOT``, ``IMPACT_ENV`` …).
        host: The address nginx listens on (loopback by default; the replicas are always on loopback).
        run_dir: Where the configuration, certificate and logs go (default: a new private temporary folder,
            removed by ``stop``).
        app_dir: The project folder holding ``app.py``.
        timeout: Seconds to wait for every health condition.

    Returns:
        The running stack; call ``stop()`` (or use it in a ``with``).

    Raises:
        StackError: nginx or openssl is missing, the app refuses to start (``python -m dashboard check``
            failed: the reasons are in the message), or a process did not become healthy in time.
    """
    if shutil.which(NGINX) is None:
        raise StackError(
            "nginx is not installed: apt-get install nginx (Debian's package; .ci/run does this)."
        )
    count = replicas if replicas is not None else default_replicas()
    environment = {
        **os.environ,
        **(env or {}),
        "PYTHONPATH": str(app_dir),
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
    }
    if not environment.get(COOKIE_KEY.name, "").strip():
        if environment.get(ENVIRONMENT.name) != "demo":
            raise StackError(f"{COOKIE_KEY.name} must be set: every replica and the /media/ check share it.")
        # Demo only: one random key for this run, shared by every replica (cookies end with the stack).
        environment[COOKIE_KEY.name] = secrets.token_urlsafe(48)
    check = subprocess.run([sys.executable, "-m", "dashboard", "check"], cwd=app_dir, env=environment,
                           capture_output=True, text=True, timeout=timeout, check=False)  # fmt: skip
    if check.returncode != 0:
        raise StackError(f"the dashboard refuses to start:\n{check.stderr or check.stdout}")

    own = run_dir is None
    folder = Path(tempfile.mkdtemp(prefix="impact-serve-")) if run_dir is None else Path(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o711)  # nginx's workers (user nobody) reach their temp folders; nobody lists it
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / "tmp" / name).mkdir(parents=True, exist_ok=True)
    if environment.get(TLS_CERT.name):
        cert, key = Path(environment[TLS_CERT.name]), Path(environment.get(TLS_KEY.name, ""))
        if not cert.is_file() or not key.is_file():
            raise StackError(f"{TLS_CERT.name} and {TLS_KEY.name} must both name readable PEM files.")
    else:
        cert, key = self_signed_certificate(folder)

    started: list[subprocess.Popen[bytes]] = []
    replica_list: list[Replica] = []
    try:
        deadline = time.monotonic() + timeout
        for index in range(count):
            replica_port = free_port()
            log_path = folder / f"replica-{index + 1}.log"
            command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(replica_port),
                       "--server.address", "127.0.0.1", "--server.headless", "true",
                       "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]  # fmt: skip
            with log_path.open("wb") as log:
                process = subprocess.Popen(command, cwd=app_dir, env=environment, stdout=log,
                                           stderr=subprocess.STDOUT, preexec_fn=_private_umask)  # fmt: skip
            started.append(process)
            replica_list.append(Replica(replica_port, process, log_path))
        check_port = free_port()
        with (folder / "authcheck.log").open("wb") as log:
            authcheck = subprocess.Popen([sys.executable, "-m", "dashboard.authcheck", "--port", str(check_port)],
                                         cwd=app_dir, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                         preexec_fn=_private_umask)  # fmt: skip
        started.append(authcheck)
        for replica in replica_list:
            _wait_for(f"http://{replica.address}/_stcore/health", started, deadline)
        _wait_for(f"http://127.0.0.1:{check_port}/health", started, deadline)

        for _attempt in range(5):  # the chosen port may be taken between choosing and binding: choose again
            chosen = port or free_port(host)
            config = nginx_config(run_dir=folder, host=host, port=chosen, replica_ports=[r.port for r in replica_list],
                                  authcheck_port=check_port, cert=cert, key=key, http_port=http_port)  # fmt: skip
            (folder / "nginx.conf").write_text(config, encoding="utf-8")
            with (folder / "nginx.log").open("ab") as log:
                nginx = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"),
                                          "-e", str(folder / "nginx-error.log"), "-g", "daemon off;"],
                                         stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
            stack = Stack(f"https://{'localhost' if host == '127.0.0.1' else host}:{chosen}", chosen, folder,
                          replica_list, authcheck, nginx, cert, environment, own)  # fmt: skip
            try:
                _wait_for(f"https://127.0.0.1:{chosen}/_stcore/health", [*started, nginx], deadline,
                          _client_context(cert))  # fmt: skip
            except StackError:
                _stop(nginx)
                if port or "Address already in use" not in (folder / "nginx-error.log").read_text(
                    errors="replace"
                ):
                    raise
                continue
            return stack
        raise StackError("no free port for nginx after 5 tries")
    except BaseException as error:
        for process in started:
            _stop(process)
        logs = "\n".join(
            f"--- {path.name}\n{path.read_text(encoding='utf-8', errors='replace')[-3000:]}"
            for path in sorted(folder.glob("*.log"))
        )
        if own:
            shutil.rmtree(folder, ignore_errors=True)
        if isinstance(error, StackError):
            raise StackError(f"{error}\n{logs}") from None
        raise


def _client_context(cert: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False  # the health check connects to 127.0.0.1; the certificate names it too
    return context


@contextlib.contextmanager
def running_stack(**kwargs: object) -> Iterator[Stack]:
    """``start_stack`` as a context manager (the same arguments)."""
    stack = start_stack(**kwargs)  # type: ignore[arg-type]
    try:
        yield stack
    finally:
        stack.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m dashboard serve``: start the stack and keep it running until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m dashboard serve", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8443, help="HTTPS port (default 8443)")
    parser.add_argument("--http-port", type=int, help="also answer plain HTTP here with a redirect to HTTPS")
    parser.add_argument("--host", default="127.0.0.1", help="address nginx listens on (default 127.0.0.1)")
    parser.add_argument(
        "--replicas", type=int, help=f"Streamlit processes (default {REPLICAS.name} or cores)"
    )
    args = parser.parse_args(argv)
    try:
        stack = start_stack(port=args.port, http_port=args.http_port, host=args.host, replicas=args.replicas)
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stopping = False

    def _stop_on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop_on_signal)
    print(f"Serving {stack.url} — nginx in front of {len(stack.replicas)} replicas; logs in {stack.run_dir}.")
    if not stack.env.get(TLS_CERT.name):
        print("The certificate is self-signed (made for this run): the browser will warn once.")
    try:
        while not stopping:
            for process in [stack.nginx, stack.authcheck, *(r.process for r in stack.replicas)]:
                if process.poll() is not None:
                    print(f"error: a process of the stack exited (code {process.returncode}):\n{stack.logs()}",
                          file=sys.stderr)  # fmt: skip
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0
