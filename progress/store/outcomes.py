"""Cohort views at clinic-network scale: each patient's outcome points are kept on write
(``refresh_outcomes``, called by ``refresh_patient``), and a lead's page reads aggregates of
them, filtered in SQL, so neither its time nor its memory grows with the number of patients.

Every read here returns counts or one row per distinct value, never one row per patient.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlite_utils

from progress import cohort, instruments, signals
from progress import talking_therapies as tt
from progress.store.connection import _frame

# The instruments the cohort page offers (the 'right now' ratings have no time points).
_PERIODIC = tuple(i for i in instruments.REGISTRY if not instruments.REGISTRY[i].momentary)


@dataclass(frozen=True)
class CohortFilter:
    """The lead's filters; ``None`` means all. ``first_from``/``first_to`` bound the first
    infusion (ISO timestamps); ``clinician`` is the therapist's display name."""

    first_from: str | None = None
    first_to: str | None = None
    indication: str | None = None
    route: str | None = None
    clinician: str | None = None

    def where(self) -> tuple[str, list]:
        """A WHERE clause over ``patients p``, ``patient_summaries ps`` and ``users u``."""
        terms, params = ["1 = 1"], []
        if self.first_from is not None and self.first_to is not None:
            terms.append("ps.first_infusion_at BETWEEN ? AND ?")
            params += [self.first_from, self.first_to]
        if self.indication is not None:
            terms.append("(',' || p.indications || ',') LIKE ?")
            params.append(f"%,{self.indication},%")
        if self.route is not None:
            terms.append("ps.route = ?")
            params.append(self.route)
        if self.clinician is not None:
            terms.append("u.display_name = ?")
            params.append(self.clinician)
        return " AND ".join(terms), params


_FROM = (
    "FROM patients p LEFT JOIN patient_summaries ps ON ps.patient_id = p.id "
    "LEFT JOIN users u ON u.id = p.therapist_id"
)


def _in_view(flt: CohortFilter | None) -> tuple[str, list]:
    """``patient_id IN (...)`` for the patients the filter keeps."""
    where, params = (flt or CohortFilter()).where()
    return f"patient_id IN (SELECT p.id {_FROM} WHERE {where})", params


# -- kept on write --------------------------------------------------------------------------

def refresh_outcomes(db: sqlite_utils.Database, patient_id: str) -> None:
    """Recompute the patient's outcome points, trajectory points and NHS Talking Therapies
    outcome from their series and infusions (runs inside the caller's transaction)."""
    infusions = db.execute(
        "SELECT administered_at, phase FROM infusions WHERE patient_id = ? ORDER BY administered_at",
        [patient_id],
    ).fetchall()
    times = [at for at, _ in infusions]
    induction = [at for at, phase in infusions if phase == "induction"]
    first = times[0] if times else None
    last_induction = induction[-1] if induction else None
    marks = ",".join("?" * len(_PERIODIC))
    rows = db.execute(
        f"SELECT instrument, administered_at, total FROM assessments WHERE patient_id = ? "
        f"AND instrument IN ({marks}) ORDER BY instrument, administered_at, id",
        [patient_id, *_PERIODIC],
    ).fetchall()
    by_instrument: dict[str, list[tuple[str, float]]] = {}
    for inst, at, total in rows:
        by_instrument.setdefault(inst, []).append((at, total))
    point_rows, trajectory_rows = [], []
    for inst, series in by_instrument.items():
        at_window, means = cohort.patient_points(series, first, last_induction, times)
        point_rows += [(patient_id, inst, label, total) for label, total in at_window.items()]
        trajectory_rows += [
            (patient_id, inst, axis, x, total) for axis, xs in means.items() for x, total in xs.items()
        ]
    db.execute("DELETE FROM outcome_points WHERE patient_id = ?", [patient_id])
    db.execute("DELETE FROM trajectory_points WHERE patient_id = ?", [patient_id])
    db.conn.executemany(
        "INSERT INTO outcome_points(patient_id, instrument, time_point, total) VALUES (?,?,?,?)", point_rows
    )
    db.conn.executemany(
        "INSERT INTO trajectory_points(patient_id, instrument, axis, x, total) VALUES (?,?,?,?,?)",
        trajectory_rows,
    )
    # Whole days from the first response to the first booster-review prompt (or the last
    # check-in), and days followed from the first infusion to the last check-in.
    response_at, relapse_at, last_at = db.execute(
        "SELECT response_at, relapse_signal_at, last_assessment_at FROM patient_summaries WHERE patient_id = ?",
        [patient_id],
    ).fetchone()
    end = relapse_at or last_at
    response_days = round(max(0.0, cohort._day_offset(end, response_at))) if response_at and end else None
    follow_days = max(0.0, cohort._day_offset(last_at, first)) if first and last_at else None
    db.execute(
        "UPDATE patient_summaries SET last_induction_at = ?, n_induction = ?, response_days = ?, "
        "follow_days = ? WHERE patient_id = ?",
        [last_induction, len(induction), response_days, follow_days, patient_id],
    )


