"""US quality-measure framing of remission: CMS159 / NQF 0710 "Depression Remission at
Twelve Months" (FHIR v0.3.000), for clinic-lead views (clinical-reference.md section 2.1).

Only the score logic is implemented (the measure's encounter, diagnosis, age and exclusion
criteria are not in this dashboard's data): [S51][S51b]

- index event: the first PHQ-9 total > 9 in the denominator identification period
  [measurement-period start - 14 months, measurement-period start - 2 months);
- measure assessment period: index date + 12 months, +/- 60 days;
- remission (numerator): the LAST valid PHQ-9 total in that window is < 5. Valid means a
  final/amended/corrected result inside the instrument's range 0-27.

Checked against the measure developers' own test cases in tests/test_quality.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

INDEX_ABOVE = 9  # PHQ-9 > 9 [S51]
REMISSION_BELOW = 5  # PHQ-9 < 5 [S51]
WINDOW_DAYS = 60  # +/- 60 days in the FHIR versions [S51b]
VALID_STATUS = ("final", "amended", "corrected")


@dataclass(frozen=True)
class Observation:
    at: datetime
    total: float
    status: str = "final"


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise ValueError(d)  # pragma: no cover


def _valid(o: Observation) -> bool:
    return o.status in VALID_STATUS and 0 <= o.total <= 27


def index_event(observations: Sequence[Observation], period_start: date) -> Observation | None:
    """The first valid PHQ-9 > 9 in [period start - 14 months, period start - 2 months)."""
    lo, hi = _add_months(period_start, -14), _add_months(period_start, -2)
    for o in sorted(observations, key=lambda o: o.at):
        if _valid(o) and o.total > INDEX_ABOVE and lo <= o.at.date() < hi:
            return o
    return None


def remission_at_12_months(observations: Sequence[Observation], index: Observation) -> bool:
    """True when the last valid PHQ-9 in index + 12 months +/- 60 days is below 5."""
    target = _add_months(index.at.date(), 12)
    lo, hi = target - timedelta(days=WINDOW_DAYS), target + timedelta(days=WINDOW_DAYS)
    inside = [o for o in observations if _valid(o) and lo <= o.at.date() <= hi and o.at > index.at]
    if not inside:
        return False
    return max(inside, key=lambda o: o.at).total < REMISSION_BELOW
