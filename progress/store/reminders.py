"""Who can be reminded, and the log of reminders sent (one per person, kind and day).

The log makes ``python -m progress remind`` idempotent per day: a second run on the same day
sends nothing already sent. It records that a reminder went out, never what it said.
"""

from __future__ import annotations

import re

import sqlite_utils

from progress.errors import NotFound, ValidationError
from progress.store.audit import Actor, record_event
from progress.timeutil import to_iso

REMINDER_KINDS = ("overdue_measures", "open_alerts", "escalated_alerts")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_email(email: str) -> str:
    """An e-mail address trimmed, or a ValidationError naming it."""
    text = (email or "").strip()
    if not _EMAIL.match(text) or len(text) > 254:
        raise ValidationError(f"E-mail address {email!r} is not of the form name@example.org.")
    return text


def set_user_email(db: sqlite_utils.Database, user_id: int, email: str | None) -> None:
    """Set (or with None, clear) the address reminders go to. Call inside the caller's
    transaction when it is part of a larger change (e.g. creating the user)."""
    value = None if email is None else check_email(email)
    if db.execute("SELECT 1 FROM users WHERE id = ?", [user_id]).fetchone() is None:
        raise NotFound(f"No user with id {user_id}.")
    db.execute("UPDATE users SET email = ? WHERE id = ?", [value, user_id])


def reachable_users(db: sqlite_utils.Database) -> list[dict]:
    """Active users with an e-mail address: id, username, role, patient_id, email."""
    return list(db.query(
        "SELECT id, username, role, patient_id, email FROM users "
        "WHERE disabled = 0 AND email IS NOT NULL AND email <> '' ORDER BY id"
    ))


def open_alerts_by_therapist(db: sqlite_utils.Database) -> dict[int, int]:
    """therapist user id -> number of open (unacknowledged) alerts of their patients."""
    rows = db.execute(
        "SELECT p.therapist_id, COUNT(*) FROM alerts a JOIN patients p ON p.id = a.patient_id "
        "WHERE a.status = 'open' AND p.therapist_id IS NOT NULL GROUP BY p.therapist_id"
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def open_alert_times(db: sqlite_utils.Database) -> list[tuple[int, str, str | None]]:
    """(id, created_at, escalated_at) of every open alert."""
    return [tuple(r) for r in db.execute(
        "SELECT id, created_at, escalated_at FROM alerts WHERE status = 'open' ORDER BY id"
    ).fetchall()]


def reminders_sent_on(db: sqlite_utils.Database, day: str) -> set[tuple[int, str]]:
    """(user id, kind) of the reminders already sent on ``day`` (YYYY-MM-DD, clinic time)."""
    return {(r[0], r[1]) for r in db.execute("SELECT user_id, kind FROM reminders_sent WHERE day = ?", [day])}


def record_reminder(
    db: sqlite_utils.Database, *, day: str, user_id: int, kind: str, at: str, actor: Actor
) -> None:
    """Log one reminder sent, with an audit event naming its kind (never its text)."""
    if kind not in REMINDER_KINDS:
        raise ValidationError(f"Reminder kind {kind!r} is not one of {', '.join(REMINDER_KINDS)}.")
    patient = db.execute("SELECT patient_id FROM users WHERE id = ?", [user_id]).fetchone()
    with db.atomic():
        db.execute(
            "INSERT INTO reminders_sent(day, user_id, kind, sent_at) VALUES (?,?,?,?)",
            [day, user_id, kind, to_iso(at)],
        )
        record_event(db, actor, "reminder.send", at, patient[0] if patient else None, detail=f"{kind} to user {user_id}")


__all__ = [
    'REMINDER_KINDS', 'check_email', 'set_user_email', 'reachable_users', 'open_alerts_by_therapist',
    'open_alert_times', 'reminders_sent_on', 'record_reminder',
]
