"""Treatment courses and infusion sessions."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd
import sqlite_utils

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
) -> int:
    _check_choice("route", route, ROUTES)
    with db.atomic():
        cur = db.execute(
            "INSERT INTO courses(patient_id, started_at, planned_induction, induction_window_days, "
            "route) VALUES (?,?,?,?,?)",
            [patient_id, to_iso(started_at), planned_induction, induction_window_days, route],
        )
        return cur.lastrowid


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


__all__ = ['add_course', 'latest_course', 'add_infusion', 'infusion_times', 'list_infusions']
