"""Cohort views at clinic-network scale: each patient's contribution to every cohort figure is
kept on write (``refresh_outcomes``, called by ``refresh_patient``) as one row per patient and
measure, so a lead's page reads one filtered row per patient in view, never an assessment.

Why one row per patient rather than one per point: the filters (first-infusion dates,
indication, route, clinician) select patients, and a page reads each selected patient once
(about 10 ms per 10,000), where per-point rows cost a lookup for each of ~30 points a patient.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import sqlite_utils

from progress import cohort, instruments, signals
from progress import talking_therapies as tt
from progress.store.schema import INDICATIONS

# The instruments the cohort page offers (the 'right now' ratings have no time points).
_PERIODIC = tuple(i for i in instruments.REGISTRY if not instruments.REGISTRY[i].momentary)


# Bit i of patient_summaries.prompt_flags / indication_flags: kept on write so a cohort read
# selects two integers instead of matching text for every patient.
PROMPT_KINDS = (signals.BOOSTER_REVIEW, signals.DETERIORATION, signals.NOT_ON_TRACK)


def flag_bits(present: Iterable[str], order: Sequence[str]) -> int:
    """The bitmask of which of ``order`` are in ``present``."""
    have = set(present)
    return sum(1 << i for i, name in enumerate(order) if name in have)


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


# -- kept on write --------------------------------------------------------------------------

def refresh_outcomes(db: sqlite_utils.Database, patient_id: str) -> None:
    """Recompute the patient's cohort row per measure (baseline, score at each time point,
    per-week and per-infusion means) and the course-level figures (induction, durability,
    follow-up, NHS Talking Therapies outcome), inside the caller's transaction."""
    infusions = db.execute(
        "SELECT administered_at, phase FROM infusions WHERE patient_id = ? ORDER BY administered_at",
        [patient_id],
    ).fetchall()
    times = [at for at, _ in infusions]
    induction = [at for at, phase in infusions if phase == "induction"]
    first = times[0] if times else None
    last_induction = induction[-1] if induction else None
    marks = ",".join("?" * len(_PERIODIC))
    # Scores after the horizon cannot move any point (the last window closes on day 201, the
    # weekly axis on week 26, the infusion axis at the 13th infusion), so a maintenance check-in
    # two years in reads a few months of its series, not all of it.
    horizon = cohort.points_horizon(first, last_induction, times)
    rows = db.execute(
        f"SELECT instrument, administered_at, total FROM assessments WHERE patient_id = ? "
        f"AND instrument IN ({marks}) AND administered_at <= ? ORDER BY instrument, administered_at, id",
        [patient_id, *_PERIODIC, horizon],
    ).fetchall()
    by_instrument: dict[str, list[tuple[str, float]]] = {}
    for inst, at, total in rows:
        by_instrument.setdefault(inst, []).append((at, total))
    summaries = {
        inst: (base, latest)
        for inst, base, latest in db.execute(
            "SELECT instrument, baseline_total, latest_total FROM summaries WHERE patient_id = ?", [patient_id]
        )
    }
    point_rows = []
    for inst, series in by_instrument.items():
        at_window, means = cohort.patient_points(series, first, last_induction, times)
        point_rows.append((
            patient_id, inst, summaries.get(inst, (None, None))[0] if first is not None else None,
            *(at_window.get(w.label) for w in cohort.WINDOWS),
            cohort.pack_points(means["week"], "week"), cohort.pack_points(means["infusion"], "infusion"),
        ))
    db.execute("DELETE FROM cohort_points WHERE patient_id = ?", [patient_id])
    db.conn.executemany(
        "INSERT INTO cohort_points(patient_id, instrument, baseline, end_of_induction, month3, "
        "month6, weeks, infusions) VALUES (?,?,?,?,?,?,?,?)",
        point_rows,
    )

    response_at, relapse_at, last_at, n_infusions, kinds, indications = db.execute(
        "SELECT ps.response_at, ps.relapse_signal_at, ps.last_assessment_at, ps.n_infusions, "
        "ps.signal_kinds, p.indications FROM patient_summaries ps JOIN patients p ON p.id = ps.patient_id "
        "WHERE ps.patient_id = ?",
        [patient_id],
    ).fetchone()
    end = relapse_at or last_at
    response_days = round(max(0.0, cohort._day_offset(end, response_at))) if response_at and end else None
    follow_days = max(0.0, cohort._day_offset(last_at, first)) if first and last_at else None
    paired = {m: v for m, v in summaries.items() if m in tt.MEASURES and v[0] is not None}
    outcome = None
    if (n_infusions or 0) >= 2 and paired:  # a finished course: at least two appointments [S48b]
        outcome = tt.paired_outcome({m: v[0] for m, v in paired.items()}, {m: v[1] for m, v in paired.items()})
    db.execute(
        "UPDATE patient_summaries SET last_induction_at = ?, n_induction = ?, response_days = ?, "
        "follow_days = ?, tt_case = ?, tt_recovered = ?, tt_reliable_recovery = ?, tt_improved = ?, "
        "tt_deteriorated = ?, prompt_flags = ?, indication_flags = ? WHERE patient_id = ?",
        [
            last_induction, len(induction), response_days, follow_days,
            *((None,) * 5 if outcome is None else (
                int(outcome.case_at_start), int(bool(outcome.recovered)), int(bool(outcome.reliable_recovery)),
                int(outcome.reliable_improvement), int(outcome.reliable_deterioration),
            )),
            flag_bits((kinds or "").split(","), PROMPT_KINDS),
            flag_bits((indications or "").split(","), INDICATIONS),
            patient_id,
        ],
    )


