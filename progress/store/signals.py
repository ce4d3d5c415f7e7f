"""Signals kept beside each patient's summary: read a patient's history, run the pure rules
of :mod:`progress.signals`, and store the result in the same transaction as the write that
changed the history. Safety signals are not copied: they are the alerts themselves."""

from __future__ import annotations

import json
from dataclasses import fields, replace

import pandas as pd
import sqlite_utils

from progress import signals as sig
from progress import trajectory
from progress.errors import ValidationError
from progress.signal_rules import DEFAULT_RULES, MONITORED, Rules
from progress.store.connection import _frame
from progress.store.outcomes import refresh_outcomes
from progress.store.people import list_patient_ids

RULES_SETTING = "signal_rules"  # JSON object of Rules fields a clinic has changed
TRAJECTORY_SETTING = "signal_trajectory"  # the clinic-history trajectory (see trajectory.py)
_STORED_KINDS = (sig.BOOSTER_REVIEW, sig.NOT_ON_TRACK, sig.DETERIORATION)


def signal_rules(db: sqlite_utils.Database) -> Rules:
    """The clinic's rules: defaults, with any fields changed in the settings table."""
    rules = DEFAULT_RULES
    row = db.execute("SELECT value FROM settings WHERE key = ?", [RULES_SETTING]).fetchone()
    if row:
        changes = json.loads(row[0])
        known = {f.name for f in fields(Rules)} - {"trajectory"}
        unknown = set(changes) - known
        if unknown:
            raise ValidationError(f"Unknown signal setting(s): {', '.join(sorted(unknown))}.")
        if "booster_detectors" in changes:
            changes["booster_detectors"] = tuple(changes["booster_detectors"])
        rules = replace(rules, **changes)
    row = db.execute("SELECT value FROM settings WHERE key = ?", [TRAJECTORY_SETTING]).fetchone()
    if row:
        rules = replace(rules, trajectory={int(k): tuple(v) for k, v in json.loads(row[0]).items()})
    return rules


def load_history(db: sqlite_utils.Database, patient_id: str) -> sig.History:
    """One patient's monitored series, infusions and alerts, each in time order."""
    marks = ",".join("?" * len(MONITORED))
    series: dict[str, list[sig.Point]] = {}
    for inst, at, total, aid in db.execute(
        f"SELECT instrument, administered_at, total, id FROM assessments "
        f"WHERE patient_id = ? AND instrument IN ({marks}) ORDER BY administered_at, id",
        [patient_id, *MONITORED],
    ):
        series.setdefault(inst, []).append(sig.Point(at, total, aid))
    infusions = [
        sig.Infusion(at, phase)
        for at, phase in db.execute(
            "SELECT administered_at, phase FROM infusions WHERE patient_id = ? "
            "ORDER BY administered_at, id",
            [patient_id],
        )
    ]
    alerts = [
        sig.Alert(at, kind, severity, reason, status, aid)
        for at, kind, severity, reason, status, aid in db.execute(
            "SELECT created_at, kind, severity, reason, status, assessment_id FROM alerts "
            "WHERE patient_id = ? ORDER BY created_at, id",
            [patient_id],
        )
    ]
    return sig.History(patient_id, series, infusions, alerts)


def refresh_signals(db: sqlite_utils.Database, patient_id: str, rules: Rules | None = None) -> list[sig.Signal]:
    """Recompute and store one patient's signals; call inside the writer's ``db.atomic()``
    after :func:`refresh_patient`, so the summary's open-signal count matches."""
    rules = rules or signal_rules(db)
    history = load_history(db, patient_id)
    found = [s for s in sig.evaluate(history, rules) if s.kind in _STORED_KINDS]
    response_at, relapse_at = sig.response_and_relapse(history, found)
    db.execute("DELETE FROM signals WHERE patient_id = ?", [patient_id])
    db.conn.executemany(
        "INSERT INTO signals(patient_id, instrument, kind, detector, at, severity, reason, points, "
        "active) VALUES (?,?,?,?,?,?,?,?,?)",
        [
            (s.patient_id, s.instrument, s.kind, s.detector, s.at, s.severity, s.reason,
             json.dumps(list(s.points)), int(s.active))
            for s in found
        ],
    )
    open_kinds = sorted({s.kind for s in found if s.active})
    db.execute(
        "UPDATE patient_summaries SET open_signals = ?, signal_kinds = ?, response_at = ?, "
        "relapse_signal_at = ? WHERE patient_id = ?",
        [sum(s.active for s in found), ",".join(open_kinds), response_at, relapse_at, patient_id],
    )
    return found


