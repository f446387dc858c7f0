"""The credentials file and its administration: read users, add, change role, remove; the ``users`` command.

The file has streamlit-authenticator's YAML shape (``credentials.usernames.<name>: {name, email, password,
roles}``) with bcrypt hashes only. It is written only by this module — never by a sign-in — and always
atomically (a temporary file in the same folder, then ``os.replace``) under an exclusive lock, so the admin
page and the command line never lose each other's changes and a reader never sees half a file.
"""

from __future__ import annotations

import argparse
import copy
import fcntl
import getpass
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import bcrypt
import yaml

from dashboard import audit
from data_access.contract import ROLES
from data_access.settings import CREDENTIALS_FILE

MIN_PASSWORD_CHARACTERS: Final = 12
MAX_PASSWORD_BYTES: Final = 72  # bcrypt ignores (bcrypt 5 refuses) anything longer
DEMO_PREFIX: Final = "demo-"
USERNAME_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
BCRYPT_PATTERN: Final = re.compile(r"^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$")


class CredentialsError(Exception):
    """The credentials file cannot be read, or a change to it breaks a rule; the message says which."""


@dataclass(frozen=True)
class UserRecord:
    """One account of the credentials file (the hash is kept for verification, never shown)."""

    username: str
    name: str
    role: str
    email: str | None
    password_hash: str

    def __repr__(self) -> str:
        return f"UserRecord(username={self.username!r}, name={self.name!r}, role={self.role!r})"


def credentials_path() -> Path:
    """The credentials file in force (the ``IMPACT_CREDENTIALS_FILE`` setting)."""
    return Path(CREDENTIALS_FILE.get())


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be used, or ``None`` when it may (12 characters to 72 bytes)."""
    if len(password) < MIN_PASSWORD_CHARACTERS:
        return f"The password must be at least {MIN_PASSWORD_CHARACTERS} characters long."
    size = len(password.encode("utf-8"))
    if size > MAX_PASSWORD_BYTES:
        return (
            f"The password must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8 (bcrypt's limit); "
            f"this one is {size} bytes. Use fewer or plainer characters."
        )
    return None


def username_problem(username: str, allow_demo: bool = False) -> str | None:
    """Why ``username`` may not be used for a new account, or ``None``."""
    if not USERNAME_PATTERN.match(username):
        return (
            "A username is 2 to 64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    if username.startswith(DEMO_PREFIX) and not allow_demo:
        return (
            f"Names starting with {DEMO_PREFIX!r} are reserved for the demo accounts "
            "(use --allow-demo only for a throwaway demo)."
        )
    return None


def hash_password(password: str) -> str:
    """A bcrypt hash of ``password`` (cost 12, a fresh salt).

    This is exactly what streamlit-authenticator's ``Hasher.hash`` does (``bcrypt.hashpw`` with
    ``bcrypt.gensalt()``); calling bcrypt directly keeps Streamlit (which the library imports, with its
    "missing ScriptRunContext" warnings) out of the command line.
    """
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(12)).decode("ascii")


# Reading -------------------------------------------------------------------------------------------------


def load_raw(path: Path | None = None) -> dict[str, Any]:
    """The parsed credentials file, or an empty one when the file does not exist.

    Raises:
        CredentialsError: the file exists but is not the expected YAML shape.
    """
    path = path or credentials_path()
    if not path.exists():
        return {"credentials": {"usernames": {}}}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CredentialsError(f"Cannot read the credentials file {path}: {error}") from error
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CredentialsError(f"The credentials file {path} is not a YAML mapping.")
    credentials = data.setdefault("credentials", {}) or {}
    data["credentials"] = credentials
    if not isinstance(credentials, dict):
        raise CredentialsError(f"'credentials' in {path} is not a mapping.")
    usernames = credentials.get("usernames") or {}
    if not isinstance(usernames, dict) or not all(isinstance(entry, dict) for entry in usernames.values()):
        raise CredentialsError(f"'credentials.usernames' in {path} is not a mapping of user entries.")
    credentials["usernames"] = usernames
    return data


def _record_from(username: str, entry: dict[str, Any]) -> UserRecord:
    roles = entry.get("roles") or []
    if isinstance(roles, str):
        roles = [roles]
    role = str(roles[0]) if isinstance(roles, list) and roles else ""
    email = entry.get("email")
    return UserRecord(
        username=str(username).strip().lower(),
        name=str(entry.get("name") or username),
        role=role,
        email=str(email) if email else None,
        password_hash=str(entry.get("password") or ""),
    )


def read_users(path: Path | None = None) -> dict[str, UserRecord]:
    """Every account of the credentials file by lower-case username (empty when there is no file)."""
    usernames = load_raw(path)["credentials"]["usernames"]
    return {record.username: record for record in (_record_from(k, v) for k, v in usernames.items())}


_CACHE: dict[tuple[str, int, int], dict[str, UserRecord]] = {}


def read_users_cached(path: Path | None = None) -> dict[str, UserRecord]:
    """``read_users`` re-read only when the file changes (checked by its modification time and size)."""
    path = path or credentials_path()
    try:
        status = path.stat()
    except FileNotFoundError:
        return {}
    key = (str(path.resolve()), status.st_mtime_ns, status.st_size)
    users = _CACHE.get(key)
    if users is None:  # read outside the dict, so a concurrent session clearing it cannot break this one
        users = read_users(path)
        _CACHE.clear()
        _CACHE[key] = users
    return dict(users)


def configuration_problems(users: dict[str, UserRecord]) -> list[str]:
    """Problems with the accounts themselves: unknown roles and passwords that are not bcrypt hashes."""
    problems = []
    for user in users.values():
        if user.role not in ROLES:
            problems.append(f"User {user.username!r} has no valid role (roles: {', '.join(ROLES)}).")
        if not BCRYPT_PATTERN.match(user.password_hash):
            problems.append(
                f"User {user.username!r} has a password that is not a bcrypt hash; set it again with "
                "`python -m dashboard users add`."
            )
    return problems


# Writing -------------------------------------------------------------------------------------------------


@contextmanager
def _exclusive(path: Path) -> Iterator[dict[str, Any]]:
    """Hold the file's lock, hand out its parsed content, and write it back atomically on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    with lock_path.open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        data = copy.deepcopy(load_raw(path))
        yield data
        _write_atomically(path, data)