# -- aggregate reads ------------------------------------------------------------------------

def cohort_overview(db: sqlite_utils.Database, flt: CohortFilter | None, *, active_since: str) -> dict:
    """Counts for the headline metrics: patients in view and in the clinic, active since
    ``active_since``, completed induction (>= 4), boosters, open alerts, open prompts by kind."""
    where, params = (flt or CohortFilter()).where()
    kinds = (signals.BOOSTER_REVIEW, signals.DETERIORATION, signals.NOT_ON_TRACK)
    kind_sums = ", ".join(
        f"SUM(CASE WHEN (',' || COALESCE(ps.signal_kinds, '') || ',') LIKE '%,{k},%' THEN 1 ELSE 0 END) AS k_{k}"
        for k in kinds
    )
    row = next(iter(db.query(
        f"""SELECT COUNT(*) AS patients,
                   SUM(CASE WHEN ps.last_assessment_at >= ? THEN 1 ELSE 0 END) AS active,
                   SUM(CASE WHEN COALESCE(ps.n_induction, 0) >= 4 THEN 1 ELSE 0 END) AS completed_induction,
                   COALESCE(SUM(ps.n_boosters), 0) AS boosters,
                   COALESCE(SUM(ps.open_alerts), 0) AS open_alerts,
                   {kind_sums}
            {_FROM} WHERE {where}""",
        [active_since, *params],
    )))
    out = {k: int(v or 0) for k, v in row.items() if not k.startswith("k_")}
    out["open_prompts"] = {k: int(row[f"k_{k}"] or 0) for k in kinds}
    out["clinic_patients"] = db.execute("SELECT COUNT(*) FROM patients").fetchone()[0]
    return out


def cohort_clinicians(db: sqlite_utils.Database) -> list[str]:
    """Display names of the clinicians who have patients, for the filter."""
    return [r[0] for r in db.execute(
        "SELECT DISTINCT u.display_name FROM patients p JOIN users u ON u.id = p.therapist_id "
        "WHERE u.display_name IS NOT NULL ORDER BY 1"
    )]


def outcome_counts(db: sqlite_utils.Database, instrument_id: str, flt: CohortFilter | None) -> pd.DataFrame:
    """(time_point, baseline_total, total, n): patients in view with a baseline above 0 and a
    score at the time point, counted per distinct pair; :func:`progress.cohort.rates_from_counts`
    turns it into the rates table."""
    view, params = _in_view(flt)
    return _frame(
        db,
        f"""SELECT o.time_point, s.baseline_total, o.total, COUNT(*) AS n
            FROM outcome_points o
            JOIN summaries s ON s.patient_id = o.patient_id AND s.instrument = o.instrument
            JOIN patient_summaries ps ON ps.patient_id = o.patient_id
            WHERE o.instrument = ? AND s.baseline_total > 0 AND ps.first_infusion_at IS NOT NULL
              AND o.{view}
            GROUP BY o.time_point, s.baseline_total, o.total""",
        [instrument_id, *params],
    )


def trajectory_histogram(
    db: sqlite_utils.Database, instrument_id: str, axis: str, flt: CohortFilter | None
) -> pd.DataFrame:
    """(x, total, n): how many patients in view had each per-x mean total on ``axis``
    ('week' since the first infusion or 'infusion' number); see
    :func:`progress.cohort.summary_from_histogram`."""
    if axis not in cohort.AXES:
        raise ValueError(f"axis must be one of {cohort.AXES}")
    view, params = _in_view(flt)
    return _frame(
        db,
        f"""SELECT x, total, COUNT(*) AS n FROM trajectory_points
            WHERE instrument = ? AND axis = ? AND {view}
            GROUP BY x, total ORDER BY x, total""",
        [instrument_id, axis, *params],
    )


