"""Intake screening records and their physician review."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import pandas as pd
import sqlite_utils

from progress import screening
from progress.errors import NotFound, ValidationError
from progress.store.audit import Actor, record_event
from progress.store.connection import _frame
from progress.store.people import patient_exists
from progress.timeutil import to_iso


def add_screening(
    db: sqlite_utils.Database,
    patient_id: str,
    record: dict[str, Any],
    *,
    screened_at: str,
    entered_by: int | None = None,
    actor: Actor | None = None,
) -> int:
    """Save a validated screening record with its review flags (audited); returns its id."""
    clean = screening.validate(record)
    flags = [asdict(f) for f in screening.review_flags(clean)]
    at = to_iso(screened_at, field="screened_at")
    if not patient_exists(db, patient_id):
        raise NotFound(f"No patient with id {patient_id!r}.")
    with db.atomic():
        sid = db.execute(
            "INSERT INTO screenings(patient_id, screened_at, entered_by, record, flags) VALUES (?,?,?,?,?)",
            [patient_id, at, entered_by, json.dumps(clean), json.dumps(flags)],
        ).lastrowid
        if actor is not None:
            record_event(db, actor, "screening.create", at, patient_id, detail=f"screening {sid}")
    return sid


def review_screening(
    db: sqlite_utils.Database, screening_id: int, actor: Actor, at: str, note: str = ""
) -> None:
    """Record that a physician reviewed a screening (who and when); a review is never undone."""
    row = db.execute("SELECT patient_id, reviewed_at FROM screenings WHERE id = ?", [screening_id]).fetchone()
    if row is None:
        raise NotFound(f"No screening with id {screening_id}.")
    if row[1] is not None:
        raise ValidationError(f"Screening {screening_id} was already reviewed at {row[1]}.")
    if actor.user_id is None:
        raise ValidationError("A screening review needs the reviewing physician's account.")
    with db.atomic():
        db.execute(
            "UPDATE screenings SET reviewed_by = ?, reviewed_at = ?, review_note = ? WHERE id = ?",
            [actor.user_id, to_iso(at), note.strip()[:2000], screening_id],
        )
        record_event(db, actor, "screening.review", at, row[0], detail=f"screening {screening_id}")


def list_screenings(db: sqlite_utils.Database, patient_id: str) -> pd.DataFrame:
    """A patient's screenings, newest first, with ``record`` and ``flags`` decoded and the reviewer's name."""
    df = _frame(
        db,
        "SELECT s.*, u.display_name AS reviewed_by_name FROM screenings s "
        "LEFT JOIN users u ON u.id = s.reviewed_by WHERE s.patient_id = ? "
        "ORDER BY s.screened_at DESC, s.id DESC",
        [patient_id],
    )
    for col in ("record", "flags"):
        df[col] = df[col].map(json.loads) if len(df) else df[col]
    return df


def bulk_insert_screenings(db: sqlite_utils.Database, rows: list[tuple]) -> None:
    """Demo loads: ``(patient_id, screened_at, entered_by, record, reviewed_by, reviewed_at, note)``
    with ``record`` already valid; flags are computed here. Inside the caller's ``db.atomic()``."""
    db.conn.executemany(
        "INSERT INTO screenings(patient_id, screened_at, entered_by, record, flags, reviewed_by, "
        "reviewed_at, review_note) VALUES (?,?,?,?,?,?,?,?)",
        [
            (pid, at, by, json.dumps(rec), json.dumps([asdict(f) for f in screening.review_flags(rec)]), rb, ra, note)
            for pid, at, by, rec, rb, ra, note in rows
        ],
    )


__all__ = ["add_screening", "review_screening", "list_screenings", "bulk_insert_screenings"]
