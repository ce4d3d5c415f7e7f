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

from dataclasses import dataclass

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
