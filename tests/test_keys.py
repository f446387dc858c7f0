"""Keys and the environment: fail-closed demo mode, weak secrets refused, the SDC key's recorded fingerprint.

Finding 1 of issue 13 (demo mode switched on by snapshot content, ``IMPACT_ENV=prod`` meaning "not
production") and finding 6 (a cookie key of 32 × "a" accepted, no SDC-key fingerprint).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from builders import make_snapshot, school
from keys_support import STRONG_COOKIE_KEY, STRONG_SDC_KEY

import dashboard.auth as auth
from dashboard.data import refresh_state
from data_access import settings
from data_access.snapshots import forget_cached

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No credentials file, a state folder of its own, nothing of the caller's environment."""
    for name in ("IMPACT_ENV", "IMPACT_COOKIE_KEY", "IMPACT_SDC_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IMPACT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("IMPACT_CREDENTIALS_FILE", str(tmp_path / "no-credentials.yaml"))
    monkeypatch.setenv("IMPACT_SNAPSHOT_ROOT", str(tmp_path / "snapshots"))
    refresh_state()
    forget_cached()
    yield tmp_path
    refresh_state()
    forget_cached()


def real_root(tmp_path: Path) -> Path:
    """A root serving one valid snapshot of real-looking (not demo) schools."""
    root = tmp_path / "snapshots"
    make_snapshot(root, "2026-11-20", schools=[school("S01", school_name="Real Street Primary")])
    return root


# Finding 1: demo mode fails closed ------------------------------------------------------------------------


def test_a_refused_newer_folder_saying_demo_does_not_turn_demo_mode_on(env: Path) -> None:
    real_root(env)
    forged = env / "snapshots" / "2026-12-01"
    forged.mkdir()
    (forged / "manifest.json").write_text(json.dumps({"demo": True}), encoding="utf-8")
    # Before: IMPACT_ENV unset, no credentials file, newest folder says demo -> demo accounts on real data.
    config = auth.load_config()
    assert not config.demo
    assert config.production
    assert any("No credentials file" in problem for problem in config.problems)


def test_even_asking_for_demo_refuses_while_a_real_snapshot_is_served(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_root(env)
    forged = env / "snapshots" / "2026-12-01"
    forged.mkdir()
    (forged / "manifest.json").write_text(json.dumps({"demo": True}), encoding="utf-8")
    monkeypatch.setenv("IMPACT_ENV", "demo")
    config = auth.load_config()
    assert not config.demo
    assert any("2026-11-20" in problem and "not demo data" in problem for problem in config.problems)


def test_demo_mode_needs_both_the_setting_and_demo_snapshots(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from data_access.demo import write_demo_snapshot

    write_demo_snapshot(env / "snapshots", children=20, seed=1, snapshot_date="2026-11-20")
    assert not auth.load_config().demo  # unset means production
    monkeypatch.setenv("IMPACT_ENV", "demo")
    config = auth.load_config()
    assert config.demo and not config.problems


@pytest.mark.parametrize("value", ["prod", "Production", "PRODUCTION ", "dev", "demo ", "true", "0"])
def test_an_environment_other_than_demo_or_production_refuses_to_start(
    env: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("IMPACT_ENV", value)
    with pytest.raises(settings.SettingError):
        settings.environment()
    config = auth.load_config()
    assert not config.demo
    assert config.problems and "IMPACT_ENV" in config.problems[0]


def test_check_command_refuses_a_typo_in_the_environment(env: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dashboard", "check"],
        env={**os.environ, "IMPACT_ENV": "prod", "PYTHONPATH": str(ROOT)},
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "IMPACT_ENV='prod' is not understood" in result.stderr


# Finding 6: weak secrets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("a" * 32, id="32-times-a"),
        pytest.param("ab" * 24, id="repeated-pair"),
        pytest.param("abcdefghijklmnopqrstuvwxyz0123456789", id="alphabet"),
        pytest.param("passwordpasswordpasswordpassword", id="word-repeated"),
        pytest.param("Secret-Password-2024!!-changeme-Wigan", id="common-words"),
        pytest.param("replace-with-a-long-random-secret", id="placeholder"),
        pytest.param("Tr0ub4dor&3", id="short"),
    ],
)
def test_a_low_entropy_secret_is_refused(key: str) -> None:
    assert settings.secret_problem(key, "cookie key") is not None


@pytest.mark.parametrize("key", [STRONG_COOKIE_KEY, STRONG_SDC_KEY])
def test_a_random_secret_is_accepted(key: str) -> None:
    assert settings.secret_problem(key, "cookie key") is None


def test_random_tokens_always_pass() -> None:
    import secrets

    for _ in range(300):
        assert settings.secret_problem(secrets.token_urlsafe(48), "k") is None
        assert settings.secret_problem(secrets.token_hex(16), "k") is None


def test_a_cookie_key_of_32_times_a_stops_production(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPACT_COOKIE_KEY", "a" * 32)
    monkeypatch.setenv("IMPACT_SDC_KEY", STRONG_SDC_KEY)
    assert any(
        "cookie key" in problem and "low-entropy" in problem for problem in auth.load_config().problems
    )


# Finding 6: the SDC key -----------------------------------------------------------------------------------


def test_the_demo_sdc_key_is_fixed_and_only_for_demo(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPACT_ENV", "demo")
    monkeypatch.setenv("IMPACT_SDC_KEY", STRONG_SDC_KEY)
    assert settings.sdc_key() == settings.DEMO_SDC_KEY
    monkeypatch.setenv("IMPACT_ENV", "production")
    assert settings.sdc_key() == STRONG_SDC_KEY.encode()


@pytest.mark.parametrize("value", ["", "short", "x" * 40, "secretsecretsecretsecretsecretsecret"])
def test_a_missing_or_weak_sdc_key_is_refused(env: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("IMPACT_SDC_KEY", value)
    with pytest.raises(settings.SecretRefused):
        settings.sdc_key()
    assert not (env / "state" / settings.SDC_FINGERPRINT_FILE).exists()


def test_the_sdc_key_fingerprint_is_recorded_then_a_new_key_refused_until_recorded(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMPACT_SDC_KEY", STRONG_SDC_KEY)
    assert settings.sdc_key() == STRONG_SDC_KEY.encode()
    record = env / "state" / settings.SDC_FINGERPRINT_FILE
    stored = record.read_text(encoding="utf-8")
    assert STRONG_SDC_KEY not in stored
    assert json.loads(stored)["fingerprint"] == settings.sdc_key_fingerprint(STRONG_SDC_KEY.encode())
    assert record.stat().st_mode & 0o777 == 0o600

    new_key = STRONG_SDC_KEY[::-1] + "Q7"
    monkeypatch.setenv("IMPACT_SDC_KEY", new_key)
    with pytest.raises(settings.SecretRefused, match="record-change"):
        settings.sdc_key()
    monkeypatch.setenv("IMPACT_COOKIE_KEY", STRONG_COOKIE_KEY)
    assert any("SDC key" in problem for problem in auth.load_config().problems)

    command = [
        sys.executable,
        "-m",
        "dashboard",
        "sdc-key",
        "record-change",
        "--reason",
        "yearly key rotation",
    ]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(command, env=environment, cwd=ROOT, capture_output=True, text=True, timeout=120,
                            check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert settings.sdc_key() == new_key.encode()
    from dashboard import audit

    (event,) = audit.read_events(events={audit.SDC_KEY_CHANGED})
    assert event["details"]["reason"] == "yearly key rotation"
    assert new_key not in json.dumps(event)


def test_record_change_needs_a_reason(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPACT_SDC_KEY", STRONG_SDC_KEY)
    from dashboard import keys

    with pytest.raises(settings.SecretRefused):
        keys.record_change("  ", "tester")


def test_the_demo_key_is_never_handed_out_for_real_data(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPACT_ENV", "demo")
    assert settings.sdc_key(for_demo_data=True) == settings.DEMO_SDC_KEY
    with pytest.raises(settings.SecretRefused, match="not demo data"):
        settings.sdc_key(for_demo_data=False)
