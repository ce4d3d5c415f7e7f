"""Change, response, remission and reliable change for one patient's series on one instrument.

Definitions (clinical-reference.md section 2):
- baseline: the last score at or before the first infusion; without infusions, the first score.
- response: reduction from baseline >= the instrument's response fraction (50 % for PHQ-9) [S50][S52].
- partial response: 25-49 % reduction [S52].
- remission: total below the instrument's remission bound (PHQ-9 < 5) [S50][S51].
- reliable change: |change| >= the instrument's reliable-change value (PHQ-9 6, GAD-7 4) [S48].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from progress.model import Instrument

STATUS_REMISSION = "in remission"
STATUS_RESPONSE = "responding"
STATUS_PARTIAL = "partial response"
STATUS_NOT_YET = "not yet responding"
STATUS_NO_BASELINE = "no baseline"


@dataclass(frozen=True)
class Summary:
    """Where one patient stands on one instrument."""

    n: int
    baseline_total: float | None
    baseline_at: str | None
    latest_total: float
    latest_at: str
    latest_band: str | None
    nadir_total: float
    nadir_at: str
    change: float | None
    pct_change: float | None
    status: str
    reliable: str | None


def percent_change(baseline: float, value: float) -> float | None:
    """Signed percent change from baseline (negative = improvement); None when baseline is 0."""
    if baseline == 0:
        return None
    return (value - baseline) / baseline * 100.0


def is_remission(instrument: Instrument, total: float) -> bool:
    """Total below the instrument's remission bound (PHQ-9 < 5 [S50][S51])."""
    bound = instrument.outcomes.remission_below
    return bound is not None and total < bound


def response_status(instrument: Instrument, baseline: float | None, latest: float) -> str:
    """One of the STATUS_* labels for the latest score against baseline."""
    if baseline is None:
        return STATUS_NO_BASELINE
    if is_remission(instrument, latest) and not is_remission(instrument, baseline):
        return STATUS_REMISSION
    outcomes = instrument.outcomes
    reduction = (baseline - latest) / baseline if baseline > 0 else 0.0
    if outcomes.response_reduction is not None and reduction >= outcomes.response_reduction:
        return STATUS_RESPONSE
    partial = outcomes.partial_response_reduction
    if partial is not None and reduction >= partial:
        return STATUS_PARTIAL
    return STATUS_NOT_YET


def reliable_change(instrument: Instrument, baseline: float | None, latest: float) -> str | None:
    """'improved', 'deteriorated', 'no reliable change', or None where no value is published."""
    threshold = instrument.outcomes.reliable_change
    if threshold is None or baseline is None:
        return None
    diff = latest - baseline
    if diff <= -threshold:
        return "improved"
    if diff >= threshold:
        return "deteriorated"
    return "no reliable change"


def summarize(
    instrument: Instrument, series: Sequence[tuple[str, float]], first_infusion_at: str | None
) -> Summary:
    """Summarise a time-ordered series of ``(administered_at, total)`` pairs (at least one)."""
    if not series:
        raise ValueError("summarize needs at least one score")
    if first_infusion_at is None:
        baseline_at, baseline = series[0]
    else:
        before = [p for p in series if p[0] <= first_infusion_at]
        baseline_at, baseline = before[-1] if before else (None, None)
    latest_at, latest = series[-1]
    after = [p for p in series if baseline_at is None or p[0] >= baseline_at]
    nadir_at, nadir = min(after, key=lambda p: (p[1], p[0]))
    change = None if baseline is None else latest - baseline
    return Summary(
        n=len(series),
        baseline_total=baseline,
        baseline_at=baseline_at,
        latest_total=latest,
        latest_at=latest_at,
        latest_band=instrument.band_for(latest),
        nadir_total=nadir,
        nadir_at=nadir_at,
        change=change,
        pct_change=None if baseline is None else percent_change(baseline, latest),
        status=response_status(instrument, baseline, latest),
        reliable=reliable_change(instrument, baseline, latest),
    )


def infusions_to_first_response(
    instrument: Instrument,
    series: Sequence[tuple[str, float]],
    infusion_times: Sequence[str],
) -> int | None:
    """How many infusions had been given when the first response was seen (>= the
    instrument's response fraction below baseline [S50][S52]); None without a baseline or a
    response. Phillips 2019 reported a median of 3 infusions to response [S36]."""
    if not infusion_times:
        return None
    first = infusion_times[0]
    before = [t for t in series if t[0] <= first]
    if not before or instrument.outcomes.response_reduction is None:
        return None
    baseline = before[-1][1]
    if baseline <= 0:
        return None
    for at, total in series:
        if at > first and (baseline - total) / baseline >= instrument.outcomes.response_reduction:
            return sum(1 for t in infusion_times if t <= at)
    return None
