"""The ``python -m dashboard users`` and ``check`` commands, run as a user would run them (subprocesses)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from keys_support import STRONG_COOKIE_KEY, STRONG_SDC_KEY

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = STRONG_COOKIE_KEY
PASSWORD = "a perfectly good password"


class Site:
    """A throwaway deployment: its own credentials file, state folder and environment."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.credentials = folder / "config" / "credentials.yaml"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "IMPACT_CREDENTIALS_FILE": str(self.credentials),
            "IMPACT_STATE_DIR": str(folder / "state"),
            "IMPACT_SNAPSHOT_ROOT": str(folder / "snapshots"),
            "IMPACT_COOKIE_KEY": GOOD_KEY,
            "IMPACT_SDC_KEY": STRONG_SDC_KEY,
        }
        self.env.pop("IMPACT_ENV", None)  # unset: production

    def run(
        self, *args: str, stdin: str | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dashboard", *args],
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            cwd=cwd or ROOT,
            env=self.env,
            timeout=60,
            check=False,
        )

    def add(
        self, name: str, role: str, password: str = PASSWORD, *extra: str
    ) -> subprocess.CompletedProcess[str]:
        return self.run(
            "users", "add", name, "--role", role, "--password-stdin", *extra, stdin=password + "\n"
        )

    def entries(self) -> dict[str, dict[str, object]]:
        data = yaml.safe_load(self.credentials.read_text(encoding="utf-8"))
        entries: dict[str, dict[str, object]] = data["credentials"]["usernames"]
        return entries


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path)


def test_add_list_set_role_and_remove(site: Site) -> None:
    added = site.add("jo.smith", "admin", PASSWORD, "--display-name", "Jo Smith", "--email", "jo@example.org")
    assert added.returncode == 0, added.stderr
    assert "Added jo.smith (admin)" in added.stdout
    assert site.add("sam", "councillor").returncode == 0

    entry = site.entries()["jo.smith"]
    assert entry["name"] == "Jo Smith" and entry["roles"] == ["admin"] and entry["email"] == "jo@example.org"
    assert str(entry["password"]).startswith("$2b$12$")
    text = site.credentials.read_text(encoding="utf-8")
    assert PASSWORD not in text
    assert stat.S_IMODE(site.credentials.stat().st_mode) == 0o600
    assert sorted(p.name for p in site.credentials.parent.iterdir()) == [
        "credentials.yaml",
        "credentials.yaml.lock",
    ]

    listed = site.run("users", "list")
    assert listed.returncode == 0
    assert "jo.smith" in listed.stdout and "Jo Smith" in listed.stdout and "councillor" in listed.stdout
    assert "$2" not in listed.stdout

    assert site.run("users", "set-role", "sam", "commissioner").returncode == 0
    assert site.entries()["sam"]["roles"] == ["commissioner"]
    assert site.run("users", "remove", "sam").returncode == 0
    assert "sam" not in site.entries()
    assert "sam" not in site.run("users", "list").stdout

    events = (site.folder / "state" / "audit.jsonl").read_text(encoding="utf-8")
    assert "user_added" in events and "role_changed" in events and "user_removed" in events
    assert PASSWORD not in events


@pytest.mark.parametrize(
    ("password", "ok", "message"),
    [
        pytest.param("x" * 11, False, "at least 12 characters", id="11-characters"),
        pytest.param("x" * 12, True, "", id="12-characters"),
        pytest.param("x" * 72, True, "", id="72-bytes"),
        pytest.param("x" * 73, False, "at most 72 bytes", id="73-bytes"),
        pytest.param("é" * 37, False, "this one is 74 bytes", id="37-characters-74-bytes"),
    ],
)
def test_password_rules(site: Site, password: str, ok: bool, message: str) -> None:
    result = site.add("jo", "admin", password)
    assert (result.returncode == 0) is ok, result.stderr
    assert message in result.stderr
    if not ok:
        assert result.returncode == 2
        assert not site.credentials.exists()
        assert "Traceback" not in result.stderr


def test_the_password_is_never_echoed_and_a_terminal_is_required_without_stdin_flag(site: Site) -> None:
    result = site.run("users", "add", "jo", "--role", "admin", stdin=PASSWORD + "\n")
    assert result.returncode == 2
    assert "--password-stdin" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("users", "add", "demo-admin", "--role", "admin", "--password-stdin"),
            "reserved for the demo accounts",
        ),
        (("users", "add", "Bad Name!", "--role", "admin", "--password-stdin"), "A username is"),
        (("users", "add", "jo", "--role", "mayor", "--password-stdin"), "invalid choice"),
        (("users", "set-role", "nobody", "admin"), "No user named 'nobody'"),
        (("users", "remove", "nobody"), "No user named 'nobody'"),
        (("users",), "required"),
        (("nonsense",), "usage"),
        ((), "usage"),
    ],
)
def test_refusals_exit_2_with_a_clear_message(site: Site, args: tuple[str, ...], message: str) -> None:
    result = site.run(*args, stdin=PASSWORD + "\n")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_username_cannot_be_added_twice(site: Site) -> None:
    assert site.add("jo", "admin").returncode == 0
    again = site.add("JO", "councillor")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert site.entries()["jo"]["roles"] == ["admin"]


