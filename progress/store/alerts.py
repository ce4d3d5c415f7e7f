"""Alerts: listing and state changes. Alerts are never deleted."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlite_utils

from progress.errors import NotFound, ValidationError
from progress.store.audit import Actor, record_event
from progress.store.connection import _frame
from progress.store.summaries import refresh_patient
from progress.timeutil import to_iso


def create_alert(
    db: sqlite_utils.Database,
    patient_id: str,
    *,
    kind: str,
    severity: str,
    reason: str,
    at: str,
    assessment_id: int | None = None,
) -> int:
    """Insert an open alert and return its id. Call inside the caller's ``db.atomic()`` so the
    alert lands in the same transaction as the record that raised it (then refresh the
    patient summary and audit it, as :func:`save_assessment` does)."""
    return db.execute(
        "INSERT INTO alerts(patient_id, assessment_id, kind, severity, reason, created_at) "
        "VALUES (?,?,?,?,?,?)",
        [patient_id, assessment_id, kind, severity, reason, to_iso(at)],
    ).lastrowid


def list_alerts(
    db: sqlite_utils.Database,
    *,
    patient_ids: Sequence[str] | None = None,
    status: str | None = None,
) -> pd.DataFrame:
    where, params = [], []
    if patient_ids is not None:
        where.append(f"a.patient_id IN ({','.join('?' * len(patient_ids)) or 'NULL'})")
        params.extend(patient_ids)
    if status:
        where.append("a.status = ?")
        params.append(status)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    return _frame(
        db,
        f"SELECT a.*, u.display_name AS acknowledged_by_name FROM alerts a "
        f"LEFT JOIN users u ON u.id = a.acknowledged_by {clause} "
        "ORDER BY CASE a.status WHEN 'open' THEN 0 ELSE 1 END, a.created_at DESC",
        params,
    )


def acknowledge_alert(db: sqlite_utils.Database, alert_id: int, actor: Actor, at: str) -> None:
    """Mark an open alert acknowledged by ``actor``; alerts are never deleted."""
    row = db.execute("SELECT patient_id, status FROM alerts WHERE id = ?", [alert_id]).fetchone()
    if row is None:
        raise NotFound(f"No alert with id {alert_id}.")
    if row[1] != "open":
        raise ValidationError(f"Alert {alert_id} is already {row[1]}.")
    with db.atomic():
        db.execute(
            "UPDATE alerts SET status = 'acknowledged', acknowledged_by = ?, acknowledged_at = ? "
            "WHERE id = ?",
            [actor.user_id, to_iso(at), alert_id],
        )
        refresh_patient(db, row[0])
        record_event(db, actor, "alert.acknowledge", at, row[0], detail=f"alert {alert_id}")



__all__ = ['create_alert', 'list_alerts', 'acknowledge_alert']
