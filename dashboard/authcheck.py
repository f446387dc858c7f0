"""The proxy's sign-in check for ``/media/`` (nginx ``auth_request``): 204 for a live session's cookie, else 401.

Files from ``st.download_button`` are served by Streamlit at ``/media/<hash>`` to anyone who has the URL, for
as long as the browser session lives. Behind ``make serve`` nginx asks this small server first, passing the
request's cookies: the sign-in cookie must carry a valid signature (``IMPACT_COOKIE_KEY``) and name a session
that the server-side store (``dashboard.state``) still holds as issued, unexpired and not revoked — so a
captured URL is refused to a request without the cookie, and to everybody after logout.

Run by ``dashboard.serve``: ``python -m dashboard.authcheck --port PORT`` (loopback only).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from dashboard.auth import COOKIE_NAME, read_token
from dashboard.state import StateStore
from data_access.settings import COOKIE_KEY


def cookie_is_live(cookie_header: str | None, key: str, store: StateStore, now: float) -> bool:
    """True when the request's sign-in cookie is correctly signed and its server-side session is live."""
    if not cookie_header or not key:
        return False
    try:
        jar = SimpleCookie(cookie_header)
    except CookieError:
        return False
    morsel = jar.get(COOKIE_NAME)
    if morsel is None or not morsel.value:
        return False
    claims = read_token(morsel.value, key)
    if claims is None:
        return False
    return store.session_is_active(claims["sid"], claims["sub"], now)


class _Handler(BaseHTTPRequestHandler):
    server_version = "impact-authcheck"
    key = ""
    store: StateStore

    def do_GET(self) -> None:
        if self.path == "/health":
            self._answer(200)
        elif self.path.startswith("/check"):
            live = cookie_is_live(self.headers.get("Cookie"), self.key, self.store, time.time())
            self._answer(204 if live else 401)
        else:
            self._answer(404)

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass  # nginx logs every request already


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the check on ``127.0.0.1:PORT`` until stopped."""
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.authcheck", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    key = COOKIE_KEY.get().strip()
    if not key:
        print(f"error: {COOKIE_KEY.name} must be set (the replicas' cookie key)", file=sys.stderr)
        return 2
    _Handler.key = key
    _Handler.store = StateStore()
    server = ThreadingHTTPServer((args.host, args.port), _Handler)
    server.daemon_threads = True
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
