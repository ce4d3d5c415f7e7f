"""Cohort outcomes for clinic leads: rates with their denominators, and aligned trajectories.

Definitions (clinical-reference.md 2.1, 2.5):
- baseline: the last score at or before the first infusion [S38].
- end of induction: the score nearest to 14-31 days after the last induction infusion,
  as McInnes 2022 measured it [S38].
- 3 and 6 months: the score nearest to day 90 (window 76-104) and day 180 (window 159-201)
  after the first infusion (windows are this project's choice, stated on screen).
- response: >= 50 % reduction from baseline; remission: PHQ-9 < 5 [S50][S51]; remission is
  counted among patients who were not already below the bound at baseline.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from progress.metrics import is_remission
from progress.model import Instrument


@dataclass(frozen=True)
class Window:
    """A time point: days after an anchor ('last_induction' or 'first_infusion')."""

    label: str
    anchor: str
    start: int
    end: int
    target: int


WINDOWS = (
    Window("End of induction (14-31 days after)", "last_induction", 14, 31, 21),
    Window("3 months (day 76-104)", "first_infusion", 76, 104, 90),
    Window("6 months (day 159-201)", "first_infusion", 159, 201, 180),
)


def _days(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (pd.to_datetime(later, utc=True) - pd.to_datetime(earlier, utc=True)).dt.total_seconds() / 86400


def baselines(scores: pd.DataFrame, patients: pd.DataFrame) -> pd.Series:
    """Baseline total per patient: last score at or before the first infusion."""
    merged = scores.merge(patients[["patient_id", "first_infusion_at"]], on="patient_id")
    before = merged[merged["first_infusion_at"].notna() & (merged["administered_at"] <= merged["first_infusion_at"])]
    return before.groupby("patient_id")["total"].last()


def outcome_at(scores: pd.DataFrame, patients: pd.DataFrame, window: Window) -> pd.Series:
    """Per patient, the score nearest the window's target day, if one falls inside the window."""
    anchor_col = "last_induction_at" if window.anchor == "last_induction" else "first_infusion_at"
    merged = scores.merge(patients[["patient_id", anchor_col]], on="patient_id")
    merged = merged[merged[anchor_col].notna()]
    if merged.empty:
        return pd.Series(dtype=float)
    merged = merged.assign(day=_days(merged["administered_at"], merged[anchor_col]))
    inside = merged[(merged["day"] >= window.start) & (merged["day"] <= window.end)]
    inside = inside.assign(dist=(inside["day"] - window.target).abs()).sort_values(["patient_id", "dist"])
    return inside.groupby("patient_id")["total"].first()


