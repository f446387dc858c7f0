"""A minimal TCP balancer for MEASUREMENT ONLY (``load_test.py --replicas N``), not the product's proxy.

The product's replicated stack is ``make serve`` (reverse proxy + N replicas, with TLS and session
affinity). This stand-in lets the load test measure N ``streamlit run`` processes on this machine before
that stack exists: it listens on 127.0.0.1 and gives each new TCP connection to the replica with the fewest
open connections. A Streamlit session is one websocket connection, so each session stays on one replica for
its whole life ("sticky" per connection); a real browser also fetches media and reconnects, which needs the
cookie affinity of the real proxy. Loopback only; it stops when its parent load test stops it.

    python benchmarks/balancer.py --port 8600 --backend 127.0.0.1:8601 --backend 127.0.0.1:8602
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(RuntimeError):
            writer.close()


async def serve(port: int, backends: list[tuple[str, int]]) -> None:
    open_connections = [0] * len(backends)

    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        index = min(range(len(backends)), key=lambda i: (open_connections[i], i))
        open_connections[index] += 1
        try:
            host, backend_port = backends[index]
            try:
                reader, writer = await asyncio.open_connection(host, backend_port)
            except OSError:
                client_writer.close()
                return
            await asyncio.gather(_pipe(client_reader, writer), _pipe(reader, client_writer))
        finally:
            open_connections[index] -= 1

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", action="append", required=True, help="127.0.0.1:PORT (repeat)")
    args = parser.parse_args(argv)
    backends = []
    for item in args.backend:
        host, _, port = item.rpartition(":")
        if host not in ("127.0.0.1", "localhost"):
            parser.error("backends must be on loopback")
        backends.append((host, int(port)))
    asyncio.run(serve(args.port, backends))
    return 0


if __name__ == "__main__":
    sys.exit(main())
