"""Accounts: argon2id parameters, sign-in throttling and lockout, demo accounts only in the demo
database, server-side sessions with idle timeout and lifetime, disabling ends sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import extract_parameters

from progress import auth, store
from progress.errors import AuthError, ValidationError
from progress.timeutil import parse_instant, to_iso

T0 = "2026-12-03T09:00:00Z"
PASSWORD = "correct horse battery"


def later(minutes: float, start: str = T0) -> str:
    return to_iso(parse_instant(start) + timedelta(minutes=minutes))


@pytest.fixture
def user(db) -> auth.User:
    uid = store.add_user(db, "dr_kim", "therapist", display_name="Dr Kim",
                         password_hash=auth.hash_password(PASSWORD), created_at=T0)
    return auth.load_user(db, uid)


def actions(db) -> list[str]:
    return list(store.audit_events(db)["action"])[::-1]  # oldest first


def test_hashes_are_argon2id_with_the_stated_parameters():
    params = extract_parameters(auth.hash_password(PASSWORD))
    assert (params.type.name, params.time_cost, params.memory_cost, params.parallelism) == (
        "ID", auth.ARGON2_TIME_COST, auth.ARGON2_MEMORY_KIB, auth.ARGON2_PARALLELISM)
    assert (auth.ARGON2_TIME_COST, auth.ARGON2_MEMORY_KIB, auth.ARGON2_PARALLELISM) == (3, 65536, 4)  # RFC 9106


def test_new_passwords_follow_the_nist_rule():
    with pytest.raises(ValidationError, match="common"):
        auth.hash_password("password1")


# -- throttling -----------------------------------------------------------------------


def fail(db, name: str, n: int, start: str = T0) -> None:
    for i in range(n):
        with pytest.raises(AuthError, match="do not match"):
            auth.authenticate(db, name, "wrong password", at=later(i, start))


@pytest.mark.parametrize("name", ["dr_kim", "nobody_here"], ids=["known-name", "unknown-name"])
def test_five_failures_lock_the_name_even_for_the_right_password(db, user, name):
    fail(db, name, auth.LOCKOUT_FAILURES)
    with pytest.raises(AuthError, match="Too many failed sign-ins"):
        auth.authenticate(db, name, PASSWORD, at=later(6))
    assert actions(db).count("session.sign_in_failed") == auth.LOCKOUT_FAILURES
    assert actions(db).count("session.locked") == 1


def test_four_failures_do_not_lock_and_a_success_resets_the_count(db, user):
    fail(db, "dr_kim", auth.LOCKOUT_FAILURES - 1)
    assert auth.authenticate(db, "dr_kim", PASSWORD, at=later(5)).id == user.id
    fail(db, "dr_kim", auth.LOCKOUT_FAILURES - 1, start=later(6))
    assert auth.authenticate(db, "dr_kim", PASSWORD, at=later(12)).id == user.id


def test_the_lock_lifts_after_the_lockout_minutes(db, user):
    fail(db, "dr_kim", auth.LOCKOUT_FAILURES)
    last = later(auth.LOCKOUT_FAILURES - 1)
    with pytest.raises(AuthError, match="Too many"):
        auth.authenticate(db, "dr_kim", PASSWORD, at=later(auth.LOCKOUT_MINUTES - 1, last))
    assert auth.authenticate(db, "dr_kim", PASSWORD, at=later(auth.LOCKOUT_MINUTES, last)).id == user.id


def test_the_clinic_can_set_a_stricter_threshold(db, user):
    store.set_setting(db, auth.SETTING_LOCKOUT_FAILURES, "2")
    fail(db, "dr_kim", 2)
    with pytest.raises(AuthError, match="Too many"):
        auth.authenticate(db, "dr_kim", PASSWORD, at=later(3))


def test_failure_audit_never_holds_the_password_or_an_unknown_name(db, user):
    with pytest.raises(AuthError):
        auth.authenticate(db, "hunter2-typed-as-name", "wrong password", at=T0)
    details = " ".join(store.audit_events(db)["detail"])
    assert "hunter2" not in details and "wrong password" not in details


@pytest.mark.parametrize(("demo_flag", "allowed"), [("1", True), (None, False)], ids=["demo-db", "clinic-db"])
def test_demo_accounts_sign_in_only_in_the_demo_database(db, demo_flag, allowed):
    store.add_user(db, "lead", "lead", password_hash=auth.hash_password(PASSWORD), is_demo=True, created_at=T0)
    if demo_flag:
        store.set_setting(db, "demo", demo_flag)
    if allowed:
        assert auth.authenticate(db, "lead", PASSWORD, at=T0).username == "lead"
    else:
        with pytest.raises(AuthError):
            auth.authenticate(db, "lead", PASSWORD, at=T0)


# -- sessions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("started", "seen", "now", "expected"),
    [
        (0, 0, 14.9, None),
        (0, 0, 15, "idle"),
        (0, 700, 714, None),
        (0, 715, 720, "lifetime"),
        (0, 30, 50, "idle"),
    ],
    ids=["active", "idle-15-min", "busy-all-day", "over-12-hours", "idle-after-activity"],
)
def test_session_end_reason(started, seen, now, expected):
    session = {"started_at": later(started), "last_seen_at": later(seen), "ended_at": None}
    assert auth.session_end_reason(session, later(now), idle_minutes=15, lifetime_hours=12) == expected


def test_an_active_session_resumes_and_its_idle_clock_restarts(db, user):
    token = auth.start_session(db, user, T0)
    for minute in (10, 20, 30):  # each run within 15 minutes of the last
        assert auth.resume_session(db, token, later(minute)) == (user, None)
    assert store.get_signin_session(db, token)["last_seen_at"] == later(30)


def test_reruns_within_a_minute_do_not_write_but_keep_the_session(db, user):
    """A page rerun writes the idle clock at most once a minute (no write lock per rerun)."""
    token = auth.start_session(db, user, T0)
    assert auth.resume_session(db, token, later(0.5)) == (user, None)
    assert store.get_signin_session(db, token)["last_seen_at"] == later(0)  # no write
    assert auth.resume_session(db, token, later(1)) == (user, None)
    assert store.get_signin_session(db, token)["last_seen_at"] == later(1)  # a minute on: written


def test_an_idle_session_ends_and_is_audited(db, user):
    token = auth.start_session(db, user, T0)
    assert auth.resume_session(db, token, later(16)) == (None, "idle")
    assert auth.resume_session(db, token, later(17)) == (None, "ended")  # and stays ended
    assert "session.timeout" in actions(db)


def test_a_background_check_does_not_keep_a_session_alive(db, user):
    token = auth.start_session(db, user, T0)
    assert auth.resume_session(db, token, later(10), touch=False)[0] == user
    assert auth.resume_session(db, token, later(16))[1] == "idle"


def test_idle_minutes_is_a_clinic_setting(db, user):
    store.set_setting(db, auth.SETTING_IDLE_MINUTES, "5")
    token = auth.start_session(db, user, T0)
    assert auth.resume_session(db, token, later(6))[1] == "idle"


def test_disabling_an_account_ends_its_open_sessions_at_once(db, user):
    tokens = [auth.start_session(db, user, T0) for _ in range(2)]  # two browsers
    assert auth.set_disabled(db, user.id, True, store.Actor.system("tests"), later(1)) == 2
    assert store.open_signin_sessions(db, user.id) == 0
    assert [auth.resume_session(db, t, later(2))[1] for t in tokens] == ["ended", "ended"]
    with pytest.raises(AuthError):
        auth.authenticate(db, "dr_kim", PASSWORD, at=later(3))


def test_sign_out_ends_the_session(db, user):
    token = auth.start_session(db, user, T0)
    auth.end_session(db, token, user, later(1))
    assert auth.resume_session(db, token, later(2)) == (None, "ended")
    assert actions(db)[-1] == "session.sign_out"


@pytest.mark.parametrize("token", [None, "", "forged-token"], ids=["none", "empty", "forged"])
def test_unknown_tokens_get_no_user(db, user, token):
    assert auth.resume_session(db, token, T0) == (None, "unknown")


def test_the_database_keeps_only_a_hash_of_the_token(db, user):
    token = auth.start_session(db, user, T0)
    stored = db.execute("SELECT token_hash FROM signin_sessions").fetchone()[0]
    assert token not in stored and len(stored) == 64


# -- command line ---------------------------------------------------------------------


def test_cli_settings_set_changes_the_idle_timeout_and_is_audited(tmp_path, capsys):
    from progress.__main__ import main

    path = tmp_path / "s.db"
    assert main(["settings", "set", auth.SETTING_IDLE_MINUTES, "5", "--db", str(path)]) == 0
    db = store.open_db(path)
    assert store.get_setting(db, auth.SETTING_IDLE_MINUTES) == "5"
    assert list(store.audit_events(db)["action"]) == ["settings.change"]
    assert main(["settings", "set", "demo", "1", "--db", str(path)]) == 2
    assert store.get_setting(db, "demo") is None


def test_cli_disable_ends_open_sessions(tmp_path, capsys):
    from progress.__main__ import main

    path = tmp_path / "d.db"
    db = store.open_db(path)
    uid = store.add_user(db, "dr_kim", "therapist", password_hash=auth.hash_password(PASSWORD), created_at=T0)
    auth.start_session(db, auth.load_user(db, uid), T0)
    assert main(["users", "disable", "dr_kim", "--db", str(path)]) == 0
    assert "1 open session(s) ended" in capsys.readouterr().out
    assert store.open_signin_sessions(db, uid) == 0


def test_cli_refuses_a_common_password_for_a_new_admin(tmp_path, capsys, monkeypatch):
    import io

    from progress.__main__ import main

    monkeypatch.setattr("sys.stdin", io.StringIO("password123\n"))
    path = tmp_path / "a.db"
    assert main(["users", "add", "boss", "--role", "admin", "--password-stdin", "--db", str(path)]) == 2
    assert "most common passwords" in capsys.readouterr().err
    assert store.list_users(store.open_db(path)) == []
