"""What nginx is told for the production stack (``dashboard.serve``): its configuration, the security headers
with a Content-Security-Policy Streamlit works under, and a self-signed certificate for tests and local runs.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Final

ROUTE_COOKIE: Final = "impact_route"
# 25 people opening the dashboard from one address in a minute open about 2 websockets each (page + a reload);
# the limit is four times that, with a burst for a whole room at once. Failed sign-ins travel inside the
# websocket, so the proxy cannot see them: they are throttled per address by the app (dashboard.state).
CONNECT_RATE_PER_MINUTE: Final = 240
CONNECT_BURST: Final = 100


class StackError(RuntimeError):
    """The stack could not start (the message says which part and why)."""


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
