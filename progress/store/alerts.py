"""Alerts: raising, listing and the lifecycle open -> acknowledged -> resolved, plus escalation.

Alerts are never deleted or silently closed: no function here deletes one, and the database
refuses it too (triggers in the safety migration). Each state change is one transaction with its
audit event. The rules (which move is allowed, what a resolution note needs, when an alert
escalates) live in :mod:`progress.alerts`; this module applies them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import sqlite_utils

from progress import alerts as rules
from progress.errors import NotFound, ValidationError
from progress.store.audit import Actor, record_event
from progress.store.connection import _frame, get_setting
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
    escalated: bool | None = None,
) -> pd.DataFrame:
    """Alerts, open ones first, newest first; with who acknowledged and who resolved them.

    ``escalated=True`` keeps only alerts that have been escalated to the leads (recorded by
    :func:`escalate_due_alerts`), whatever their state now.
    """
    where, params = [], []
    if patient_ids is not None:
        where.append(f"a.patient_id IN ({','.join('?' * len(patient_ids)) or 'NULL'})")
        params.extend(patient_ids)
    if status:
        where.append("a.status = ?")
        params.append(status)
    if escalated is not None:
        where.append("a.escalated_at IS NOT NULL" if escalated else "a.escalated_at IS NULL")
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    return _frame(
        db,
        f"SELECT a.*, u.display_name AS acknowledged_by_name, r.display_name AS resolved_by_name "
        f"FROM alerts a LEFT JOIN users u ON u.id = a.acknowledged_by "
        f"LEFT JOIN users r ON r.id = a.resolved_by {clause} "
        "ORDER BY CASE a.status WHEN 'open' THEN 0 WHEN 'acknowledged' THEN 1 ELSE 2 END, "
        "a.created_at DESC, a.id DESC",
        params,
    )


def get_alert(db: sqlite_utils.Database, alert_id: int) -> dict:
    row = next(iter(db.query("SELECT * FROM alerts WHERE id = ?", [alert_id])), None)
    if row is None:
        raise NotFound(f"No alert with id {alert_id}.")
    return row


def acknowledge_alert(db: sqlite_utils.Database, alert_id: int, actor: Actor, at: str) -> None:
    """Mark an open alert acknowledged by ``actor``; alerts are never deleted."""
    row = get_alert(db, alert_id)
    rules.next_state(row["status"], "acknowledge")
    with db.atomic():
        db.execute(
            "UPDATE alerts SET status = 'acknowledged', acknowledged_by = ?, acknowledged_at = ? "
            "WHERE id = ?",
            [actor.user_id, to_iso(at), alert_id],
        )
        refresh_patient(db, row["patient_id"])
        record_event(db, actor, "alert.acknowledge", at, row["patient_id"], detail=f"alert {alert_id}")


def resolve_alert(
    db: sqlite_utils.Database,
    alert_id: int,
    actor: Actor,
    at: str,
    resolution: rules.Resolution,
) -> None:
    """Resolve an acknowledged alert with the structured note of clinical-reference.md §5."""
    row = get_alert(db, alert_id)
    rules.next_state(row["status"], "resolve")
    note = rules.check_resolution(resolution, kind=row["kind"])
    if actor.user_id is None:
        raise ValidationError("An alert is resolved by a named clinician, not by the system.")
    with db.atomic():
        db.execute(
            "UPDATE alerts SET status = 'resolved', resolved_by = ?, resolved_at = ?, "
            "risk_assessment = ?, risk_level = ?, safety_plan_reviewed = ?, means_counselling = ?, "
            "disposition = ?, note = ? WHERE id = ?",
            [
                actor.user_id, to_iso(at), note.risk_assessment, note.risk_level,
                int(note.safety_plan_reviewed), int(note.means_counselling), note.disposition,
                note.note, alert_id,
            ],
        )
        refresh_patient(db, row["patient_id"])
        record_event(db, actor, "alert.resolve", at, row["patient_id"], detail=f"alert {alert_id}")


def escalation_rule(db: sqlite_utils.Database) -> tuple[int, ZoneInfo]:
    """The clinic's escalation window (business days) and time zone, from the settings table."""
    days = rules.escalation_days({rules.ESCALATION_SETTING: get_setting(db, rules.ESCALATION_SETTING)})
    return days, rules.clinic_zone(get_setting(db, rules.TIMEZONE_SETTING))


