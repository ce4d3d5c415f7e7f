"""Per-patient summaries kept current on every write, and the clinic-wide reads that use them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
import sqlite_utils

from progress import instruments, metrics
from progress.signal_rules import Rules
from progress.store.connection import _frame
from progress.store.outcomes import refresh_outcomes
from progress.store.people import list_patient_ids
from progress.store.signals import refresh_signals, save_clinic_trajectory, signal_rules


def refresh_summary(db: sqlite_utils.Database, patient_id: str, instrument_id: str) -> None:
    """Recompute one (patient, instrument) summary from its series (an indexed range scan)."""
    instrument = instruments.get(instrument_id)
    series = db.execute(
        "SELECT administered_at, total FROM assessments WHERE patient_id = ? AND instrument = ? "
        "ORDER BY administered_at, id",
        [patient_id, instrument_id],
    ).fetchall()
    if not series:
        db.execute("DELETE FROM summaries WHERE patient_id = ? AND instrument = ?", [patient_id, instrument_id])
        return
    first = db.execute(
        "SELECT MIN(administered_at) FROM infusions WHERE patient_id = ?", [patient_id]
    ).fetchone()[0]
    s = metrics.summarize(instrument, [(a, t) for a, t in series], first)
    db.execute(
        "INSERT INTO summaries(patient_id, instrument, n, baseline_total, baseline_at, "
        "latest_total, latest_at, latest_band, nadir_total, nadir_at, change, pct_change, status, "
        "reliable) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(patient_id, instrument) DO UPDATE SET n = excluded.n, "
        "baseline_total = excluded.baseline_total, baseline_at = excluded.baseline_at, "
        "latest_total = excluded.latest_total, latest_at = excluded.latest_at, "
        "latest_band = excluded.latest_band, nadir_total = excluded.nadir_total, "
        "nadir_at = excluded.nadir_at, change = excluded.change, pct_change = excluded.pct_change, "
        "status = excluded.status, reliable = excluded.reliable",
        [
            patient_id, instrument_id, s.n, s.baseline_total, s.baseline_at, s.latest_total,
            s.latest_at, s.latest_band, s.nadir_total, s.nadir_at, s.change, s.pct_change,
            s.status, s.reliable,
        ],
    )


def refresh_patient(db: sqlite_utils.Database, patient_id: str, rules: Rules | None = None) -> None:
    """Recompute the one-row patient summary (last check-in, infusions, phase, open alerts)
    and the patient's signals, so every write that changes a history keeps both current.
    An upsert, so columns other modules keep in the row are left as they are."""
    db.execute(
        """
        INSERT INTO patient_summaries(patient_id, last_assessment_at, first_infusion_at,
            last_infusion_at, n_infusions, n_boosters, phase, route, open_alerts)
        SELECT :p,
            (SELECT MAX(administered_at) FROM assessments WHERE patient_id = :p),
            (SELECT MIN(administered_at) FROM infusions WHERE patient_id = :p),
            (SELECT MAX(administered_at) FROM infusions WHERE patient_id = :p),
            (SELECT COUNT(*) FROM infusions WHERE patient_id = :p),
            (SELECT COUNT(*) FROM infusions WHERE patient_id = :p AND phase = 'booster'),
            (SELECT phase FROM infusions WHERE patient_id = :p ORDER BY administered_at DESC LIMIT 1),
            (SELECT route FROM infusions WHERE patient_id = :p ORDER BY administered_at DESC LIMIT 1),
            (SELECT COUNT(*) FROM alerts WHERE patient_id = :p AND status = 'open')
        ON CONFLICT(patient_id) DO UPDATE SET
            last_assessment_at = excluded.last_assessment_at,
            first_infusion_at = excluded.first_infusion_at,
            last_infusion_at = excluded.last_infusion_at,
            n_infusions = excluded.n_infusions, n_boosters = excluded.n_boosters,
            phase = excluded.phase, route = excluded.route, open_alerts = excluded.open_alerts
        """,
        {"p": patient_id},
    )
    refresh_signals(db, patient_id, rules)
    refresh_outcomes(db, patient_id)  # after the signals: it reads the response dates


def refresh_all(db: sqlite_utils.Database, patient_ids: Iterable[str] | None = None) -> int:
    """Recompute every summary (after a bulk load or a rule change); returns patients done."""
    ids = list(patient_ids) if patient_ids is not None else list_patient_ids(db)
    pairs = db.execute("SELECT DISTINCT patient_id, instrument FROM assessments").fetchall()
    wanted = set(ids)
    with db.atomic():
        for pid, inst in pairs:
            if pid in wanted:
                refresh_summary(db, pid, inst)
        save_clinic_trajectory(db)  # the not_on_track reference, from every course
        rules = signal_rules(db)
        for pid in ids:
            refresh_patient(db, pid, rules)
    return len(ids)


def patient_summary(db: sqlite_utils.Database, patient_id: str) -> dict:
    row = next(iter(db.query("SELECT * FROM patient_summaries WHERE patient_id = ?", [patient_id])), None)
    return row or {}


def instrument_summaries(db: sqlite_utils.Database, patient_id: str) -> pd.DataFrame:
    return _frame(db, "SELECT * FROM summaries WHERE patient_id = ? ORDER BY instrument", [patient_id])


def caseload(db: sqlite_utils.Database, therapist_id: int | None) -> pd.DataFrame:
    """One row per (patient, instrument) for a therapist's patients (all patients if None),
    joined with the patient summary: reads summaries only."""
    where = "WHERE p.therapist_id = ?" if therapist_id is not None else ""
    params = [therapist_id] if therapist_id is not None else []
    return _frame(
        db,
        f"""
            SELECT p.id AS patient_id, p.indications, p.status AS patient_status,
                   ps.last_assessment_at, ps.n_infusions, ps.n_boosters, ps.phase, ps.route,
                   ps.first_infusion_at, ps.last_infusion_at, ps.open_alerts,
                   ps.open_signals, ps.signal_kinds,
                   s.instrument, s.latest_total, s.latest_band, s.latest_at, s.baseline_total,
                   s.change, s.pct_change, s.status, s.reliable, s.nadir_total
            FROM patients p
            LEFT JOIN patient_summaries ps ON ps.patient_id = p.id
            LEFT JOIN summaries s ON s.patient_id = p.id
            {where}
            ORDER BY p.id, s.instrument
            """,
        params,
    )


def cohort_patients(db: sqlite_utils.Database) -> pd.DataFrame:
    """One row per patient for cohort views: indications, clinician, route, infusion dates."""
    return _frame(
        db,
        """
        SELECT p.id AS patient_id, p.indications, p.therapist_id, u.display_name AS clinician,
               ps.first_infusion_at, ps.last_infusion_at, ps.n_infusions, ps.n_boosters, ps.phase,
               ps.route, ps.open_alerts, ps.last_assessment_at, ps.signal_kinds, ps.response_at,
               ps.relapse_signal_at,
               (SELECT MAX(administered_at) FROM infusions i
                 WHERE i.patient_id = p.id AND i.phase = 'induction') AS last_induction_at,
               (SELECT COUNT(*) FROM infusions i
                 WHERE i.patient_id = p.id AND i.phase = 'induction') AS n_induction
        FROM patients p
        LEFT JOIN patient_summaries ps ON ps.patient_id = p.id
        LEFT JOIN users u ON u.id = p.therapist_id
        ORDER BY p.id
        """,
    )


def paired_scores(db: sqlite_utils.Database, instrument_ids: Sequence[str] = ("phq9", "gad7")) -> pd.DataFrame:
    """Baseline and latest totals per patient and instrument, from the summaries (no scan)."""
    marks = ",".join("?" * len(instrument_ids))
    return _frame(
        db,
        f"SELECT patient_id, instrument, baseline_total, latest_total FROM summaries WHERE instrument IN ({marks})",
        list(instrument_ids),
    )


def cohort_scores(db: sqlite_utils.Database, instrument_id: str) -> pd.DataFrame:
    """Every (patient, time, total) for one instrument: an indexed read for trajectory views."""
    rows = db.execute(
        "SELECT patient_id, administered_at, total FROM assessments WHERE instrument = ? "
        "ORDER BY patient_id, administered_at",
        [instrument_id],
    ).fetchall()
    return pd.DataFrame(rows, columns=["patient_id", "administered_at", "total"])


__all__ = ['refresh_summary', 'refresh_patient', 'refresh_all', 'patient_summary', 'instrument_summaries', 'caseload', 'cohort_patients', 'paired_scores', 'cohort_scores']
