"""Infusion session records (vitals, side effects, REMS fields) and psychotherapy follow-ups.

A session is the ``infusions`` row plus one ``session_records`` row. Saving it also raises any
vitals or serious-side-effect alert, schedules the follow-up and links the same-day
before/after check-ins, all in one transaction with its audit events.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import sqlite_utils

from progress import course as course_rules
from progress import sessions
from progress.errors import NotFound, ValidationError
from progress.sessions import Reading, SessionDetails
from progress.store.alerts import create_alert
from progress.store.audit import Actor, record_event
from progress.store.connection import _frame, get_setting
from progress.store.course import add_infusion
from progress.store.summaries import refresh_patient
from progress.timeutil import to_iso

_SETTINGS = (*sessions.CLINIC_SETTINGS, course_rules.SETTING_FOLLOWUP_FROM_H, course_rules.SETTING_FOLLOWUP_UNTIL_H)


@dataclass(frozen=True)
class SessionSaved:
    """What saving a session produced."""

    infusion_id: int
    alert_ids: tuple[int, ...]
    followup_id: int
    flags: tuple[str, ...]
    linked_checkins: int


def clinic_settings(db: sqlite_utils.Database) -> dict[str, str | None]:
    """The session and follow-up settings this clinic has set (unset ones are None)."""
    return {key: get_setting(db, key) for key in _SETTINGS}


def _side_effect_alert(details: SessionDetails) -> tuple[str, str] | None:
    serious = sessions.serious_effects(details)
    if not serious:
        return None
    worst = "high" if any(details.side_effects.get(n) == "severe" for n in serious) or details.respiratory_depression else "moderate"
    named = ", ".join(f"{n} ({details.side_effects.get(n, 'recorded')})" for n in serious)
    return worst, f"Serious side effect recorded at the session: {named}. Please review the patient."


def record_session(
    db: sqlite_utils.Database,
    patient_id: str,
    *,
    administered_at: str,
    route: str,
    phase: str,
    details: SessionDetails,
    dose_mg_per_kg: float | None = None,
    dose_mg: float | None = None,
    course_id: int | None = None,
    actor: Actor | None = None,
) -> SessionSaved:
    """Save one session whole: infusion, session record, alerts, follow-up, check-in links, audit."""
    sessions.check_dose(route, dose_mg_per_kg, dose_mg)
    sessions.validate(details, route)
    at = to_iso(administered_at, field="administered_at")
    settings = clinic_settings(db)
    flags = sessions.vitals_flags(details, settings)
    side_alert = _side_effect_alert(details)
    due_from, due_until = course_rules.followup_window(at, settings)
    with db.atomic():
        infusion_id = add_infusion(
            db, patient_id, administered_at=at, route=route, phase=phase, dose_mg_per_kg=dose_mg_per_kg,
            dose_mg=dose_mg, side_effects=list(details.side_effects), course_id=course_id, actor=actor,
        )
        db.execute(
            "INSERT INTO session_records(infusion_id, duration_min, observation_min, vitals, spo2_lowest, "
            "side_effects, cadss6, sedation, respiratory_depression, lot, driver, flags, notes, entered_by) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [infusion_id, details.duration_min, details.observation_min, json.dumps(details.vitals_dict()),
             details.spo2_lowest, json.dumps(dict(details.side_effects)), details.cadss6, details.sedation,
             int(details.respiratory_depression), details.lot.strip(), int(details.driver), json.dumps(flags),
             details.notes.strip()[:2000], actor.user_id if actor else None],
        )
        alert_ids = []
        if flags:
            alert_ids.append(create_alert(
                db, patient_id, kind="vitals", severity="moderate", at=at,
                reason="Vitals flag at the session: " + "; ".join(flags) + ". Please review.",
            ))
        if side_alert:
            alert_ids.append(create_alert(db, patient_id, kind="side_effect", severity=side_alert[0], reason=side_alert[1], at=at))
        followup_id = db.execute(
            "INSERT INTO followups(patient_id, infusion_id, due_from, due_until) VALUES (?,?,?,?)",
            [patient_id, infusion_id, due_from, due_until],
        ).lastrowid
        linked = _link_same_day(db, patient_id, infusion_id, at)
        refresh_patient(db, patient_id)
        if actor is not None:
            record_event(db, actor, "session.create", at, patient_id, detail=f"infusion {infusion_id}")
            for alert_id in alert_ids:
                record_event(db, actor, "alert.create", at, patient_id, detail=f"alert {alert_id}")
    return SessionSaved(infusion_id, tuple(alert_ids), followup_id, tuple(flags), linked)


def _link_same_day(db: sqlite_utils.Database, patient_id: str, infusion_id: int, at: str) -> int:
    """Link the day's unlinked before/after check-ins to this infusion (pre ones only if earlier)."""
    cur = db.execute(
        "UPDATE assessments SET infusion_id = ? WHERE patient_id = ? AND infusion_id IS NULL "
        "AND substr(administered_at, 1, 10) = ? AND ((context = 'pre_infusion' AND administered_at <= ?) "
        "OR (context = 'post_infusion' AND administered_at >= ?))",
        [infusion_id, patient_id, at[:10], at, at],
    )
    return cur.rowcount


