"""The clinic's own expected induction trajectory, for the ``not_on_track`` signal.

For every course with a PHQ-9 baseline at or above caseness, the score after each induction
infusion (the last PHQ-9 before the next infusion) is turned into a reduction from baseline;
per infusion number, the reference is the reduction that 80 % of the clinic's courses reached
(the 20th percentile), with the number of courses behind it. Fewer courses than the rules'
``trajectory_min_courses`` and the published anchor is used instead (signal_rules).
This is the DESIGN NOTE of clinical-reference.md section 2.6 ("fit an expected trajectory
from clinic history ... flag when the observed score exceeds the 80th-90th percentile").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

Course = tuple[float, Sequence[tuple[int, float]]]  # (baseline, [(infusion number, score)])


def reference(courses: Iterable[Course], *, percentile: float = 0.8, max_infusion: int = 12) -> dict[int, tuple[float, int]]:
    """Infusion number -> (reduction reached by ``percentile`` of courses, courses counted)."""
    by_k: dict[int, list[float]] = {}
    for baseline, points in courses:
        if baseline <= 0:
            continue
        for k, score in points:
            if 1 <= k <= max_infusion:
                by_k.setdefault(k, []).append((baseline - score) / baseline)
    return {
        k: (float(np.quantile(v, 1 - percentile)), len(v))
        for k, v in sorted(by_k.items())
    }


def course_points(scores: Sequence[tuple[str, float]], induction_times: Sequence[str]) -> list[tuple[int, float]]:
    """The last score after each induction infusion and before the next one (or within a
    week of the last one): [(infusion number, score)]."""
    out = []
    for k, start in enumerate(induction_times, start=1):
        end = induction_times[k] if k < len(induction_times) else None
        inside = [x for t, x in scores if t > start and (end is None or t < end) and (end is not None or _within_week(start, t))]
        if inside:
            out.append((k, inside[-1]))
    return out


def _within_week(start: str, t: str) -> bool:
    from progress.timeutil import days_between

    return days_between(start, t) <= 7
