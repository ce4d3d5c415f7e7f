"""Server-side sign-in sessions and sign-in throttling (the SQL; the rules are in progress.auth).

A session is a random token held in the browser session's server-side state; the database keeps
only its SHA-256, so a copy of the database cannot be used to take over a session. Every page
run checks the session here, so ending it (sign-out, idle, lifetime, account disabled) takes
effect on the next run in every open tab.
"""

from __future__ import annotations

import hashlib
import secrets

import sqlite_utils

from progress.timeutil import to_iso


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_signin_session(db: sqlite_utils.Database, user_id: int, at: str) -> str:
    """Open a session for ``user_id`` and return its token (shown once, never stored)."""
    token = secrets.token_urlsafe(32)
    when = to_iso(at)
    with db.atomic():
        db.execute(
            "INSERT INTO signin_sessions(token_hash, user_id, started_at, last_seen_at) VALUES (?,?,?,?)",
            [_hash(token), user_id, when, when],
        )
    return token


def get_signin_session(db: sqlite_utils.Database, token: str) -> dict | None:
    """The session row for ``token`` (ended or not), or None for an unknown token."""
    if not isinstance(token, str) or not token:
        return None
    return next(iter(db.query("SELECT * FROM signin_sessions WHERE token_hash = ?", [_hash(token)])), None)


def touch_signin_session(db: sqlite_utils.Database, token: str, at: str) -> None:
    """Record activity now (restarts the idle clock)."""
    with db.atomic():
        db.execute(
            "UPDATE signin_sessions SET last_seen_at = ? WHERE token_hash = ? AND ended_at IS NULL",
            [to_iso(at), _hash(token)],
        )


def end_signin_session(db: sqlite_utils.Database, token: str, at: str, reason: str) -> None:
    with db.atomic():
        db.execute(
            "UPDATE signin_sessions SET ended_at = ?, end_reason = ? WHERE token_hash = ? AND ended_at IS NULL",
            [to_iso(at), reason, _hash(token)],
        )


def end_user_sessions(db: sqlite_utils.Database, user_id: int, at: str, reason: str) -> int:
    """End every open session of ``user_id`` (e.g. the account was disabled); return how many.
    Joins the caller's transaction when there is one."""
    with db.atomic():
        return db.execute(
            "UPDATE signin_sessions SET ended_at = ?, end_reason = ? WHERE user_id = ? AND ended_at IS NULL",
            [to_iso(at), reason, user_id],
        ).rowcount


def open_signin_sessions(db: sqlite_utils.Database, user_id: int) -> int:
    return db.execute(
        "SELECT COUNT(*) FROM signin_sessions WHERE user_id = ? AND ended_at IS NULL", [user_id]
    ).fetchone()[0]


def get_throttle(db: sqlite_utils.Database, username: str) -> dict | None:
    """Failed sign-ins in a row for ``username`` (known or not) and any lock."""
    return next(iter(db.query("SELECT * FROM signin_throttle WHERE username = ?", [username])), None)


def record_signin_failure(
    db: sqlite_utils.Database, username: str, at: str, *, locked_until: str | None
) -> None:
    with db.atomic():
        db.execute(
            "INSERT INTO signin_throttle(username, failures, last_failure_at, locked_until) "
            "VALUES (?, 1, ?, ?) ON CONFLICT(username) DO UPDATE SET failures = failures + 1, "
            "last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until",
            [username, to_iso(at), to_iso(locked_until) if locked_until else None],
        )


def reset_throttle(db: sqlite_utils.Database, username: str) -> None:
    with db.atomic():
        db.execute("DELETE FROM signin_throttle WHERE username = ?", [username])


__all__ = [
    'start_signin_session', 'get_signin_session', 'touch_signin_session', 'end_signin_session',
    'end_user_sessions', 'open_signin_sessions', 'get_throttle', 'record_signin_failure',
    'reset_throttle',
]
