"""Treatment courses and infusion sessions."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd
import sqlite_utils

from progress.course import check_plan
from progress.errors import NotFound, ValidationError
from progress.store.audit import Actor, record_event
from progress.store.connection import _check_choice
from progress.store.people import patient_exists
from progress.store.schema import PHASES, ROUTES
from progress.store.summaries import refresh_patient, refresh_summary
from progress.timeutil import to_iso


def add_course(
    db: sqlite_utils.Database,
    patient_id: str,
    *,
    started_at: str,
    route: str,
    planned_induction: int = 6,
    induction_window_days: int = 21,
    maintenance_every_days: int | None = None,
    planned_maintenance: int | None = None,
    booster_plan: str = "",
    actor: Actor | None = None,
) -> int:
    """Start a treatment course with its plan (induction count and window [S35][S38],
    maintenance interval, booster plan)."""
    _check_choice("route", route, ROUTES)
    check_plan(planned_induction, induction_window_days, maintenance_every_days, planned_maintenance)
    at = to_iso(started_at)
    with db.atomic():
        cur = db.execute(
            "INSERT INTO courses(patient_id, started_at, planned_induction, induction_window_days, "
            "route, maintenance_every_days, planned_maintenance, booster_plan) VALUES (?,?,?,?,?,?,?,?)",
            [patient_id, at, planned_induction, induction_window_days, route,
             maintenance_every_days, planned_maintenance, booster_plan.strip()[:500]],
        )
        if actor is not None:
            record_event(db, actor, "course.create", at, patient_id, detail=f"course {cur.lastrowid}")
        return cur.lastrowid


def update_plan(
    db: sqlite_utils.Database,
    course_id: int,
    *,
    planned_induction: int,
    induction_window_days: int,
    maintenance_every_days: int | None = None,
    planned_maintenance: int | None = None,
    booster_plan: str = "",
    route: str | None = None,
    actor: Actor,
    at: str,
) -> None:
    """Change a course's plan and, if given, its route (audited); infusions already given are untouched."""
    check_plan(planned_induction, induction_window_days, maintenance_every_days, planned_maintenance)
    if route is not None:
        _check_choice("route", route, ROUTES)
    row = db.execute("SELECT patient_id FROM courses WHERE id = ?", [course_id]).fetchone()
    if row is None:
        raise NotFound(f"No course with id {course_id}.")
    with db.atomic():
        db.execute(
            "UPDATE courses SET planned_induction = ?, induction_window_days = ?, "
            "maintenance_every_days = ?, planned_maintenance = ?, booster_plan = ?, route = COALESCE(?, route) "
            "WHERE id = ?",
            [planned_induction, induction_window_days, maintenance_every_days, planned_maintenance,
             booster_plan.strip()[:500], route, course_id],
        )
        record_event(db, actor, "course.plan", at, row[0], detail=f"course {course_id}")


def bulk_set_plans(db: sqlite_utils.Database, rows: Sequence[tuple]) -> None:
    """Demo loads: ``(maintenance_every_days, planned_maintenance, booster_plan, patient_id)`` for
    each patient's course. Inside the caller's ``db.atomic()``."""
    db.conn.executemany(
        "UPDATE courses SET maintenance_every_days = ?, planned_maintenance = ?, booster_plan = ? WHERE patient_id = ?",
        rows,
    )


def latest_course(db: sqlite_utils.Database, patient_id: str) -> dict | None:
    rows = db.query(
        "SELECT * FROM courses WHERE patient_id = ? ORDER BY started_at DESC, id DESC LIMIT 1",
        [patient_id],
    )
    return next(iter(rows), None)


def add_infusion(
    db: sqlite_utils.Database,
    patient_id: str,
    *,
    administered_at: str,
    route: str,
    phase: str,
    dose_mg_per_kg: float | None = None,
    dose_mg: float | None = None,
    side_effects: Sequence[str] = (),
    course_id: int | None = None,
    actor: Actor | None = None,
) -> int:
    """Record one infusion session and refresh the patient's summary in the same transaction."""
    _check_choice("route", route, ROUTES)
    _check_choice("phase", phase, PHASES)
    for name, dose in (("dose_mg_per_kg", dose_mg_per_kg), ("dose_mg", dose_mg)):
        if dose is not None and (type(dose) not in (int, float) or not 0 < dose < 1000):
            raise ValidationError(f"{name} {dose!r} must be a positive number.")
    at = to_iso(administered_at, field="administered_at")
    if not patient_exists(db, patient_id):
        raise NotFound(f"No patient with id {patient_id!r}.")
    with db.atomic():
        cur = db.execute(
            "INSERT INTO infusions(patient_id, course_id, administered_at, route, dose_mg_per_kg, "
            "dose_mg, phase, side_effects) VALUES (?,?,?,?,?,?,?,?)",
            [patient_id, course_id, at, route, dose_mg_per_kg, dose_mg, phase, json.dumps(list(side_effects))],
        )
        # The first infusion defines each baseline: scores saved before it was recorded
        # (the usual check-in order) need their summaries recomputed now.
        for (instrument_id,) in db.execute(
            "SELECT DISTINCT instrument FROM assessments WHERE patient_id = ?", [patient_id]
        ).fetchall():
            refresh_summary(db, patient_id, instrument_id)
        refresh_patient(db, patient_id)
        if actor is not None:
            record_event(db, actor, "infusion.create", at, patient_id)
        return cur.lastrowid


def infusion_times(db: sqlite_utils.Database) -> pd.DataFrame:
    """(patient_id, administered_at, phase) for every infusion, for cohort alignment."""
    rows = db.execute("SELECT patient_id, administered_at, phase FROM infusions ORDER BY patient_id, administered_at").fetchall()
    return pd.DataFrame(rows, columns=["patient_id", "administered_at", "phase"])


def list_infusions(db: sqlite_utils.Database, patient_id: str) -> pd.DataFrame:
    rows = list(
        db.query(
            "SELECT id, administered_at, route, dose_mg_per_kg, dose_mg, phase, side_effects "
            "FROM infusions WHERE patient_id = ? ORDER BY administered_at",
            [patient_id],
        )
    )
    df = pd.DataFrame(rows, columns=["id", "administered_at", "route", "dose_mg_per_kg", "dose_mg", "phase", "side_effects"])
    df["side_effects"] = df["side_effects"].map(json.loads) if len(df) else df["side_effects"]
    df["number"] = range(1, len(df) + 1)
    return df


__all__ = ['add_course', 'update_plan', 'bulk_set_plans', 'latest_course', 'add_infusion', 'infusion_times', 'list_infusions']
