"""Saving and reading assessments: one transaction per check-in with its alert, summary and audit row."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass

import pandas as pd
import sqlite_utils

from progress import instruments
from progress.errors import NotFound, ValidationError
from progress.model import Score
from progress.store.alerts import create_alert
from progress.store.audit import Actor, record_event
from progress.store.connection import (
    IntegrityError,
    OperationalError,
    _check_choice,
    write_transaction,
)
from progress.store.people import patient_exists
from progress.store.schema import CONTEXTS, RESPONDENTS
from progress.store.summaries import refresh_patient, refresh_summary
from progress.timeutil import to_iso


@dataclass(frozen=True)
class Saved:
    """What a save produced: the assessment id and, if the safety item was positive, the alert."""

    assessment_id: int
    alert_id: int | None


def _safety_alert(score: Score) -> tuple[str, str]:
    """Severity and reason for a positive PHQ-9 item 9: 1 is moderate, 2-3 high [S59]."""
    value = score.answers.get("phq9_9", 0)
    label = instruments.get(score.instrument).item("phq9_9").label_for(value)
    reason = (
        f"PHQ-9 item 9 (thoughts of being better off dead or of self-harm) answered "
        f"'{label}' ({value} of 3). Please review and contact the patient [S59][S61]."
    )
    return ("high" if value >= 2 else "moderate"), reason


def save_assessment(
    db: sqlite_utils.Database,
    patient_id: str,
    score: Score,
    *,
    administered_at: str,
    context: str,
    respondent: str = "self",
    infusion_id: int | None = None,
    entered_by: int | None = None,
    total_only: bool = False,
    actor: Actor | None = None,
    idempotency_key: str | None = None,
) -> Saved:
    """Store one scored assessment, its answers, its safety alert, the patient's summary and an
    audit event, all in one transaction: if any part fails, nothing is written.

    ``idempotency_key`` (one per submission, e.g. made when the form is shown) makes a resubmit
    (a double tap, a retry after a timeout, two tabs) return the first save instead of writing
    a second copy; the database's unique index settles a race between processes."""
    _check_choice("context", context, CONTEXTS)
    _check_choice("respondent", respondent, RESPONDENTS)
    at = to_iso(administered_at, field="administered_at")
    instruments.get(score.instrument)  # unknown instrument: fail before writing
    if not patient_exists(db, patient_id):
        raise NotFound(f"No patient with id {patient_id!r}.")
    if idempotency_key is not None:
        if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 200:
            raise ValidationError("An idempotency key is text of 1 to 200 characters.")
        earlier = _saved_with_key(db, idempotency_key, patient_id)
        if earlier is not None:
            return earlier
    for attempt in range(LOCK_RETRIES + 1):
        try:
            return _save(db, patient_id, score, at, context, respondent, infusion_id, entered_by,
                         total_only, actor, idempotency_key)
        except IntegrityError:
            earlier = _saved_with_key(db, idempotency_key, patient_id) if idempotency_key else None
            if earlier is None:
                raise
            return earlier  # another process saved the same submission first
        except OperationalError as exc:
            # The whole save rolled back, so trying again cannot write it twice; a person
            # should wait a little longer rather than see "database is locked".
            if "locked" not in str(exc) or attempt == LOCK_RETRIES:
                raise
            time.sleep(random.uniform(0.05, 0.25) * (attempt + 1))
    raise AssertionError("unreachable")


def _saved_with_key(db: sqlite_utils.Database, key: str, patient_id: str) -> Saved | None:
    row = db.execute(
        "SELECT a.id, a.patient_id, (SELECT MIN(id) FROM alerts WHERE assessment_id = a.id) "
        "FROM assessments a WHERE a.idempotency_key = ?", [key]
    ).fetchone()
    if row is None:
        return None
    if row[1] != patient_id:
        raise ValidationError(f"Idempotency key {key!r} was already used for another patient's submission.")
    return Saved(row[0], row[2])