def test_the_last_admin_cannot_be_removed_or_demoted(site: Site) -> None:
    assert site.add("jo", "admin").returncode == 0
    assert site.add("sam", "councillor").returncode == 0
    demote = site.run("users", "set-role", "jo", "councillor")
    assert demote.returncode == 2 and "no admin" in demote.stderr
    remove = site.run("users", "remove", "jo")
    assert remove.returncode == 2 and "last admin" in remove.stderr
    assert site.entries()["jo"]["roles"] == ["admin"]


def test_a_demo_account_needs_allow_demo(site: Site) -> None:
    assert site.add("demo-admin", "admin", PASSWORD, "--allow-demo").returncode == 0
    assert "demo-admin" in site.entries()


# `python -m dashboard check`: the refusal to start ---------------------------------------------------------


def test_check_passes_for_a_safe_real_deployment(site: Site) -> None:
    assert site.add("jo", "admin").returncode == 0
    site.env["IMPACT_ENV"] = "production"
    result = site.run("check")
    assert result.returncode == 0, result.stderr
    assert "OK: real mode" in result.stdout


def test_check_refuses_production_with_a_demo_account(site: Site) -> None:
    assert site.add("jo", "admin").returncode == 0
    assert site.add("demo-councillor", "councillor", PASSWORD, "--allow-demo").returncode == 0
    site.env["IMPACT_ENV"] = "production"
    result = site.run("check")
    assert result.returncode == 2
    assert "REFUSED" in result.stderr and "demo-councillor" in result.stderr


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "No cookie key"),
        ("replace-with-a-long-random-secret", "published example"),
        ("short-key", "too short"),
    ],
)
def test_check_refuses_production_with_a_missing_or_default_key(site: Site, key: str, message: str) -> None:
    assert site.add("jo", "admin").returncode == 0
    site.env["IMPACT_ENV"] = "production"
    site.env["IMPACT_COOKIE_KEY"] = key
    # Run from an empty folder, so no .streamlit/secrets.toml supplies a key.
    result = site.run("check", cwd=site.folder)
    assert result.returncode == 2
    assert message in result.stderr


def test_check_takes_the_key_from_secrets_toml(site: Site) -> None:
    assert site.add("jo", "admin").returncode == 0
    site.env["IMPACT_COOKIE_KEY"] = ""
    (site.folder / ".streamlit").mkdir()
    (site.folder / ".streamlit" / "secrets.toml").write_text(f'cookie_key = "{GOOD_KEY}"\n', encoding="utf-8")
    assert site.run("check", cwd=site.folder).returncode == 0


def test_check_refuses_a_real_snapshot_root_without_credentials(site: Site) -> None:
    result = site.run("check")
    assert result.returncode == 2
    assert "No credentials file" in result.stderr


def test_check_accepts_demo_mode_without_key_or_credentials(site: Site) -> None:
    for name in ("IMPACT_COOKIE_KEY", "IMPACT_SNAPSHOT_ROOT", "IMPACT_CREDENTIALS_FILE"):
        site.env.pop(name)
    site.env["IMPACT_ENV"] = "demo"
    result = site.run("check", cwd=site.folder)  # the default root, data/snapshots, empty
    assert result.returncode == 0, result.stderr
    assert "demo mode" in result.stdout
    site.env["IMPACT_ENV"] = "production"
    assert site.run("check", cwd=site.folder).returncode == 2


def test_the_example_credentials_file_is_a_safe_start(site: Site) -> None:
    site.credentials.parent.mkdir(parents=True)
    site.credentials.write_text((ROOT / "config" / "credentials.yaml.example").read_text(encoding="utf-8"))
    refused = site.run("check")
    assert refused.returncode == 2
    assert "has no accounts" in refused.stderr
    assert site.add("jo", "admin").returncode == 0
    assert site.run("check").returncode == 0


def test_check_refuses_a_password_that_is_not_a_bcrypt_hash(site: Site) -> None:
    site.credentials.parent.mkdir(parents=True)
    entry = {"name": "Jo", "password": "plain-text-password", "roles": ["admin"]}
    site.credentials.write_text(yaml.safe_dump({"credentials": {"usernames": {"jo": entry}}}))
    result = site.run("check")
    assert result.returncode == 2
    assert "not a bcrypt hash" in result.stderr
