"""Command line of the dashboard side: ``python -m dashboard users|check|audit|sdc-key|serve|board-pack ...``.

Each subcommand is a module with ``main(argv) -> int``; add one by adding a line to ``SUBCOMMANDS``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Final

SUBCOMMANDS: Final[dict[str, tuple[str, str]]] = {
    "users": ("dashboard.users", "add, list, change the role of, or remove accounts"),
    "check": ("dashboard.auth", "exit 2 with the reasons when the app would refuse to start, else 0"),
    "audit": ("dashboard.audit", "verify: check the audit log's hash chain and report the first broken link"),
    "sdc-key": ("dashboard.keys", "status, or record-change --reason: the SDC key's recorded fingerprint"),
    "serve": ("dashboard.serve", "start the production stack: nginx (TLS) in front of N Streamlit replicas"),
    "board-pack": (
        "dashboard.board_pack",
        "write the board pack PDF for a period (suppression always applied)",
    ),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to a subcommand's ``main``; returns the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in SUBCOMMANDS:
        print("usage: python -m dashboard {" + ",".join(SUBCOMMANDS) + "} ...", file=sys.stderr)
        for name, (_, help_text) in SUBCOMMANDS.items():
            print(f"  {name:<12} {help_text}", file=sys.stderr)
        return 0 if args[:1] in (["-h"], ["--help"]) else 2
    module = importlib.import_module(SUBCOMMANDS[args[0]][0])
    code: int = module.main(args[1:])
    return code


if __name__ == "__main__":
    sys.exit(main())