def rates(instrument: Instrument, scores: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """Response and remission at each time point: label, numerator, denominator."""
    base = baselines(scores, patients)
    base = base[base > 0]
    rows = []
    for window in WINDOWS:
        at = outcome_at(scores, patients, window)
        paired = pd.concat([base.rename("baseline"), at.rename("value")], axis=1, join="inner")
        if instrument.outcomes.response_reduction is not None:
            responders = int(((paired["baseline"] - paired["value"]) / paired["baseline"] >= instrument.outcomes.response_reduction).sum())
            rows.append({"label": f"Response · {window.label}", "numerator": responders, "denominator": len(paired)})
        if instrument.outcomes.remission_below is not None:
            # an explicit bool mask: an empty object-dtype mask would select columns instead
            in_remission = paired["baseline"].map(lambda b: is_remission(instrument, b)).astype(bool)
            eligible = paired[~in_remission]
            remitted = int(eligible["value"].map(lambda v: is_remission(instrument, v)).sum())
            rows.append({"label": f"Remission · {window.label}", "numerator": remitted, "denominator": len(eligible)})
    return pd.DataFrame(rows, columns=["label", "numerator", "denominator"])


def trajectory_by_week(scores: pd.DataFrame, patients: pd.DataFrame, *, max_week: int = 26) -> pd.DataFrame:
    """Points (patient_id, x = whole weeks since first infusion, total = that week's mean)."""
    merged = scores.merge(patients[["patient_id", "first_infusion_at"]], on="patient_id")
    merged = merged[merged["first_infusion_at"].notna()]
    if merged.empty:
        return pd.DataFrame(columns=["patient_id", "x", "total"])
    week = np.floor(_days(merged["administered_at"], merged["first_infusion_at"]) / 7).astype(int)
    merged = merged.assign(x=week.clip(lower=-1))
    merged = merged[merged["x"] <= max_week]
    return merged.groupby(["patient_id", "x"], as_index=False)["total"].mean()


def trajectory_by_infusion(scores: pd.DataFrame, infusion_times: pd.DataFrame, *, max_number: int = 12) -> pd.DataFrame:
    """Points (patient_id, x = number of infusions received before the score, total).

    ``infusion_times`` has patient_id and administered_at. x = 0 is before the first infusion.
    """
    if scores.empty:
        return pd.DataFrame(columns=["patient_id", "x", "total"])
    out = []
    grouped = dict(tuple(infusion_times.groupby("patient_id")["administered_at"]))
    for pid, group in scores.groupby("patient_id"):
        times = np.sort(grouped.get(pid, pd.Series(dtype=str)).to_numpy())
        counts = np.searchsorted(times, group["administered_at"].to_numpy(), side="right")
        out.append(pd.DataFrame({"patient_id": pid, "x": counts, "total": group["total"].to_numpy()}))
    points = pd.concat(out, ignore_index=True)
    points = points[points["x"] <= max_number]
    return points.groupby(["patient_id", "x"], as_index=False)["total"].mean()


def relapse_times(patients: pd.DataFrame, *, as_of: str) -> pd.DataFrame:
    """Durability of response for the Kaplan-Meier curve: for each patient who responded,
    days from the first response to the first booster_review signal (event), or to the last
    check-in (censored). Reads the per-patient summary columns kept by the store."""
    responders = patients[patients["response_at"].notna()]
    end = responders["relapse_signal_at"].where(responders["relapse_signal_at"].notna(), responders["last_assessment_at"])
    end = end.fillna(as_of)
    days = _days(end, responders["response_at"]).clip(lower=0)
    return pd.DataFrame({
        "patient_id": responders["patient_id"],
        "days": days,
        "relapsed": responders["relapse_signal_at"].notna(),
    })


def boosters_per_patient_year(patients: pd.DataFrame, *, as_of: str) -> tuple[int, float]:
    """(boosters given, patient-years followed): follow-up runs from the first infusion to the
    last check-in (or ``as_of`` when there is none), for patients who started a course."""
    started = patients[patients["first_infusion_at"].notna()]
    end = started["last_assessment_at"].fillna(as_of)
    years = float(_days(end, started["first_infusion_at"]).clip(lower=0).sum()) / 365.25
    return int(started["n_boosters"].fillna(0).sum()), years


def talking_therapies_rates(paired: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """NHS Talking Therapies outcomes with their denominators [S48][S48a][S48b][S48e], from
    each patient's first (baseline) and latest PHQ-9 / GAD-7 in ``paired`` (summaries rows:
    patient_id, instrument, baseline_total, latest_total). Finished course = at least two
    treatment appointments (here: infusions) [S48b]."""
    from progress import talking_therapies as tt

    finished = set(patients.loc[patients["n_infusions"].fillna(0) >= 2, "patient_id"])
    rows = paired[
        paired["patient_id"].isin(finished) & paired["instrument"].isin(tt.MEASURES) & paired["baseline_total"].notna()
    ]
    first: dict[str, dict[str, float]] = {}
    last: dict[str, dict[str, float]] = {}
    for pid, inst, base, latest in zip(rows["patient_id"], rows["instrument"], rows["baseline_total"], rows["latest_total"], strict=True):
        first.setdefault(pid, {})[inst] = base
        last.setdefault(pid, {})[inst] = latest
    outcomes = [tt.paired_outcome(first[pid], last[pid]) for pid in first]
    cases = [o for o in outcomes if o.case_at_start]
    return pd.DataFrame([
        ("Recovery (case at start, not a case now)", sum(bool(o.recovered) for o in cases), len(cases)),
        ("Reliable recovery", sum(bool(o.reliable_recovery) for o in cases), len(cases)),
        ("Reliable improvement", sum(o.reliable_improvement for o in outcomes), len(outcomes)),
        ("Reliable deterioration", sum(o.reliable_deterioration for o in outcomes), len(outcomes)),
    ], columns=["label", "numerator", "denominator"])


# -- per-patient points, kept by the store so cohort views aggregate instead of scanning ----

AXES = ("week", "infusion")
MAX_WEEK = 26
MAX_INFUSION = 12


def _day_offset(later: str, earlier: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds() / 86400


def patient_points(
    series: Sequence[tuple[str, float]],
    first_infusion_at: str | None,
    last_induction_at: str | None,
    infusion_times: Sequence[str],
) -> tuple[dict[str, float], dict[str, dict[int, float]]]:
    """One patient's contribution to the cohort views, from a time-ordered series of
    ``(administered_at, total)``: the score at each :data:`WINDOWS` time point (nearest the
    target day inside the window, the earlier on a tie) and the per-x mean for each axis of
    :data:`AXES`. The same rules as :func:`outcome_at`, :func:`trajectory_by_week` and
    :func:`trajectory_by_infusion`, one patient at a time, so the store can keep them on write.
    """
    instants = [datetime.fromisoformat(at) for at, _ in series]  # parsed once
    anchors = {
        name: datetime.fromisoformat(at) if at is not None else None
        for name, at in (("first_infusion", first_infusion_at), ("last_induction", last_induction_at))
    }
    at_window: dict[str, float] = {}
    for window in WINDOWS:
        anchor = anchors[window.anchor]
        if anchor is None:
            continue
        best: tuple[float, float] | None = None
        for instant, (_, total) in zip(instants, series, strict=True):
            day = (instant - anchor).total_seconds() / 86400
            if window.start <= day <= window.end:
                dist = abs(day - window.target)
                if best is None or dist < best[0]:
                    best = (dist, total)
        if best is not None:
            at_window[window.label] = best[1]

    sums: dict[str, dict[int, list[float]]] = {axis: {} for axis in AXES}
    times = sorted(infusion_times)
    first = anchors["first_infusion"]
    for instant, (at, total) in zip(instants, series, strict=True):
        if first is not None:
            week = max(-1, math.floor((instant - first).total_seconds() / 86400 / 7))
            if week <= MAX_WEEK:
                sums["week"].setdefault(week, []).append(total)
        number = bisect.bisect_right(times, at)
        if number <= MAX_INFUSION:
            sums["infusion"].setdefault(number, []).append(total)
    means = {axis: {x: sum(v) / len(v) for x, v in sorted(xs.items())} for axis, xs in sums.items()}
    return at_window, means


def rates_from_counts(instrument: Instrument, counts: pd.DataFrame) -> pd.DataFrame:
    """:func:`rates` from the store's aggregate (time_point, baseline_total, total, n): the
    same rows, numerators and denominators, without any patient-level data."""
    rows = []
    for window in WINDOWS:
        here = counts[counts["time_point"] == window.label]
        pairs = list(zip(here["baseline_total"], here["total"], here["n"], strict=True))
        if instrument.outcomes.response_reduction is not None:
            responders = sum(int(n) for b, v, n in pairs if (b - v) / b >= instrument.outcomes.response_reduction)
            rows.append({"label": f"Response · {window.label}", "numerator": responders, "denominator": int(sum(n for *_, n in pairs))})
        if instrument.outcomes.remission_below is not None:
            eligible = [(v, int(n)) for b, v, n in pairs if not is_remission(instrument, b)]
            remitted = sum(n for v, n in eligible if is_remission(instrument, v))
            rows.append({"label": f"Remission · {window.label}", "numerator": remitted, "denominator": sum(n for _, n in eligible)})
    return pd.DataFrame(rows, columns=["label", "numerator", "denominator"])


def summary_from_histogram(hist: pd.DataFrame, *, min_n: int = 3) -> pd.DataFrame:
    """Per x: n, median, q25, q75 and mean from a histogram (x, total, n) of patient totals:
    exactly what ``charts.cohort_summary`` gives from the points (quartiles by linear
    interpolation between order statistics, Hyndman-Fan type 7), in memory bounded by the
    number of distinct values rather than of patients."""
    cols = ["x", "n", "median", "q25", "q75", "mean"]
    out = []
    for x, group in hist.groupby("x", sort=True):
        values = group.sort_values("total")
        totals, counts = values["total"].tolist(), [int(c) for c in values["n"]]
        n = sum(counts)
        if n < min_n:
            continue
        ends = list(itertools.accumulate(counts))

        def order_stat(k: int, totals=totals, ends=ends) -> float:  # k-th smallest, 0-based
            return totals[bisect.bisect_right(ends, k)]

        def quantile(q: float, n=n, order_stat=order_stat) -> float:
            pos = q * (n - 1)
            lo = math.floor(pos)
            a = order_stat(lo)
            return a if lo + 1 >= n else a + (order_stat(lo + 1) - a) * (pos - lo)

        mean = sum(t * c for t, c in zip(totals, counts, strict=True)) / n
        out.append((int(x), n, quantile(0.5), quantile(0.25), quantile(0.75), mean))
    return pd.DataFrame(out, columns=cols)