# -- the read -------------------------------------------------------------------------------

_VIEW_COLUMNS = (
    "started", "active", "n_infusions", "n_induction", "n_boosters", "open_alerts",
    "response_days", "relapsed", "follow_days", "tt_case", "tt_recovered", "tt_reliable_recovery",
    "tt_improved", "tt_deteriorated", "baseline", "end_of_induction", "month3", "month6",
)


def cohort_view(
    db: sqlite_utils.Database, instrument_id: str, flt: CohortFilter | None = None, *,
    axis: str = "week", active_since: str = "",
) -> cohort.CohortView:
    """All patients in view at once (tests, small clinics); pages use :func:`cohort_chunks`."""
    chunks = list(cohort_chunks(db, instrument_id, flt, axis=axis, active_since=active_since, size=1 << 30))
    return chunks[0]


def cohort_chunks(
    db: sqlite_utils.Database, instrument_id: str, flt: CohortFilter | None = None, *,
    axis: str = "week", active_since: str = "", size: int = 2000,
) -> Iterator[cohort.CohortView]:
    """What every cohort figure needs for ``instrument_id``, for the patients in view: one
    numeric row per patient (no text to convert), the per-x means on ``axis`` ('week' or
    'infusion') as one float64 matrix, and 0/1 flags for open prompts by kind and for each
    indication; aggregate it with :mod:`progress.cohort` (``view_*`` functions, or
    :class:`progress.cohort.CohortTotals` chunk by chunk). Read ``size`` patients at a time, so
    a page's memory stays the same however large the clinic; at least one (maybe empty) chunk."""
    if axis not in cohort.AXES:
        raise ValueError(f"axis must be one of {cohort.AXES}")
    where, params = (flt or CohortFilter()).where()
    users = "LEFT JOIN users u ON u.id = p.therapist_id" if flt is not None and flt.clinician is not None else ""
    joins = f"""FROM patients p
            LEFT JOIN patient_summaries ps ON ps.patient_id = p.id
            {users}
            LEFT JOIN cohort_points c ON c.patient_id = p.id AND c.instrument = ?
            WHERE {where} ORDER BY p.id"""
    # Two reads over the same rows in the same order: the numbers (straight into one float
    # array, no per-row slicing) and the points blobs (joined into one buffer).
    numbers = db.execute(
        f"""SELECT CASE WHEN ps.first_infusion_at IS NULL THEN 0 ELSE 1 END,
                   CASE WHEN ps.last_assessment_at >= ? THEN 1 ELSE 0 END,
                   ps.n_infusions, ps.n_induction, ps.n_boosters, ps.open_alerts, ps.response_days,
                   CASE WHEN ps.relapse_signal_at IS NULL THEN 0 ELSE 1 END, ps.follow_days,
                   ps.tt_case, ps.tt_recovered, ps.tt_reliable_recovery, ps.tt_improved,
                   ps.tt_deteriorated, c.baseline, c.end_of_induction, c.month3, c.month6,
                   ps.prompt_flags, ps.indication_flags
            {joins}""",
        [active_since, instrument_id, *params],
    )
    blobs = db.execute(
        f"SELECT COALESCE({'c.weeks' if axis == 'week' else 'c.infusions'}, ?) {joins}",
        [cohort.pack_points({}, axis), instrument_id, *params],
    )
    unfollowed = tuple(r[0] for r in db.execute(  # few: started a course, no check-in yet
        f"SELECT ps.first_infusion_at {joins.replace('ORDER BY p.id', '')} "
        "AND ps.first_infusion_at IS NOT NULL AND ps.last_assessment_at IS NULL",
        [instrument_id, *params],
    ))
    names = [*_VIEW_COLUMNS, "prompt_flags", "indication_flags"]
    first = True
    while True:
        rows = numbers.fetchmany(size)
        if rows or first:
            points = b"".join(r[0] for r in blobs.fetchmany(size))
            yield cohort.CohortView.from_arrays(
                np.array(rows, dtype=float).reshape(len(rows), len(names)), names, points,
                unfollowed if first else (), axis, flags={"prompt_flags": ("prompt_", PROMPT_KINDS),
                                                          "indication_flags": ("ind_", INDICATIONS)},
            )
        first = False
        if len(rows) < size:
            return


def cohort_clinicians(db: sqlite_utils.Database) -> list[str]:
    """Display names of the clinicians who have patients, for the filter."""
    return [r[0] for r in db.execute(
        "SELECT DISTINCT u.display_name FROM patients p JOIN users u ON u.id = p.therapist_id "
        "WHERE u.display_name IS NOT NULL ORDER BY 1"
    )]


def clinic_size(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT COUNT(*) FROM patients").fetchone()[0]


__all__ = ["CohortFilter", "refresh_outcomes", "cohort_view", "cohort_chunks", "cohort_clinicians", "clinic_size"]