def clinic_trajectory(db: sqlite_utils.Database, rules: Rules | None = None) -> dict[int, tuple[float, int]]:
    """The clinic's expected PHQ-9 induction trajectory from every stored course."""
    rules = rules or DEFAULT_RULES
    from progress.signal_rules import thresholds

    caseness = thresholds("phq9").caseness
    induction: dict[str, list[str]] = {}
    for pid, at in db.execute(
        "SELECT patient_id, administered_at FROM infusions WHERE phase = 'induction' ORDER BY patient_id, administered_at"
    ):
        induction.setdefault(pid, []).append(at)
    scores: dict[str, list[tuple[str, float]]] = {}
    for pid, at, total in db.execute(
        "SELECT patient_id, administered_at, total FROM assessments WHERE instrument = 'phq9' "
        "ORDER BY patient_id, administered_at"
    ):
        scores.setdefault(pid, []).append((at, total))
    courses = []
    for pid, times in induction.items():
        series = scores.get(pid, [])
        before = [x for t, x in series if t <= times[0]]
        if before and before[-1] >= caseness:
            courses.append((before[-1], trajectory.course_points(series, times)))
    return trajectory.reference(courses, percentile=rules.trajectory_percentile)


def save_clinic_trajectory(db: sqlite_utils.Database) -> dict[int, tuple[float, int]]:
    """Recompute the clinic trajectory and keep it in the settings for the save path."""
    ref = clinic_trajectory(db, signal_rules(db))
    with db.atomic():
        db.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [TRAJECTORY_SETTING, json.dumps({str(k): list(v) for k, v in ref.items()})],
        )
    return ref


def refresh_all_signals(db: sqlite_utils.Database, patient_ids: list[str] | None = None) -> int:
    """Recompute every patient's signals with the clinic's rules (after a bulk load)."""
    rules = signal_rules(db)
    ids = patient_ids if patient_ids is not None else list_patient_ids(db)
    with db.atomic():
        for pid in ids:
            refresh_signals(db, pid, rules)
            refresh_outcomes(db, pid)  # it reads the response dates set here
    return len(ids)


def replay(db: sqlite_utils.Database, rules: Rules | None = None) -> list[sig.Signal]:
    """Every signal of every patient, evaluated in time order; nothing is written."""
    rules = rules or signal_rules(db)
    out: list[sig.Signal] = []
    for pid in list_patient_ids(db):
        out.extend(sig.evaluate(load_history(db, pid), rules))
    return out


def list_signals(
    db: sqlite_utils.Database,
    *,
    patient_id: str | None = None,
    patient_ids: list[str] | None = None,
    active_only: bool = False,
) -> pd.DataFrame:
    """Stored signals (booster_review, not_on_track, deterioration), newest first."""
    where, params = [], []
    if patient_id is not None:
        where.append("patient_id = ?")
        params.append(patient_id)
    if patient_ids is not None:
        where.append(f"patient_id IN ({','.join('?' * len(patient_ids)) or 'NULL'})")
        params.extend(patient_ids)
    if active_only:
        where.append("active = 1")
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    df = _frame(
        db,
        f"SELECT id, patient_id, instrument, kind, detector, at, severity, reason, points, active "
        f"FROM signals {clause} ORDER BY at DESC, id DESC",
        params,
    )
    df["points"] = df["points"].map(json.loads) if len(df) else df["points"]
    return df


def signal_counts(db: sqlite_utils.Database) -> pd.DataFrame:
    """Active signals per kind across the clinic, with the number of patients: one indexed
    aggregate for the lead's cohort view."""
    return _frame(
        db,
        "SELECT kind, COUNT(*) AS signals, COUNT(DISTINCT patient_id) AS patients "
        "FROM signals WHERE active = 1 GROUP BY kind ORDER BY kind",
    )


__all__ = [
    'RULES_SETTING', 'TRAJECTORY_SETTING', 'signal_rules', 'load_history', 'refresh_signals',
    'clinic_trajectory', 'save_clinic_trajectory',
    'refresh_all_signals', 'replay', 'list_signals', 'signal_counts',
]
