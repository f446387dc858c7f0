"""Publishing a snapshot: validate it, then place it under the root atomically, never overwriting one.

``python -m data_access publish SOURCE_DIR --root ROOT`` validates ``SOURCE_DIR`` against the contract, copies
the manifest's files into a hidden ``ROOT/.incoming-<date>-<random>`` folder (ignored by discovery, which
only sees dated names), flushes every file and the folder to disk, re-checks every copied file's checksum
against the manifest, makes the copy read-only and renames it to ``ROOT/<snapshot_date>``. The rename is
the single moment the snapshot appears, so a crash or kill at any point leaves either no new snapshot or a
whole one. The rename cannot replace an existing folder (``renameat2`` with ``RENAME_NOREPLACE``; where
that is unavailable, the check-then-rename runs under the root's publish lock).

Publishes into one root are serialised by an ``flock`` on ``ROOT/.publish.lock``, held for the whole
publish. Whoever holds it therefore knows that any ``.incoming-*`` folder left in the root belongs to a
publish that died, and removes it.

The publication, or a refusal naming the broken rules (never their example rows), is recorded in the audit log. It is written by
``data_access.audit_log.append_event``, the same writer ``dashboard.audit.record`` uses; a test reads it back
with ``dashboard.audit.read_events``.

Test hook (never set in production): ``IMPACT_PUBLISH_PAUSE_AFTER`` makes the command print
``PAUSED <point>`` to stderr and sleep ``IMPACT_PUBLISH_PAUSE_SECONDS`` (default 60) at one point, so a test
can kill it there deterministically. The point is a number N (after N files are copied), ``copied`` (every
file copied, before the checks), ``verified`` (checked and read-only, before the rename) or ``renamed``
(after the rename, before the root is flushed and the audit line written).
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import errno
import fcntl
import json
import os
import secrets
import shutil
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from data_access.audit_log import append_event
from data_access.contract import MANIFEST_NAME
from data_access.manifest import sha256_of
from data_access.validate import ValidationResult, validate_snapshot

INCOMING_PREFIX: Final = ".incoming-"
LOCK_NAME: Final = ".publish.lock"
PAUSE_AFTER_ENV: Final = "IMPACT_PUBLISH_PAUSE_AFTER"
PAUSE_SECONDS_ENV: Final = "IMPACT_PUBLISH_PAUSE_SECONDS"
FILE_MODE: Final = 0o444
FOLDER_MODE: Final = 0o555
_COPY_BLOCK: Final = 1 << 20
_RENAME_NOREPLACE: Final = 1
_AT_FDCWD: Final = -100


class PublishError(Exception):
    """The snapshot was not published; the message says why and what to do."""


class PublishRefused(PublishError):
    """The source snapshot breaks the contract; ``result`` lists every broken rule."""

    def __init__(self, result: ValidationResult) -> None:
        super().__init__(result.format())
        self.result = result


class AlreadyPublished(PublishError):
    """A snapshot of that date is already published; published snapshots are never overwritten."""


@dataclass(frozen=True)
class Published:
    """A snapshot placed under the root."""

    folder: Path
    snapshot_date: str
    files: int


def publish_snapshot(source_dir: Path | str, root: Path | str, *, user: str | None = None) -> Published:
    """Validate ``source_dir`` and place it at ``root/<snapshot_date>`` atomically.

    Args:
        source_dir: The snapshot to publish (``manifest.json`` and the Parquet files it lists).
        root: The snapshot root the dashboard serves from (created when missing).
        user: Who publishes, for the audit log.

    Returns:
        Where the snapshot now lives.

    Raises:
        PublishRefused: the snapshot breaks a rule of the contract.
        AlreadyPublished: ``root/<snapshot_date>`` exists already.
        PublishError: the source changed while being published, another publish is running, or a copied
            file does not match its checksum. Nothing is left behind in any of these cases.
        OSError: the disk failed us; the temporary copy is removed and nothing is published.
    """
    source = Path(source_dir)
    root = Path(root)
    try:
        manifest_bytes = (source / MANIFEST_NAME).read_bytes()
    except OSError:
        manifest_bytes = b""  # the validator reports the missing or unreadable manifest below
    result = validate_snapshot(source)
    if not result.ok:
        # Which rules, in which files: never the example rows (they carry child ids).
        broken = sorted(
            {f"{p.rule} {p.file}" + (f" {p.column}" if p.column else "") for p in result.problems}
        )
        _audit_publish(user, event="publish_refused", snapshot=result.snapshot_date, rules=broken)
        raise PublishRefused(result)
    snapshot_date = str(result.snapshot_date)
    try:
        if (source / MANIFEST_NAME).read_bytes() != manifest_bytes:
            raise PublishError(
                f"{source}: manifest.json changed while it was being validated; publish again."
            )
        manifest: dict[str, Any] = json.loads(manifest_bytes)
    except (OSError, ValueError) as error:
        raise PublishError(
            f"{source}: manifest.json could not be read again ({error}); publish again."
        ) from error
    listed: dict[str, str] = {name: str(entry["sha256"]).lower() for name, entry in manifest["files"].items()}

    root.mkdir(parents=True, exist_ok=True)
    target = root / snapshot_date
    with _publish_lock(root):
        _remove_stale_incoming(root)
        if os.path.lexists(target):
            raise AlreadyPublished(_already_published(target))
        incoming = root / f"{INCOMING_PREFIX}{snapshot_date}-{secrets.token_hex(6)}"
        os.mkdir(incoming, 0o700)
        try:
            for copied, name in enumerate(sorted(listed), start=1):
                _copy_file(source / name, incoming / name)
                _pause_point(str(copied))
            # The manifest last: a copy without it could never be mistaken for a snapshot.
            _write_file(incoming / MANIFEST_NAME, manifest_bytes)
            _pause_point("copied")
            for name, expected in listed.items():
                actual = sha256_of(incoming / name)
                if actual != expected:
                    raise PublishError(
                        f"{name} changed while it was being copied (its checksum is {actual[:12]}…, the "
                        f"manifest says {expected[:12]}…); nothing was published. Publish again."
                    )
            os.chmod(incoming, FOLDER_MODE)
            _fsync_path(incoming)
            _pause_point("verified")
            _rename_no_replace(incoming, target)
        except BaseException:
            _remove_tree(incoming)
            raise
        _pause_point("renamed")
        _fsync_path(root)
    _audit_publish(user, event="publish", snapshot=snapshot_date, files=len(listed) + 1)
    return Published(target, snapshot_date, len(listed) + 1)


def _already_published(target: Path) -> str:
    return (
        f"a snapshot dated {target.name} is already published at {target}; published snapshots are never "
        "overwritten. Give the new export its own snapshot date."
    )


@contextmanager
def _publish_lock(root: Path) -> Iterator[None]:
    """Hold ``ROOT/.publish.lock`` (one publish per root at a time); refuse at once when it is taken."""
    descriptor = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise PublishError(
                f"another publish into {root} is running; try again when it has finished."
            ) from error
        yield
    finally:
        os.close(descriptor)  # closing releases the lock; the kernel releases it too if we are killed


def _remove_stale_incoming(root: Path) -> list[Path]:
    """Remove ``.incoming-*`` folders: under the publish lock, they can only be left by a publish that died."""
    removed = []
    for entry in root.iterdir():
        if entry.name.startswith(INCOMING_PREFIX) and entry.is_dir() and not entry.is_symlink():
            _remove_tree(entry)
            removed.append(entry)
    return removed


def _remove_tree(folder: Path) -> None:
    """Remove a temporary copy, read-only or not."""
    if not folder.exists():
        return
    for path in (folder, *folder.iterdir()):
        with suppress(OSError):
            os.chmod(path, stat.S_IRWXU)
    shutil.rmtree(folder, ignore_errors=True)


def _copy_file(source: Path, destination: Path) -> None:
    """Copy one file in blocks, flush it to disk and make it read-only."""
    with source.open("rb") as reader, open(destination, "xb") as writer:
        for block in iter(lambda: reader.read(_COPY_BLOCK), b""):
            writer.write(block)
        writer.flush()
        os.fsync(writer.fileno())
    os.chmod(destination, FILE_MODE)


def _write_file(destination: Path, data: bytes) -> None:
    with open(destination, "xb") as writer:
        writer.write(data)
        writer.flush()
        os.fsync(writer.fileno())
    os.chmod(destination, FILE_MODE)


def _fsync_path(path: Path) -> None:
    """Flush a folder's entries (or a file) to disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _renameat2() -> Any | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.renameat2
    except (OSError, AttributeError):
        return None


