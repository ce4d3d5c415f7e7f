"""The append-only, hash-chained audit log. Events never hold scores or answers."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlite_utils

from progress.store.connection import _frame
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
    """Append an audit event chained to the previous one. Never holds scores or answers."""
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

def audit_events(db: sqlite_utils.Database, patient_id: str | None = None, limit: int = 200) -> pd.DataFrame:
    if patient_id:
        return _frame(
            db,
            "SELECT e.at, e.action, e.source, e.role, u.display_name AS who FROM audit_events e "
            "LEFT JOIN users u ON u.id = e.user_id WHERE e.patient_id = ? ORDER BY e.id DESC LIMIT ?",
            [patient_id, limit],
        )
    return _frame(
        db,
        "SELECT e.at, e.action, e.patient_id, e.source, e.role, u.display_name AS who "
        "FROM audit_events e LEFT JOIN users u ON u.id = e.user_id ORDER BY e.id DESC LIMIT ?",
        [limit],
    )


__all__ = ['Actor', 'record_event', 'verify_audit_chain', 'audit_events']
