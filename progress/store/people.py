"""Users and patients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlite_utils

from progress.errors import NotFound, ValidationError
from progress.store.outcomes import flag_bits
from progress.store.schema import INDICATIONS, ROLES
from progress.timeutil import to_iso


def add_user(
    db: sqlite_utils.Database,
    username: str,
    role: str,
    *,
    display_name: str | None = None,
    password_hash: str | None = None,
    patient_id: str | None = None,
    is_demo: bool = False,
    created_at: str,
) -> int:
    if role not in ROLES:
        raise ValidationError(f"Role {role!r} is not one of {', '.join(ROLES)}.")
    if not username or not username.strip():
        raise ValidationError("A user name is required.")
    if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise ValidationError(f"User name {username!r} is already taken.")
    with db.atomic():
        cur = db.execute(
            "INSERT INTO users(username, display_name, role, password_hash, patient_id, is_demo, "
            "created_at) VALUES (?,?,?,?,?,?,?)",
            [username, display_name or username, role, password_hash, patient_id, int(is_demo), to_iso(created_at)],
        )
        return cur.lastrowid


def get_user(db: sqlite_utils.Database, *, username: str | None = None, user_id: int | None = None) -> dict | None:
    if username is not None:
        rows = db.query("SELECT * FROM users WHERE username = ?", [username])
    else:
        rows = db.query("SELECT * FROM users WHERE id = ?", [user_id])
    return next(iter(rows), None)


def get_user_by_email(db: sqlite_utils.Database, email: str) -> dict | None:
    """The account with this e-mail address (case-insensitive), for identity-provider sign-in."""
    rows = db.query("SELECT * FROM users WHERE lower(email) = lower(?)", [email.strip()])
    return next(iter(rows), None)


def update_user(db: sqlite_utils.Database, user_id: int, **fields: Any) -> None:
    allowed = {"password_hash", "disabled", "display_name"}
    if not fields or set(fields) - allowed:
        raise ValidationError(f"Only {', '.join(sorted(allowed))} can be changed.")
    sets = ", ".join(f"{k} = ?" for k in fields)
    with db.atomic():
        db.execute(f"UPDATE users SET {sets} WHERE id = ?", [*fields.values(), user_id])


def list_users(db: sqlite_utils.Database, role: str | None = None) -> list[dict]:
    if role:
        return list(db.query("SELECT * FROM users WHERE role = ? ORDER BY username", [role]))
    return list(db.query("SELECT * FROM users ORDER BY role, username"))


def add_patient(
    db: sqlite_utils.Database,
    patient_id: str,
    *,
    indications: Iterable[str] = (),
    therapist_id: int | None = None,
    created_at: str,
) -> None:
    inds = list(indications)
    for ind in inds:
        if ind not in INDICATIONS:
            raise ValidationError(f"Indication {ind!r} is not one of {', '.join(INDICATIONS)}.")
    if not patient_id or not str(patient_id).strip():
        raise ValidationError("A patient id is required.")
    with db.atomic():
        db.execute(
            "INSERT INTO patients(id, indications, therapist_id, created_at) VALUES (?,?,?,?)",
            [patient_id, ",".join(inds), therapist_id, to_iso(created_at)],
        )
        db.execute(
            "INSERT INTO patient_summaries(patient_id, indication_flags) VALUES (?, ?)",
            [patient_id, flag_bits(inds, INDICATIONS)],
        )


def get_patient(db: sqlite_utils.Database, patient_id: str) -> dict:
    row = next(iter(db.query("SELECT * FROM patients WHERE id = ?", [patient_id])), None)
    if row is None:
        raise NotFound(f"No patient with id {patient_id!r}.")
    return row


def patient_exists(db: sqlite_utils.Database, patient_id: str) -> bool:
    return db.execute("SELECT 1 FROM patients WHERE id = ?", [patient_id]).fetchone() is not None


def list_patient_ids(db: sqlite_utils.Database, therapist_id: int | None = None) -> list[str]:
    if therapist_id is None:
        return [r[0] for r in db.execute("SELECT id FROM patients ORDER BY id")]
    return [
        r[0]
        for r in db.execute("SELECT id FROM patients WHERE therapist_id = ? ORDER BY id", [therapist_id])
    ]


def assign_patients(db: sqlite_utils.Database, patient_ids: Iterable[str], therapist_id: int) -> int:
    """Move patients onto a therapist's caseload (one transaction); returns how many moved.
    Raises NotFound for an unknown patient or a user who is not a therapist, changing nothing."""
    ids = list(patient_ids)
    row = db.execute("SELECT role FROM users WHERE id = ?", [therapist_id]).fetchone()
    if row is None or row[0] != "therapist":
        raise NotFound(f"No therapist with user id {therapist_id}.")
    with db.atomic():
        moved = 0
        for pid in ids:
            cur = db.execute("UPDATE patients SET therapist_id = ? WHERE id = ?", [therapist_id, pid])
            if cur.rowcount == 0:
                raise NotFound(f"No patient {pid!r}.")
            moved += cur.rowcount
    return moved


__all__ = ['assign_patients', 'add_user', 'get_user', 'get_user_by_email', 'update_user', 'list_users', 'add_patient', 'get_patient', 'patient_exists', 'list_patient_ids']
