"""Kaplan-Meier survival estimate for time to relapse.

Implemented here (about 30 lines) rather than taking lifelines, which would add scipy,
matplotlib, autograd and formulaic to a clinic install for one estimator. Product-limit
estimator with Greenwood's variance; ties: events before censorings at the same time
(the usual convention). Checked against the Freireich 6-MP data in tests/test_survival.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd


def kaplan_meier(times: Sequence[float], events: Sequence[bool]) -> pd.DataFrame:
    """One row per distinct event time: time, at_risk, events, censored, survival, lower,
    upper (95 % log-log interval). ``events[i]`` is False for a censored observation."""
    if len(times) != len(events):
        raise ValueError("times and events must have the same length")
    pairs = sorted(zip(times, events, strict=True), key=lambda p: (p[0], not p[1]))
    rows, at_risk, surv, green = [], len(pairs), 1.0, 0.0
    i = 0
    while i < len(pairs):
        t = pairs[i][0]
        d = c = 0
        while i < len(pairs) and pairs[i][0] == t:
            d += bool(pairs[i][1])
            c += not pairs[i][1]
            i += 1
        if d:
            surv *= 1 - d / at_risk
            green += d / (at_risk * (at_risk - d)) if at_risk > d else math.inf
            lo, hi = _loglog(surv, green)
            rows.append((t, at_risk, d, c, surv, lo, hi))
        at_risk -= d + c
    return pd.DataFrame(rows, columns=["time", "at_risk", "events", "censored", "survival", "lower", "upper"])


def _loglog(s: float, greenwood: float) -> tuple[float, float]:
    if s <= 0 or s >= 1 or math.isinf(greenwood):
        return (s, s)
    se = math.sqrt(greenwood) / abs(math.log(s))
    lo = s ** math.exp(1.96 * se)
    hi = s ** math.exp(-1.96 * se)
    return lo, hi


def median_time(curve: pd.DataFrame) -> float | None:
    """Smallest time with survival <= 0.5, or None when not reached."""
    below = curve[curve["survival"] <= 0.5]
    return None if below.empty else float(below["time"].iloc[0])