def talking_therapies_counts(db: sqlite_utils.Database, flt: CohortFilter | None) -> pd.DataFrame:
    """NHS Talking Therapies outcomes (label, numerator, denominator) for patients in view
    with a finished course (>= 2 infusions [S48b]), from their PHQ-9/GAD-7 summaries. The
    paired outcome is worked out per distinct (first, last) pair of totals, which are few."""
    where, params = (flt or CohortFilter()).where()
    rows = db.execute(
        f"""SELECT phq.baseline_total, phq.latest_total, gad.baseline_total, gad.latest_total,
                   COUNT(*) AS n
            {_FROM}
            LEFT JOIN summaries phq ON phq.patient_id = p.id AND phq.instrument = 'phq9'
                 AND phq.baseline_total IS NOT NULL
            LEFT JOIN summaries gad ON gad.patient_id = p.id AND gad.instrument = 'gad7'
                 AND gad.baseline_total IS NOT NULL
            WHERE {where} AND COALESCE(ps.n_infusions, 0) >= 2
              AND (phq.patient_id IS NOT NULL OR gad.patient_id IS NOT NULL)
            GROUP BY 1, 2, 3, 4""",
        params,
    ).fetchall()
    tallies = dict.fromkeys(("recovered", "reliable_recovery", "cases", "improved", "deteriorated", "all"), 0)
    for pb, pl, gb, gl, n in rows:
        first, last = {}, {}
        if pb is not None:
            first["phq9"], last["phq9"] = pb, pl
        if gb is not None:
            first["gad7"], last["gad7"] = gb, gl
        o = tt.paired_outcome(first, last)
        tallies["all"] += n
        tallies["improved"] += n * bool(o.reliable_improvement)
        tallies["deteriorated"] += n * bool(o.reliable_deterioration)
        if o.case_at_start:
            tallies["cases"] += n
            tallies["recovered"] += n * bool(o.recovered)
            tallies["reliable_recovery"] += n * bool(o.reliable_recovery)
    return pd.DataFrame([
        ("Recovery (case at start, not a case now)", tallies["recovered"], tallies["cases"]),
        ("Reliable recovery", tallies["reliable_recovery"], tallies["cases"]),
        ("Reliable improvement", tallies["improved"], tallies["all"]),
        ("Reliable deterioration", tallies["deteriorated"], tallies["all"]),
    ], columns=["label", "numerator", "denominator"])


def durability_counts(db: sqlite_utils.Database, flt: CohortFilter | None) -> pd.DataFrame:
    """(days, relapsed, n) for PHQ-9 responders in view: whole days from the first response to
    the first booster-review prompt (relapsed = 1) or to the last check-in (0), counted per
    distinct value: the durability curve's input."""
    where, params = (flt or CohortFilter()).where()
    return _frame(
        db,
        f"""SELECT ps.response_days AS days,
                   CASE WHEN ps.relapse_signal_at IS NULL THEN 0 ELSE 1 END AS relapsed, COUNT(*) AS n
            {_FROM} WHERE {where} AND ps.response_days IS NOT NULL
            GROUP BY 1, 2 ORDER BY 1, 2""",
        params,
    )


def follow_up(db: sqlite_utils.Database, flt: CohortFilter | None, *, as_of: str) -> tuple[int, float]:
    """(boosters given, patient-years followed) for patients in view who started a course:
    first infusion to last check-in, or to ``as_of`` for the few with no check-in yet."""
    where, params = (flt or CohortFilter()).where()
    boosters, days = db.execute(
        f"""SELECT COALESCE(SUM(ps.n_boosters), 0), COALESCE(SUM(ps.follow_days), 0)
            {_FROM} WHERE {where} AND ps.first_infusion_at IS NOT NULL""",
        params,
    ).fetchone()
    for (first,) in db.execute(
        f"SELECT ps.first_infusion_at {_FROM} WHERE {where} AND ps.first_infusion_at IS NOT NULL "
        "AND ps.last_assessment_at IS NULL",
        params,
    ):
        days += max(0.0, cohort._day_offset(as_of, first))
    return int(boosters), float(days) / 365.25


__all__ = [
    "CohortFilter", "refresh_outcomes", "cohort_overview", "cohort_clinicians", "outcome_counts",
    "trajectory_histogram", "talking_therapies_counts", "durability_counts", "follow_up",
]
