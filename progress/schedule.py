"""What a patient should complete now, from their indications, history and infusions.

Cadence (clinical-reference.md): PHQ-9 and GAD-7 weekly (2-week recall, collected weekly
[S3][S62]); PCL-5 monthly for PTSD (past-month recall [S15]); PEG weekly for chronic pain
(past-week recall [S22]); on an infusion day, "right now" ratings before and after the
infusion, the only measures whose recall fits a same-day comparison. A measure is overdue
once it is more than ``GRACE_DAYS`` past due.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from progress.timeutil import days_between, parse_instant

GRACE_DAYS = 3

# instrument id -> (days between administrations, indications that call for it; empty = all)
CADENCE: dict[str, tuple[int, tuple[str, ...]]] = {
    "phq9": (7, ()),
    "gad7": (7, ()),
    "pcl5": (28, ("PTSD",)),
    "peg": (7, ("chronic pain",)),
}
MOMENTARY = ("mood_nrs", "anxiety_nrs")
MOMENTARY_PAIN = ("pain_nrs",)


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


def due_now(
    indications: Sequence[str],
    last_taken: Mapping[str, str],
    *,
    as_of: str,
    phase: str | None,
) -> list[Due]:
    """Periodic measures due at ``as_of``.

    ``last_taken`` maps instrument id to the last administration time (stored ISO text);
    ``phase`` is the phase of the latest infusion (None before the first one).
    """
    context = "intake" if phase is None else ("weekly" if phase == "induction" else "maintenance")
    due: list[Due] = []
    for instrument_id, (every, needs) in CADENCE.items():
        if needs and not any(n in indications for n in needs):
            continue
        last = last_taken.get(instrument_id)
        if last is None:
            due.append(Due(instrument_id, context, "Not yet completed"))
            continue
        age = days_between(last, as_of)
        if age >= every:
            late = age - every
            due.append(
                Due(
                    instrument_id,
                    context,
                    f"Last completed {int(age)} days ago (every {every} days)",
                    overdue=late > GRACE_DAYS,
                )
            )
    return due


def is_same_day(a: str, b: str) -> bool:
    return parse_instant(a).date() == parse_instant(b).date()
