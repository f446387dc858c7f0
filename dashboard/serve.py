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
import base64
import contextlib
import hashlib
import os
import re
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

from data_access.settings import (
    COOKIE_KEY,
    ENVIRONMENT,
    REPLICAS,
    TLS_CERT,
    TLS_KEY,
)

ROOT: Final = Path(__file__).resolve().parent.parent
NGINX: Final = "nginx"
ROUTE_COOKIE: Final = "impact_route"
START_TIMEOUT: Final = 180.0
# 25 people opening the dashboard from one address in a minute open about 2 websockets each (page + a reload);
# the limit is four times that, with a burst for a whole room at once. Failed sign-ins travel inside the
# websocket, so the proxy cannot see them: they are throttled per address by the app (dashboard.state).
CONNECT_RATE_PER_MINUTE: Final = 240
CONNECT_BURST: Final = 100


class StackError(RuntimeError):
    """The stack could not start (the message says which part and why)."""


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


def inline_script_hashes() -> list[str]:
    """CSP hashes of the inline scripts in Streamlit's page and in the components it frames (cookie manager).

    Computed from the installed files, so an upgrade that changes them changes the policy with them.
    """
    import extra_streamlit_components
    import streamlit

    pages = [Path(streamlit.__file__).parent / "static" / "index.html"]
    pages += sorted(Path(extra_streamlit_components.__file__).parent.glob("*/frontend/build/index.html"))
    hashes: list[str] = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for body in re.findall(r"<script>(.*?)</script>", text, flags=re.S):
            digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
            hashes.append(f"'sha256-{digest}'")
    return sorted(set(hashes))


def content_security_policy() -> str:
    """The CSP Streamlit 1.67 works under (checked in Chromium by tests/browser/test_stack_browser.py).

    Scripts only from the dashboard itself plus the hashed inline bootstraps — no ``'unsafe-eval'``: Streamlit
    1.67 renders Vega charts with vega-interpreter (``ast: true``), not ``new Function``. Inline styles are
    needed by Streamlit's CSS-in-JS. Nothing may frame the dashboard.
    """
    scripts = " ".join(["'self'", *inline_script_hashes()])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            # Streamlit draws Material icons used as a page icon from Google's font server.
            "img-src 'self' data: blob: https://fonts.gstatic.com",
            "font-src 'self' data:",
            "connect-src 'self'",
            "frame-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            # Nothing may frame the dashboard; its own component frames (the cookie manager) only itself.
            "frame-ancestors $impact_frame_ancestors",
        ]
    )


SECURITY_HEADERS: Final = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "$impact_frame_options",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


# Configuration ----------------------------------------------------------------------------------------------


def nginx_config(
    *, run_dir: Path, host: str, port: int, replica_ports: Sequence[int], authcheck_port: int,
    cert: Path, key: Path, http_port: int | None = None,
) -> str:  # fmt: skip
    """The nginx configuration of one run (every path inside ``run_dir``)."""
    headers = dict(SECURITY_HEADERS, **{"Content-Security-Policy": content_security_policy()})
    header_lines = "\n".join(f'add_header {name} "{value}" always;' for name, value in headers.items())
    (run_dir / "headers.conf").write_text(
        header_lines + "\nadd_header Set-Cookie $impact_route_cookie always;\n", encoding="utf-8"
    )
    upstreams = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in replica_ports)
    user = "user nobody nogroup;" if os.geteuid() == 0 else ""
    redirect = ""
    if http_port is not None:
        redirect = f"""
    server {{
        listen {host}:{http_port};
        include {run_dir}/headers.conf;
        return 308 https://$host:{port}$request_uri;
    }}"""
    proxy = f"""
            proxy_pass http://impact_replicas;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            # Overwritten, never appended: the replicas (uvicorn, trusting 127.0.0.1) take this as the client.
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            include {run_dir}/headers.conf;"""
    return f"""# Written by dashboard/serve.py for one run; not edited by hand.
{user}
worker_processes 1;
pid {run_dir}/nginx.pid;
error_log {run_dir}/nginx-error.log warn;
events {{ worker_connections 2048; }}
http {{
    log_format impact '$remote_addr [$time_iso8601] "$request" $status upstream=$upstream_addr route=$impact_route';
    access_log {run_dir}/access.log impact;
    client_body_temp_path {run_dir}/tmp/body;
    proxy_temp_path {run_dir}/tmp/proxy;
    fastcgi_temp_path {run_dir}/tmp/fastcgi;
    uwsgi_temp_path {run_dir}/tmp/uwsgi;
    scgi_temp_path {run_dir}/tmp/scgi;
    server_tokens off;
    client_max_body_size 2m;
    types {{ }}
    default_type application/octet-stream;

    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    # Only the component frames Streamlit itself embeds (/component/…) may be framed, and only by the dashboard.
    map $uri $impact_frame_ancestors {{ "~^/component/" "'self'"; default "'none'"; }}
    map $uri $impact_frame_options {{ "~^/component/" "SAMEORIGIN"; default "DENY"; }}
    # Sticky sessions: a random route cookie, set at the first request, picks the replica.
    map $cookie_{ROUTE_COOKIE} $impact_route {{
        "~^[A-Za-z0-9]{{16,64}}$" $cookie_{ROUTE_COOKIE};
        default $request_id;
    }}
    map $cookie_{ROUTE_COOKIE} $impact_route_cookie {{
        "~^[A-Za-z0-9]{{16,64}}$" "";
        default "{ROUTE_COOKIE}=$request_id; Path=/; Secure; HttpOnly; SameSite=Strict";
    }}
    limit_req_zone $binary_remote_addr zone=impact_connect:10m rate={CONNECT_RATE_PER_MINUTE}r/m;
    limit_req_status 429;

    upstream impact_replicas {{
        hash $impact_route consistent;
{upstreams}
    }}
    upstream impact_authcheck {{ server 127.0.0.1:{authcheck_port}; }}
{redirect}
    server {{
        listen {host}:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:impact_tls:1m;
        include {run_dir}/headers.conf;

        # Prometheus metrics stay inside: nobody outside may read them.
        location ^~ /_stcore/metrics {{ include {run_dir}/headers.conf; return 404; }}

        # Download files: only for a signed-in browser whose session is live (checked server-side).
        location ^~ /media/ {{
            auth_request /_impact_auth;
            add_header Cache-Control "no-store" always;{proxy}
        }}
        location = /_impact_auth {{
            internal;
            proxy_pass http://impact_authcheck/check;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header Cookie $http_cookie;
        }}

        # The websocket: one per open tab; new ones are rate-limited per address.
        location = /_stcore/stream {{
            limit_req zone=impact_connect burst={CONNECT_BURST} nodelay;
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;{proxy}
        }}

        location / {{{proxy}
        }}
    }}
}}
"""


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for ``localhost`` / ``127.0.0.1`` (never committed; made at each start)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "7", "-subj", "/CN=localhost",
               "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise StackError(f"openssl could not make the self-signed certificate:\n{result.stderr}")
    os.chmod(key, 0o600)
    return cert, key


# Start-up ---------------------------------------------------------------------------------------------------


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
