"""Bulk loads for the demo generator and CSV import; callers refresh summaries afterwards."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from progress import instruments
from progress.errors import ValidationError
from progress.model import Score
from progress.store.assessments import _safety_alert
from progress.store.pg import advance_ids


def bulk_insert_assessments(
    db: sqlite_utils.Database, rows: Sequence[tuple[str, Score, str, str, str, int | None, bool]]
) -> None:
    """Insert many assessments fast, without summaries; call :func:`refresh_all` afterwards.

    Each row is ``(patient_id, score, administered_at_iso, context, respondent, infusion_id,
    total_only)``. Must run inside the caller's ``db.atomic()``. Safety alerts are created for
    positive item-9 answers exactly as :func:`save_assessment` does.
    """
    assessment_cols = (
        "patient_id, instrument, instrument_version, recall_period, administered_at, context, "
        "infusion_id, respondent, total, band, subscales, flags, n_missing, prorated, total_only"
    )
    next_id = (db.execute("SELECT COALESCE(MAX(id), 0) FROM assessments").fetchone()[0]) + 1
    a_rows, x_rows, alert_rows = [], [], []
    for offset, (pid, sc, at, context, respondent, infusion_id, total_only) in enumerate(rows):
        inst = instruments.get(sc.instrument)
        aid = next_id + offset
        a_rows.append(
            (aid, pid, inst.id, inst.version, inst.recall_period, at, context, infusion_id,
             respondent, sc.total, sc.band, json.dumps(sc.subscales), json.dumps(list(sc.flags)),
             sc.n_missing, int(sc.prorated), int(total_only))
        )
        x_rows.extend((aid, k, v) for k, v in sc.answers.items())
        if sc.safety:
            alert_rows.append((pid, aid, "safety", *_safety_alert(sc), at))
    conn = db.conn
    conn.executemany(
        f"INSERT INTO assessments(id, {assessment_cols}) VALUES ({','.join('?' * 16)})", a_rows
    )
    advance_ids(db, "assessments")  # explicit ids: PostgreSQL's identity must move past them
    conn.executemany("INSERT INTO answers(assessment_id, item_id, value) VALUES (?,?,?)", x_rows)
    conn.executemany(
        "INSERT INTO alerts(patient_id, assessment_id, kind, severity, reason, created_at) "
        "VALUES (?,?,?,?,?,?)",
        alert_rows,
    )


def bulk_insert_infusions(db: sqlite_utils.Database, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert many checked infusions fast, without summaries; call :func:`refresh_all` afterwards.

    Each row is a mapping with ``patient_id``, ``administered_at`` (stored ISO form), ``route``,
    ``phase`` and optionally ``dose_mg_per_kg``, ``dose_mg``, ``course_id``, ``side_effects``.
    Must run inside the caller's ``db.atomic()``. Returns the new ids in row order.
    """
    next_id = (db.execute("SELECT COALESCE(MAX(id), 0) FROM infusions").fetchone()[0]) + 1
    values = [
        (next_id + offset, r["patient_id"], r.get("course_id"), r["administered_at"], r["route"],
         r.get("dose_mg_per_kg"), r.get("dose_mg"), r["phase"],
         json.dumps(list(r.get("side_effects", ()))))
        for offset, r in enumerate(rows)
    ]
    db.conn.executemany(
        "INSERT INTO infusions(id, patient_id, course_id, administered_at, route, dose_mg_per_kg, "
        "dose_mg, phase, side_effects) VALUES (?,?,?,?,?,?,?,?,?)",
        values,
    )
    advance_ids(db, "infusions")
    return [v[0] for v in values]


def export_rows(db: sqlite_utils.Database, table: str) -> Iterable[dict]:
    """Rows of an exchange table in a stable order (assessments with answers, or infusions)."""
    if table == "infusions":
        yield from db.query(
            "SELECT patient_id, administered_at, route, dose_mg_per_kg, phase FROM infusions "
            "ORDER BY patient_id, administered_at, id"
        )
        return
    if table != "assessments":
        raise ValidationError(f"Cannot export table {table!r}.")
    answers: dict[int, dict[str, int]] = {}
    for aid, item_id, value in db.execute("SELECT assessment_id, item_id, value FROM answers"):
        answers.setdefault(aid, {})[item_id] = value
    for row in db.query(
        "SELECT id, patient_id, instrument, administered_at, context, total, total_only "
        "FROM assessments ORDER BY patient_id, administered_at, id"
    ):
        row["answers"] = answers.get(row.pop("id"), {})
        yield row


__all__ = ['bulk_insert_assessments', 'bulk_insert_infusions', 'export_rows']