def _rename_no_replace(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target``, failing with ``AlreadyPublished`` if ``target`` exists (even empty).

    ``os.rename`` would silently replace an empty folder, so Linux's ``renameat2(RENAME_NOREPLACE)`` is used;
    where it is missing or the file system does not support it, the existence check is repeated under the
    publish lock (which every publisher holds) right before the rename.
    """
    renameat2 = _renameat2()
    if renameat2 is not None:
        status = renameat2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE)
        if status == 0:
            return
        code = ctypes.get_errno()
        if code == errno.EEXIST:
            raise AlreadyPublished(_already_published(target))
        if code not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            raise OSError(code, os.strerror(code), str(target))
    if os.path.lexists(target):
        raise AlreadyPublished(_already_published(target))
    os.rename(source, target)


def _pause_point(point: str) -> None:
    """The tests' kill hook: pause at ``point`` when ``IMPACT_PUBLISH_PAUSE_AFTER`` names it."""
    if os.environ.get(PAUSE_AFTER_ENV) != point:
        return
    print(f"PAUSED {point}", file=sys.stderr, flush=True)
    time.sleep(float(os.environ.get(PAUSE_SECONDS_ENV, "60")))


def _audit_publish(user: str | None, *, event: str, **details: Any) -> None:
    """Append a ``publish`` (or ``publish_refused``) line to the audit log."""
    append_event(event, user, **details)


def run_publish_command(args: argparse.Namespace) -> int:
    """Run ``python -m data_access publish``: 0 when published, 2 when refused, 1 when the disk failed."""
    try:
        published = publish_snapshot(args.source_dir, args.root, user=os.environ.get("USER") or None)
    except PublishRefused as refused:
        print(
            f"error: the snapshot was refused and not published.\n{refused.result.format()}", file=sys.stderr
        )
        return 2
    except PublishError as error:
        print(f"error: not published: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"error: not published, the copy failed: {error}. Nothing was left in {args.root}.",
            file=sys.stderr,
        )
        return 1
    print(f"published: {published.folder} (snapshot {published.snapshot_date}, {published.files} files)")
    return 0