def _write_atomically(path: Path, data: dict[str, Any]) -> None:
    text = "# Managed by `python -m dashboard users`; bcrypt hashes only. Never commit this file.\n"
    text += yaml.safe_dump(data, sort_keys=True, allow_unicode=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _admins_after(usernames: dict[str, Any]) -> int:
    return sum(1 for entry in usernames.values() if "admin" in (entry.get("roles") or []))


def add_user(
    username: str,
    role: str,
    password: str,
    display_name: str | None = None,
    email: str | None = None,
    *,
    allow_demo: bool = False,
    actor: str | None = None,
    path: Path | None = None,
) -> UserRecord:
    """Add an account.

    Args:
        username: The sign-in name (lower-case).
        role: One of the contract's roles.
        password: The password in clear; only its bcrypt hash is written.
        display_name: The name shown when signed in (default: the username).
        email: Optional contact address.
        allow_demo: Permit a ``demo-`` name (never in a real deployment).
        actor: Who made the change, for the audit log.
        path: The credentials file (default: the setting).

    Returns:
        The new account.

    Raises:
        CredentialsError: a rule is broken or the username exists.
    """
    username = username.strip().lower()
    problem = username_problem(username, allow_demo) or _role_problem(role) or password_problem(password)
    if problem:
        raise CredentialsError(problem)
    path = path or credentials_path()
    password_hash = hash_password(password)
    with _exclusive(path) as data:
        usernames = data["credentials"]["usernames"]
        if username in {str(name).lower() for name in usernames}:
            raise CredentialsError(f"User {username!r} already exists; remove it first or change its role.")
        entry: dict[str, Any] = {"name": display_name or username, "password": password_hash, "roles": [role]}
        if email:
            entry["email"] = email
        usernames[username] = entry
    audit.record(audit.USER_ADDED, actor, target=username, role=role)
    return _record_from(username, entry)


def _role_problem(role: str) -> str | None:
    if role not in ROLES:
        return f"Unknown role {role!r}; choose one of: {', '.join(ROLES)}."
    return None


def _find(usernames: dict[str, Any], username: str) -> str:
    for name in usernames:
        if str(name).lower() == username:
            return str(name)
    raise CredentialsError(f"No user named {username!r}.")


def set_role(username: str, role: str, *, actor: str | None = None, path: Path | None = None) -> UserRecord:
    """Change an account's role (takes effect on the user's next click; no new sign-in is needed).

    Raises:
        CredentialsError: unknown user or role, or the change would leave no admin.
    """
    username = username.strip().lower()
    problem = _role_problem(role)
    if problem:
        raise CredentialsError(problem)
    path = path or credentials_path()
    with _exclusive(path) as data:
        usernames = data["credentials"]["usernames"]
        key = _find(usernames, username)
        before = list(usernames[key].get("roles") or [])
        usernames[key]["roles"] = [role]
        if _admins_after(usernames) == 0 and "admin" in before:
            raise CredentialsError("That would leave no admin; make another user admin first.")
        record = _record_from(key, usernames[key])
    audit.record(
        audit.ROLE_CHANGED, actor, target=username, role=role, previous=before[0] if before else None
    )
    return record


def remove_user(username: str, *, actor: str | None = None, path: Path | None = None) -> None:
    """Remove an account and revoke its sessions, so a signed-in browser is signed out at its next click.

    Raises:
        CredentialsError: unknown user, or removing the last admin.
    """
    from dashboard.state import StateStore

    username = username.strip().lower()
    path = path or credentials_path()
    with _exclusive(path) as data:
        usernames = data["credentials"]["usernames"]
        key = _find(usernames, username)
        was_admin = "admin" in (usernames[key].get("roles") or [])
        del usernames[key]
        if was_admin and _admins_after(usernames) == 0:
            raise CredentialsError("That would remove the last admin; make another user admin first.")
    StateStore().revoke_user_sessions(username, time.time())
    audit.record(audit.USER_REMOVED, actor, target=username)


def unlock(username: str | None = None, *, address: str | None = None, actor: str | None = None) -> int:
    """Lift the sign-in throttle on a username (from every address) and/or on a client address.

    Returns:
        How many throttle rows were removed (0 when nothing was throttled).
    """
    from dashboard.state import StateStore, username_key

    store = StateStore()
    removed = 0
    if username:
        removed += store.unlock(username)
        audit.record(audit.UNLOCKED, actor, target=username_key(username), rows=removed)
    if address:
        count = store.unlock_address(address)
        removed += count
        audit.record(audit.UNLOCKED, actor, address=address.strip(), rows=count)
    return removed


def list_users(path: Path | None = None) -> list[UserRecord]:
    """Every account, by username."""
    return sorted(read_users(path).values(), key=lambda user: user.username)


# Command line --------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """An argument parser that exits 2 with its message."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m dashboard users", description="Manage the dashboard's accounts.")
    commands = parser.add_subparsers(dest="action", required=True, parser_class=_Parser)
    add = commands.add_parser("add", help="add an account (the password is asked twice, never echoed)")
    add.add_argument("username", metavar="NAME")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--display-name", help="the name shown when signed in (default: NAME)")
    add.add_argument("--email")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (for automation)",
    )
    add.add_argument("--allow-demo", action="store_true", help="permit a demo-* name (throwaway demos only)")
    commands.add_parser("list", help="list accounts and roles (never hashes)")
    set_role_parser = commands.add_parser("set-role", help="change an account's role")
    set_role_parser.add_argument("username", metavar="NAME")
    set_role_parser.add_argument("role", metavar="ROLE", choices=ROLES)
    remove = commands.add_parser("remove", help="remove an account and revoke its sessions")
    remove.add_argument("username", metavar="NAME")
    unlock_parser = commands.add_parser(
        "unlock", help="lift the failed-sign-in throttle on a username (every address), or on --address"
    )
    unlock_parser.add_argument("username", metavar="NAME", nargs="?")
    unlock_parser.add_argument("--address", help="also (or only) lift the throttle on this client address")
    return parser  # fmt: skip


