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


def kaplan_meier(
    times: Sequence[float], events: Sequence[bool], weights: Sequence[int] | None = None
) -> pd.DataFrame:
    """One row per distinct event time: time, at_risk, events, censored, survival, lower,
    upper (95 % log-log interval). ``events[i]`` is False for a censored observation;
    ``weights[i]`` (default 1) says how many patients share that (time, event), so a cohort
    read as counts per distinct value gives the same curve as one row per patient."""
    weights = [1] * len(times) if weights is None else list(weights)
    if not len(times) == len(events) == len(weights):
        raise ValueError("times, events and weights must have the same length")
    pairs = sorted(zip(times, events, weights, strict=True), key=lambda p: (p[0], not p[1]))
    rows, at_risk, surv, green = [], sum(weights), 1.0, 0.0
    i = 0
    while i < len(pairs):
        t = pairs[i][0]
        d = c = 0
        while i < len(pairs) and pairs[i][0] == t:
            d += pairs[i][2] if pairs[i][1] else 0
            c += 0 if pairs[i][1] else pairs[i][2]
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
