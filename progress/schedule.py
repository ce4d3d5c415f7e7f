"""What a patient should complete now, from their indications, course and history.

Occasions (issue 5; cadences from clinical-reference.md):
- intake: before the first infusion every periodic measure for the patient's indications is due
  once, as the baseline;
- weekly during induction and maintenance: PHQ-9 for everyone and GAD-7 for anxiety (2-week
  recall, collected weekly, each point labelled "2-week recall, collected weekly" [S3][S62]);
  PEG weekly for chronic pain (past-week recall [S22]); any other questionnaire can still be
  filled in at any time from the check-in page;
- PCL-5 monthly for PTSD (past-month recall [S15]: asking it more often than monthly would
  make consecutive answers cover the same weeks);
- after a booster: the next administration of each periodic measure is saved under the
  ``booster`` context, so the chart shows the booster's effect;
- on an infusion day, before and after the infusion: only the "right now" ratings
  (:func:`momentary_for`), the only measures whose recall fits a same-day comparison (a 2-week
  or 1-month questionnaire cannot change within an hour).

A measure is overdue once it is more than ``GRACE_DAYS`` past due (a clinic choice, not a
cited number).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from progress.timeutil import days_between, parse_instant

GRACE_DAYS = 3

# instrument id -> (days between administrations, indications that call for it; empty = all)
CADENCE: dict[str, tuple[int, tuple[str, ...]]] = {
    "phq9": (7, ()),  # weekly, 2-week recall [S3][S62]
    "gad7": (7, ("anxiety",)),  # weekly for anxiety, 2-week recall [S11][S62]
    "pcl5": (28, ("PTSD",)),  # monthly, past-month recall [S15]
    "peg": (7, ("chronic pain",)),  # weekly, past-week recall [S22]
}
MOMENTARY = ("mood_nrs", "anxiety_nrs")
MOMENTARY_PAIN = ("pain_nrs",)
# The context a periodic measure is saved under in each phase; "booster" is kept for the first
# measure after a booster (see due_now), later ones are maintenance measures.
PHASE_CONTEXT = {None: "intake", "induction": "weekly", "maintenance": "maintenance", "booster": "maintenance"}


@dataclass(frozen=True)
class Due:
    """One measure due now, with the context it will be saved under and why."""

    instrument: str
    context: str
    reason: str
    overdue: bool = False


def momentary_for(indications: Sequence[str]) -> tuple[str, ...]:
    """The "right now" ratings asked before and after an infusion for these indications."""
    return MOMENTARY + (MOMENTARY_PAIN if "chronic pain" in indications else ())


def periodic_for(indications: Sequence[str]) -> tuple[str, ...]:
    """The periodic measures these indications call for, in cadence order."""
    return tuple(i for i, (_, needs) in CADENCE.items() if not needs or any(n in indications for n in needs))


def due_now(
    indications: Sequence[str],
    last_taken: Mapping[str, str],
    *,
    as_of: str,
    phase: str | None,
    last_booster_at: str | None = None,
) -> list[Due]:
    """Periodic measures due at ``as_of``.

    ``last_taken`` maps instrument id to the last administration time (stored ISO text);
    ``phase`` is the phase of the latest infusion (None before the first one, which makes
    every measure not yet completed an intake baseline); ``last_booster_at`` is the latest
    booster infusion, if any: a measure not completed since it is the "after the booster" one.
    """
    context = PHASE_CONTEXT.get(phase, "maintenance")
    due: list[Due] = []
    for instrument_id in periodic_for(indications):
        every = CADENCE[instrument_id][0]
        last = last_taken.get(instrument_id)
        if last is None:
            if phase is None:
                due.append(Due(instrument_id, context, "Baseline before the first infusion"))
            else:  # infusions have started without this measure: its baseline is already late
                due.append(Due(instrument_id, context, "Not yet completed since infusions started", overdue=True))
            continue
        age = days_between(last, as_of)
        if age < every:
            continue
        after_booster = last_booster_at is not None and parse_instant(last) < parse_instant(last_booster_at)
        reason = f"Last completed {int(age)} days ago (every {every} days)"
        if after_booster:
            reason += f"; the first since the booster on {last_booster_at[:10]}"
        due.append(
            Due(instrument_id, "booster" if after_booster else context, reason, overdue=age - every > GRACE_DAYS)
        )
    return due


def infusion_day_due(
    indications: Sequence[str],
    *,
    as_of: str,
    infusion_at: str | None,
    taken_today: Iterable[tuple[str, str, str]] = (),
) -> list[Due]:
    """The "right now" ratings due around an infusion on the day of ``as_of``.

    ``infusion_at`` is today's infusion (recorded or booked; None when there is none today);
    ``taken_today`` holds (instrument, context, administered_at) of today's momentary ratings.
    Before the infusion starts the "before" ratings are due; once it has started, the "after"
    ratings not yet given after it.
    """
    if infusion_at is None or not is_same_day(infusion_at, as_of):
        return []
    start = parse_instant(infusion_at)
    before = parse_instant(as_of) < start
    taken = list(taken_today)
    due = []
    for instrument_id in momentary_for(indications):
        if before:
            if not any(i == instrument_id and c == "pre_infusion" for i, c, _ in taken):
                due.append(Due(instrument_id, "pre_infusion", "Before today's infusion"))
        elif not any(i == instrument_id and c == "post_infusion" and parse_instant(t) >= start for i, c, t in taken):
            due.append(Due(instrument_id, "post_infusion", "After today's infusion"))
    return due


def caseload_due(caseload: pd.DataFrame, *, as_of: str) -> pd.DataFrame:
    """Every periodic measure due for each patient of a caseload frame (``store.caseload``:
    one row per patient and instrument, with the patient's indications, phase and last infusion).

    Returns one row per due measure: patient_id, instrument, context, reason, overdue; overdue
    rows first. Reads summaries only, so it costs one query for the whole clinic.
    """
    columns = ["patient_id", "instrument", "context", "reason", "overdue"]
    if caseload.empty:
        return pd.DataFrame(columns=columns)
    patients: dict[str, dict] = {}
    for r in caseload.to_dict("records"):  # one pass; far cheaper than a pandas groupby per patient
        if (r.get("patient_status") or "active") != "active":
            continue
        p = patients.setdefault(r["patient_id"], {"row": r, "taken": {}})
        if isinstance(r.get("instrument"), str) and isinstance(r.get("latest_at"), str):
            p["taken"][r["instrument"]] = r["latest_at"]
    rows = []
    for patient_id in sorted(patients):
        first, taken = patients[patient_id]["row"], patients[patient_id]["taken"]
        indications = [i for i in str(first.get("indications") or "").split(",") if i]
        phase = first["phase"] if isinstance(first.get("phase"), str) else None
        booster = first.get("last_infusion_at") if phase == "booster" else None
        for d in due_now(indications, taken, as_of=as_of, phase=phase, last_booster_at=booster):
            rows.append((patient_id, d.instrument, d.context, d.reason, d.overdue))
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["overdue", "patient_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def is_same_day(a: str, b: str) -> bool:
    return parse_instant(a).date() == parse_instant(b).date()


__all__ = [
    "CADENCE", "GRACE_DAYS", "PHASE_CONTEXT", "Due", "caseload_due", "due_now", "infusion_day_due", "is_same_day",
    "momentary_for", "periodic_for",
]