def _ask_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    if not sys.stdin.isatty():
        raise CredentialsError("No terminal to ask for the password on; pass --password-stdin to read it.")
    first = getpass.getpass("Password (12 characters to 72 bytes): ")
    problem = password_problem(first)
    if problem:
        raise CredentialsError(problem)
    if getpass.getpass("Password again: ") != first:
        raise CredentialsError("The two passwords differ; nothing was changed.")
    return first


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m dashboard users ...``; returns the exit code (0 done, 2 refused)."""
    args = _build_parser().parse_args(argv)
    path = credentials_path()
    actor = f"cli:{getpass.getuser()}"
    try:
        if args.action == "add":
            created = not path.exists()
            password = _ask_password(args.password_stdin)
            user = add_user(args.username, args.role, password, args.display_name, args.email,
                            allow_demo=args.allow_demo, actor=actor)  # fmt: skip
            if created:
                print(f"Created {path}.")
            print(f"Added {user.username} ({user.role}).")
        elif args.action == "list":
            users = list_users()
            if not users:
                print(f"No users in {path}.")
            width = max((len(user.username) for user in users), default=8)
            for user in users:
                print(f"{user.username:<{width}}  {user.role:<12}  {user.name}")
        elif args.action == "set-role":
            user = set_role(args.username, args.role, actor=actor)
            print(f"{user.username} is now {user.role}.")
        elif args.action == "remove":
            remove_user(args.username, actor=actor)
            print(f"Removed {args.username.strip().lower()} and revoked its sessions.")
        elif args.action == "unlock":
            if not args.username and not args.address:
                raise CredentialsError("Name a username, or give --address, to unlock.")
            removed = unlock(args.username, address=args.address, actor=actor)
            what = " and ".join(filter(None, [args.username, args.address and f"address {args.address}"]))
            print(f"Unlocked {what} ({removed} throttle rows removed).")
    except CredentialsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