def escalation_due(db: sqlite_utils.Database, created_at: str) -> datetime:
    days, zone = escalation_rule(db)
    return rules.escalation_due_at(created_at, days, zone=zone)


def escalate_due_alerts(db: sqlite_utils.Database, *, as_of: str, actor: Actor) -> list[int]:
    """Escalate every alert still open past the clinic's window at ``as_of``; return their ids.

    Idempotent: an alert is escalated once (``escalated_at`` keeps the first time), with one
    audit event. Run by the alerts page and by the reminder run, so whoever looks first records it.
    """
    days, zone = escalation_rule(db)
    rows = db.execute(
        "SELECT id, patient_id, status, created_at FROM alerts "
        "WHERE status = 'open' AND escalated_at IS NULL AND created_at <= ? ORDER BY created_at, id",
        [to_iso(as_of)],
    ).fetchall()
    due = [r for r in rows if rules.is_escalated(r[2], r[3], as_of=as_of, days=days, zone=zone)]
    if not due:
        return []
    with db.atomic():
        for alert_id, patient_id, _, _ in due:
            db.execute("UPDATE alerts SET escalated_at = ? WHERE id = ?", [to_iso(as_of), alert_id])
            record_event(db, actor, "alert.escalate", as_of, patient_id, detail=f"alert {alert_id}")
    return [r[0] for r in due]


def alert_history(db: sqlite_utils.Database, alert_id: int) -> pd.DataFrame:
    """The audit events of one alert in time order: create, escalate, acknowledge, resolve."""
    return _frame(
        db,
        "SELECT e.at, e.action, e.source, e.role, u.display_name AS who FROM audit_events e "
        "LEFT JOIN users u ON u.id = e.user_id "
        "WHERE e.action LIKE 'alert.%' AND e.detail = ? ORDER BY e.id",
        [f"alert {alert_id}"],
    )


def mark_acknowledged(db: sqlite_utils.Database, acks: Sequence[tuple[str, int, Actor]]) -> dict[int, tuple[str, str]]:
    """Set many open alerts to acknowledged, each ``(at, alert_id, actor)``, after checking
    every move against the lifecycle; returns ``{alert_id: (patient_id, old status)}``. For the
    bulk demo load only (``bulk_acknowledge_alerts`` adds the audit rows and refreshes): the one
    place besides :func:`acknowledge_alert` that writes an alert's state. Nothing is written
    when any alert is unknown, not open or listed twice."""
    ids = [alert_id for _, alert_id, _ in acks]
    rows: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        rows.update(
            (r[0], (r[1], r[2])) for r in db.execute(
                f"SELECT id, patient_id, status FROM alerts WHERE id IN ({','.join('?' * len(part))})",
                part,
            )
        )
    for alert_id in ids:
        if alert_id not in rows:
            raise NotFound(f"No alert with id {alert_id}.")
        rules.next_state(rows[alert_id][1], "acknowledge")
    if len(set(ids)) != len(ids):
        raise ValidationError("An alert can be acknowledged once.")
    db.conn.executemany(
        "UPDATE alerts SET status = 'acknowledged', acknowledged_by = ?, acknowledged_at = ? "
        "WHERE id = ?",
        [(actor.user_id, to_iso(at), alert_id) for at, alert_id, actor in acks],
    )
    return rows


__all__ = [
    'mark_acknowledged', 'create_alert', 'list_alerts', 'get_alert', 'acknowledge_alert', 'resolve_alert',
    'escalation_rule', 'escalation_due', 'escalate_due_alerts', 'alert_history',
]
