"""NHS Talking Therapies (formerly IAPT) paired-score outcomes for PHQ-9 and GAD-7.

Definitions (clinical-reference.md section 2.3): caseness PHQ-9 >= 10 and/or GAD-7 >= 8
[S48]; recovery = a case at the start and not a case on both measures at the end
[S48][S48a][S48b]; reliable improvement = a reduction >= the reliable-change value (PHQ-9 6,
GAD-7 4) on at least one measure [S48][S48a]; reliable recovery = recovered and reliably
improved [S48a]; reliable deterioration = an increase >= the reliable-change value on at
least one measure [S48e]. The NHS Digital clauses "and no reliable deterioration / no
reliable improvement on the other measure" are UNCONFIRMED verbatim in the reference, so
they are off by default and can be switched on with ``strict=True``.

Outcomes use the first and last scores of the course (paired scores [S48c]).
"""

from __future__ import annotations

from dataclasses import dataclass

from progress import instruments

MEASURES = ("phq9", "gad7")


def _caseness_cutoff(instrument_id: str) -> float:
    cutoff = instruments.get(instrument_id).cutoff("caseness")
    if cutoff is None:  # pragma: no cover - the catalogue test guards the declarations
        raise ValueError(f"{instrument_id} declares no caseness cut-off")
    return cutoff.value


def _rc(instrument_id: str) -> float:
    value = instruments.get(instrument_id).outcomes.reliable_change
    if value is None:  # pragma: no cover
        raise ValueError(f"{instrument_id} declares no reliable-change value")
    return value


def is_case(scores: dict[str, float | None]) -> bool:
    """Caseness on depression and/or anxiety: PHQ-9 >= 10 or GAD-7 >= 8 [S48]."""
    return any(
        scores.get(m) is not None and scores[m] >= _caseness_cutoff(m) for m in MEASURES
    )


@dataclass(frozen=True)
class PairedOutcome:
    """One course's NHS Talking Therapies outcome from first and last PHQ-9 / GAD-7."""

    case_at_start: bool
    recovered: bool | None  # None when not a case at the start (excluded from the rate)
    reliable_improvement: bool
    reliable_deterioration: bool
    reliable_recovery: bool | None


def paired_outcome(
    first: dict[str, float | None], last: dict[str, float | None], *, strict: bool = False
) -> PairedOutcome:
    """Outcome from ``{"phq9": total, "gad7": total}`` at the start and at the end.

    Measures missing at either end are left out of the change rules. ``strict`` adds the
    UNCONFIRMED "not on the other measure" clauses [S48e].
    """
    improved, worse = set(), set()
    for m in MEASURES:
        a, b = first.get(m), last.get(m)
        if a is None or b is None:
            continue
        if a - b >= _rc(m):
            improved.add(m)
        if b - a >= _rc(m):
            worse.add(m)
    reliable_improvement = bool(improved) and not (strict and worse)
    reliable_deterioration = bool(worse) and not (strict and improved)
    case_start = is_case(first)
    recovered = (not is_case(last)) if case_start else None
    return PairedOutcome(
        case_at_start=case_start,
        recovered=recovered,
        reliable_improvement=reliable_improvement,
        reliable_deterioration=reliable_deterioration,
        reliable_recovery=None if recovered is None else (recovered and reliable_improvement),
    )


def recovery_rate(outcomes: list[PairedOutcome]) -> tuple[int, int]:
    """(recovered, denominator): denominator = finished courses that were a case at the start
    [S48b]. The caller decides which courses count as finished (>= 2 appointments)."""
    eligible = [o for o in outcomes if o.case_at_start]
    return sum(1 for o in eligible if o.recovered), len(eligible)