LOCK_RETRIES = 4  # on top of the 5 s busy timeout of each attempt


def _save(db, patient_id, score, at, context, respondent, infusion_id, entered_by, total_only,
          actor, idempotency_key) -> Saved:
    with write_transaction(db):
        assessment_id = _insert_assessment(
            db, patient_id, score, at, context, respondent, infusion_id, entered_by, total_only,
            idempotency_key,
        )
        alert_id = None
        if score.safety:
            severity, reason = _safety_alert(score)
            alert_id = create_alert(
                db, patient_id, kind="safety", severity=severity, reason=reason, at=at,
                assessment_id=assessment_id,
            )
        refresh_summary(db, patient_id, score.instrument)
        refresh_patient(db, patient_id)
        if actor is not None:
            record_event(db, actor, "assessment.create", at, patient_id, detail=score.instrument)
            if alert_id is not None:
                record_event(db, actor, "alert.create", at, patient_id, detail=f"alert {alert_id}")
    return Saved(assessment_id, alert_id)


def _insert_assessment(
    db, patient_id, score, at, context, respondent, infusion_id, entered_by, total_only,
    idempotency_key=None,
) -> int:
    instrument = instruments.get(score.instrument)
    cur = db.execute(
        "INSERT INTO assessments(patient_id, instrument, instrument_version, recall_period, "
        "administered_at, context, infusion_id, respondent, entered_by, total, band, subscales, "
        "flags, n_missing, prorated, total_only, idempotency_key) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            patient_id, instrument.id, instrument.version, instrument.recall_period, at, context,
            infusion_id, respondent, entered_by, score.total, score.band,
            json.dumps(score.subscales), json.dumps(list(score.flags)), score.n_missing,
            int(score.prorated), int(total_only), idempotency_key,
        ],
    )
    db.conn.executemany(
        "INSERT INTO answers(assessment_id, item_id, value) VALUES (?,?,?)",
        [(cur.lastrowid, k, v) for k, v in score.answers.items()],
    )
    return cur.lastrowid


def load_series(
    db: sqlite_utils.Database,
    patient_id: str,
    instrument_id: str | None = None,
    *,
    since: str | None = None,
    until: str | None = None,
) -> pd.DataFrame:
    """One patient's assessments in time order (optionally one instrument, a date range)."""
    where, params = ["patient_id = ?"], [patient_id]
    if instrument_id:
        where.append("instrument = ?")
        params.append(instrument_id)
    if since:
        where.append("administered_at >= ?")
        params.append(to_iso(since))
    if until:
        where.append("administered_at <= ?")
        params.append(to_iso(until))
    cols = [
        "id", "instrument", "administered_at", "context", "infusion_id", "respondent", "total",
        "band", "subscales", "flags", "n_missing", "prorated", "total_only", "recall_period",
    ]
    rows = db.execute(
        f"SELECT {', '.join(cols)} FROM assessments WHERE {' AND '.join(where)} "
        "ORDER BY administered_at, id",
        params,
    ).fetchall()
    df = pd.DataFrame(rows, columns=cols)
    if len(df):
        df["flags"] = df["flags"].map(json.loads)
        df["subscales"] = df["subscales"].map(json.loads)
    return df


def load_answers(db: sqlite_utils.Database, patient_id: str, instrument_id: str) -> pd.DataFrame:
    """Item answers in long form: assessment_id, administered_at, item_id, value."""
    rows = db.execute(
        "SELECT a.id, a.administered_at, x.item_id, x.value FROM assessments a "
        "JOIN answers x ON x.assessment_id = a.id WHERE a.patient_id = ? AND a.instrument = ? "
        "ORDER BY a.administered_at, a.id",
        [patient_id, instrument_id],
    ).fetchall()
    return pd.DataFrame(rows, columns=["assessment_id", "administered_at", "item_id", "value"])


__all__ = ['Saved', 'save_assessment', 'load_series', 'load_answers']
