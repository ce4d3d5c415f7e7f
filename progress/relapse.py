"""Stable remission, stable response and relapse as SUSTAIN-1 defines them, and our PHQ-9
analogue, clearly labelled as an analogue.

SUSTAIN-1 (Daly et al. 2019, MADRS) [S33], clinical-reference.md section 2.4; the wording
is marked UNCONFIRMED verbatim there, so every number is a field of :class:`Definition`:

- stable remission: MADRS <= 12 in at least 3 of the last 4 optimisation-phase weeks;
- stable response: >= 50 % MADRS reduction in the last 2 weeks, without stable remission;
- relapse: MADRS >= 22 on 2 consecutive assessments 5-15 days apart (the clinical events
  of the trial definition, hospitalisation or a suicide attempt, are not in score data).

The PHQ-9 analogue (DESIGN NOTE, not validated) maps these onto PHQ-9: remission < 5 [S50]
[S51], relapse at the caseness cut-off >= 10 [S48]. Results computed with it must be shown
as "PHQ-9 analogue of SUSTAIN-1", never as SUSTAIN-1 itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from progress.timeutil import days_between

Series = Sequence[tuple[str, float]]  # (ISO time, total), time-ordered


@dataclass(frozen=True)
class Definition:
    """One set of SUSTAIN-style rules on one instrument."""

    label: str
    instrument: str
    remission_max: float  # a score <= this is "in remission"
    relapse_min: float  # a score >= this counts towards relapse
    response_reduction: float = 0.5
    stable_weeks: int = 4
    stable_needed: int = 3
    response_weeks: int = 2
    min_days: float = 5
    max_days: float = 15
    source: str = ""


SUSTAIN1_MADRS = Definition(
    label="SUSTAIN-1 (MADRS)", instrument="madrs", remission_max=12, relapse_min=22,
    source="[S33] (wording UNCONFIRMED verbatim)",
)
PHQ9_ANALOGUE = Definition(
    label="PHQ-9 analogue of SUSTAIN-1 (not validated)", instrument="phq9",
    remission_max=4, relapse_min=10,
    source="DESIGN NOTE from [S33] with PHQ-9 remission < 5 [S50][S51] and caseness >= 10 [S48]",
)


def stable_remission(last_weeks: Sequence[float], d: Definition) -> bool:
    """At least ``stable_needed`` of the last ``stable_weeks`` weekly scores in remission."""
    window = list(last_weeks)[-d.stable_weeks:]
    return len(window) >= d.stable_needed and sum(x <= d.remission_max for x in window) >= d.stable_needed


def stable_response(baseline: float, last_weeks: Sequence[float], d: Definition) -> bool:
    """>= 50 % reduction on each of the last ``response_weeks`` scores, not stable remission."""
    window = list(last_weeks)[-d.response_weeks:]
    if baseline <= 0 or len(window) < d.response_weeks:
        return False
    reduced = all((baseline - x) / baseline >= d.response_reduction for x in window)
    return reduced and not stable_remission(last_weeks, d)


def relapse_at(series: Series, d: Definition, *, after: str | None = None) -> tuple[str, str] | None:
    """The first pair of consecutive assessments (after ``after``) both >= ``relapse_min`` and
    5-15 days apart: returns (first time, confirming time), or None."""
    points = [p for p in series if after is None or p[0] > after]
    for (t0, x0), (t1, x1) in zip(points, points[1:], strict=False):
        if x0 >= d.relapse_min and x1 >= d.relapse_min and d.min_days <= days_between(t0, t1) <= d.max_days:
            return t0, t1
    return None


def first_response_at(series: Series, baseline: float, d: Definition, *, after: str | None = None) -> str | None:
    """Time of the first score with >= 50 % reduction from ``baseline`` (after ``after``)."""
    if baseline <= 0:
        return None
    for t, x in series:
        if (after is None or t > after) and (baseline - x) / baseline >= d.response_reduction:
            return t
    return None


def durability_days(series: Series, baseline: float, d: Definition, *, after: str | None = None) -> tuple[float, bool] | None:
    """Days from the first response to relapse: (days, True) when relapse was seen, else
    (days to the last score, False) as a censored time; None without a response."""
    start = first_response_at(series, baseline, d, after=after)
    if start is None:
        return None
    hit = relapse_at(series, d, after=start)
    if hit is not None:
        return days_between(start, hit[1]), True
    return days_between(start, series[-1][0]), False