def link_checkins(db: sqlite_utils.Database, infusion_id: int, actor: Actor, at: str) -> int:
    """Link before/after check-ins saved on the session's day after it was recorded; returns how many."""
    row = db.execute("SELECT patient_id, administered_at FROM infusions WHERE id = ?", [infusion_id]).fetchone()
    if row is None:
        raise NotFound(f"No infusion with id {infusion_id}.")
    with db.atomic():
        n = _link_same_day(db, row[0], infusion_id, row[1])
        if n:
            record_event(db, actor, "session.link_checkins", at, row[0], detail=f"infusion {infusion_id}: {n}")
    return n


def _decode(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    for col in columns:
        df[col] = [json.loads(v) if isinstance(v, str) else ({} if col != "flags" else []) for v in df[col]]
    return df


def list_sessions(db: sqlite_utils.Database, patient_id: str) -> pd.DataFrame:
    """Every infusion of a patient in time order, with its session record where one exists
    (``vitals``, ``severities``, ``flags`` decoded) and the counts of linked check-ins."""
    df = _frame(
        db,
        "SELECT i.id, i.administered_at, i.route, i.phase, i.dose_mg_per_kg, i.dose_mg, i.side_effects, "
        "r.duration_min, r.observation_min, r.vitals, r.spo2_lowest, r.side_effects AS severities, r.cadss6, "
        "r.sedation, r.respiratory_depression, r.lot, r.driver, r.flags, r.notes, "
        # patient_id first so the counts use the assessments_series index, not a table scan
        "(SELECT COUNT(*) FROM assessments a WHERE a.patient_id = i.patient_id AND a.infusion_id = i.id "
        "AND a.context = 'pre_infusion') AS n_pre, "
        "(SELECT COUNT(*) FROM assessments a WHERE a.patient_id = i.patient_id AND a.infusion_id = i.id "
        "AND a.context = 'post_infusion') AS n_post "
        "FROM infusions i LEFT JOIN session_records r ON r.infusion_id = i.id "
        "WHERE i.patient_id = ? ORDER BY i.administered_at, i.id",
        [patient_id],
    )
    df = _decode(df, ["side_effects", "vitals", "severities", "flags"])
    df["number"] = range(1, len(df) + 1)
    return df


def session_details(row: Mapping) -> SessionDetails:
    """A :class:`SessionDetails` back from a ``list_sessions`` row (for the printable form)."""
    return SessionDetails(
        duration_min=_opt_int(row.get("duration_min")),
        observation_min=_opt_int(row.get("observation_min")),
        vitals={p: Reading(**v) for p, v in (row.get("vitals") or {}).items()},
        spo2_lowest=_opt_int(row.get("spo2_lowest")),
        side_effects=row.get("severities") or {},
        cadss6=_opt_int(row.get("cadss6")),
        sedation=row.get("sedation") if isinstance(row.get("sedation"), str) else None,
        respiratory_depression=bool(row.get("respiratory_depression") or 0),
        lot=row.get("lot") if isinstance(row.get("lot"), str) else "",
        driver=bool(row.get("driver") or 0),
        notes=row.get("notes") if isinstance(row.get("notes"), str) else "",
    )


def _opt_int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


# -- psychotherapy follow-ups ---------------------------------------------------------------


def list_followups(db: sqlite_utils.Database, patient_id: str) -> pd.DataFrame:
    """A patient's follow-ups in due order, with the infusion time and who marked them done."""
    return _frame(
        db,
        "SELECT f.*, i.administered_at AS infusion_at, u.display_name AS done_by_name FROM followups f "
        "JOIN infusions i ON i.id = f.infusion_id LEFT JOIN users u ON u.id = f.done_by "
        "WHERE f.patient_id = ? ORDER BY f.due_from, f.id",
        [patient_id],
    )


def schedule_followup(db: sqlite_utils.Database, followup_id: int, scheduled_at: str, actor: Actor, at: str) -> None:
    """Book the follow-up's appointment time (audited)."""
    row = _followup(db, followup_id)
    with db.atomic():
        db.execute("UPDATE followups SET scheduled_at = ? WHERE id = ?", [to_iso(scheduled_at, field="scheduled_at"), followup_id])
        record_event(db, actor, "followup.schedule", at, row[0], detail=f"followup {followup_id}")


def complete_followup(db: sqlite_utils.Database, followup_id: int, actor: Actor, at: str, note: str = "") -> None:
    """Mark a follow-up session done by ``actor`` at ``at`` (audited; never undone)."""
    row = _followup(db, followup_id)
    if row[1] is not None:
        raise ValidationError(f"Follow-up {followup_id} was already marked done at {row[1]}.")
    with db.atomic():
        db.execute(
            "UPDATE followups SET done_at = ?, done_by = ?, note = ? WHERE id = ?",
            [to_iso(at), actor.user_id, note.strip()[:1000], followup_id],
        )
        record_event(db, actor, "followup.done", at, row[0], detail=f"followup {followup_id}")


def _followup(db: sqlite_utils.Database, followup_id: int) -> tuple:
    row = db.execute("SELECT patient_id, done_at FROM followups WHERE id = ?", [followup_id]).fetchone()
    if row is None:
        raise NotFound(f"No follow-up with id {followup_id}.")
    return row


# -- bulk loads (demo) ----------------------------------------------------------------------


def all_infusions(db: sqlite_utils.Database) -> pd.DataFrame:
    """(id, patient_id, administered_at, route, phase, side_effects) for every infusion."""
    df = _frame(db, "SELECT id, patient_id, administered_at, route, phase, side_effects FROM infusions ORDER BY patient_id, administered_at")
    return _decode(df, ["side_effects"])


def bulk_insert_session_records(db: sqlite_utils.Database, rows: Sequence[Mapping]) -> None:
    """Demo loads: session_records rows as mappings of column -> value (JSON columns as Python
    objects). Inside the caller's ``db.atomic()``."""
    cols = ("infusion_id", "duration_min", "observation_min", "vitals", "spo2_lowest", "side_effects",
            "cadss6", "sedation", "respiratory_depression", "lot", "driver", "flags", "notes")
    db.conn.executemany(
        f"INSERT INTO session_records({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})",
        [tuple(json.dumps(r[c]) if c in ("vitals", "side_effects", "flags") else r.get(c) for c in cols) for r in rows],
    )


def bulk_insert_followups(db: sqlite_utils.Database, rows: Sequence[tuple]) -> None:
    """Demo loads: ``(patient_id, infusion_id, due_from, due_until, scheduled_at, done_at, done_by)``."""
    db.conn.executemany(
        "INSERT INTO followups(patient_id, infusion_id, due_from, due_until, scheduled_at, done_at, done_by) "
        "VALUES (?,?,?,?,?,?,?)",
        rows,
    )


__all__ = [
    "SessionSaved", "clinic_settings", "record_session", "link_checkins", "list_sessions", "session_details",
    "list_followups", "schedule_followup", "complete_followup", "all_infusions",
    "bulk_insert_session_records", "bulk_insert_followups",
]
