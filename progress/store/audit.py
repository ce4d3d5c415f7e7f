"""The append-only, hash-chained audit log. Events never hold scores or answers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlite_utils

from progress.errors import ValidationError
from progress.store.connection import _frame, write_transaction
from progress.store.schema import GENESIS_HASH
from progress.timeutil import to_iso


@dataclass(frozen=True)
class Actor:
    """Who is acting, and from where (a page name or a command)."""

    user_id: int | None
    role: str | None
    source: str

    @classmethod
    def system(cls, source: str) -> Actor:
        return cls(None, "system", source)


def _audit_hash(prev: str, row: dict[str, Any]) -> str:
    payload = json.dumps({k: row[k] for k in sorted(row)}, separators=(",", ":"), default=str)
    return hashlib.sha256((prev + payload).encode()).hexdigest()


def record_event(
    db: sqlite_utils.Database,
    actor: Actor,
    action: str,
    at: str,
    patient_id: str | None = None,
    detail: str = "",
) -> None:
    """Append an audit event chained to the previous one. Never holds scores or answers.

    Inside the caller's transaction the event joins it. On its own it takes the write lock
    first (BEGIN IMMEDIATE), so two processes cannot read the same previous hash and fork
    the chain, and a busy database is waited for rather than failing.
    """
    with write_transaction(db):
        _append(db, actor, action, at, patient_id, detail)


def _append(
    db: sqlite_utils.Database, actor: Actor, action: str, at: str, patient_id: str | None, detail: str
) -> None:
    prev_row = db.execute("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
    prev = prev_row[0] if prev_row else GENESIS_HASH
    row = {
        "at": to_iso(at),
        "user_id": actor.user_id,
        "role": actor.role,
        "action": action,
        "patient_id": patient_id,
        "source": actor.source,
        "detail": detail,
    }
    db.execute(
        "INSERT INTO audit_events(at, user_id, role, action, patient_id, source, detail, "
        "prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)",
        [*row.values(), prev, _audit_hash(prev, row)],
    )


def verify_audit_chain(db: sqlite_utils.Database) -> tuple[bool, int, int | None]:
    """Re-hash the chain: returns (ok, events checked, id of the first broken event)."""
    prev = GENESIS_HASH
    n = 0
    cols = "id, at, user_id, role, action, patient_id, source, detail, prev_hash, hash"
    for r in db.execute(f"SELECT {cols} FROM audit_events ORDER BY id"):
        row = dict(zip(("at", "user_id", "role", "action", "patient_id", "source", "detail"), r[1:8], strict=True))
        if r[8] != prev or _audit_hash(prev, row) != r[9]:
            return False, n, r[0]
        prev = r[9]
        n += 1
    return True, n, None

def audit_events(
    db: sqlite_utils.Database,
    patient_id: str | None = None,
    limit: int = 200,
    *,
    actions: Sequence[str] | None = None,
    user_id: int | None = None,
) -> pd.DataFrame:
    """Newest first: the audit trail, optionally for one patient, some actions or one user."""
    where, params = [], []
    if patient_id:
        where.append("e.patient_id = ?")
        params.append(patient_id)
    if actions:
        where.append(f"e.action IN ({','.join('?' * len(actions))})")
        params.extend(actions)
    if user_id is not None:
        where.append("e.user_id = ?")
        params.append(user_id)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    patient_col = "" if patient_id else "e.patient_id, "
    return _frame(
        db,
        f"SELECT e.at, e.action, {patient_col}e.source, e.role, u.display_name AS who, e.detail "
        f"FROM audit_events e LEFT JOIN users u ON u.id = e.user_id {clause} "
        "ORDER BY e.id DESC LIMIT ?",
        [*params, limit],
    )


_EXPORT_TABLES = {"assessments": "assessments", "infusions": "infusions"}


def record_export(db: sqlite_utils.Database, actor: Actor, kind: str, at: str) -> int:
    """One ``record.export`` event per patient whose rows of ``kind`` an export wrote, in one
    transaction, so each patient's access log shows the export. Returns the patient count."""
    table = _EXPORT_TABLES.get(kind)
    if table is None:
        raise ValidationError(f"Export kind {kind!r} is not one of {', '.join(_EXPORT_TABLES)}.")
    pids = [r[0] for r in db.execute(f"SELECT DISTINCT patient_id FROM {table} ORDER BY patient_id")]
    with write_transaction(db):
        for pid in pids:
            _append(db, actor, "record.export", at, pid, f"{kind} csv")
    return len(pids)


# Actions that mean someone read (not wrote) a patient's identified record.
READ_ACTIONS = ("record.view", "record.open", "record.break_glass", "record.export")


def record_access_log(db: sqlite_utils.Database, patient_id: str, limit: int = 200) -> pd.DataFrame:
    """Who opened ``patient_id``'s record, when, from where, and why when a reason was given:
    what a patient is shown about their own record."""
    return _frame(
        db,
        "SELECT e.at, COALESCE(u.display_name, 'system') AS who, e.role, e.action, e.source, "
        "e.detail FROM audit_events e LEFT JOIN users u ON u.id = e.user_id "
        f"WHERE e.patient_id = ? AND e.action IN ({','.join('?' * len(READ_ACTIONS))}) "
        "ORDER BY e.id DESC LIMIT ?",
        [patient_id, *READ_ACTIONS, limit],
    )


__all__ = ['Actor', 'record_event', 'verify_audit_chain', 'audit_events', 'READ_ACTIONS', 'record_access_log', 'record_export']
