"""Cohort outcomes for clinic leads: rates with their denominators, and aligned trajectories.

Two layers. The functions on assessment-level frames (:func:`rates`, :func:`trajectory_by_week`,
:func:`talking_therapies_rates`, ...) state each definition plainly; they are the reference the
tests hold the fast path to. The fast path is what pages and reports use at any clinic size:
:func:`patient_points` (one patient's contribution, kept by the store on every write) and the
``view_*`` functions and :class:`CohortTotals` over the store's per-patient cohort rows.

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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


def points_horizon(first_infusion_at: str | None, last_induction_at: str | None, infusion_times: Sequence[str]) -> str:
    """The latest ``administered_at`` that can still change :func:`patient_points` (scores
    after it fall outside every window and axis); ``"9999"`` when any later score counts."""
    times = sorted(infusion_times)
    if len(times) <= MAX_INFUSION:
        return "9999"  # a score before the 13th infusion is on the infusion axis, however late
    ends = [times[MAX_INFUSION]]  # from the 13th infusion on, x > MAX_INFUSION
    days = max(w.end for w in WINDOWS if w.anchor == "first_infusion")
    days = max(days, (MAX_WEEK + 1) * 7)
    if first_infusion_at is not None:
        ends.append(_iso(datetime.fromisoformat(first_infusion_at) + timedelta(days=days + 1)))
    if last_induction_at is not None:
        late = max(w.end for w in WINDOWS if w.anchor == "last_induction")
        ends.append(_iso(datetime.fromisoformat(last_induction_at) + timedelta(days=late + 1)))
    return max(ends)


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- aggregates over the store's cohort view (one row per patient in view) ------------------

WINDOW_COLUMNS = ("end_of_induction", "month3", "month6")  # the store's names for WINDOWS
_WIDTH = {"week": MAX_WEEK + 2, "infusion": MAX_INFUSION + 1}  # weeks -1..26, infusions 0..12
_START = {"week": -1, "infusion": 0}


def pack_points(means: dict[int, float], axis: str) -> bytes:
    """Per-x means as little-endian float64 (NaN where the patient has none), the store's form."""
    start = _START[axis]
    values = np.full(_WIDTH[axis], np.nan, dtype="<f8")
    for x, v in means.items():
        values[x - start] = v
    return values.tobytes()


@dataclass(frozen=True)
class CohortView:
    """The patients in view as the store reads them (``store.cohort_view``/``cohort_chunks``):
    ``cols`` holds one numpy array per numeric column (NaN for NULL; plus ``prompt_<kind>`` and
    ``ind_<indication>`` 0/1 flags), ``points`` the per-x means (one row per patient, NaN where
    none), ``unfollowed`` the first infusions of the view's patients with no check-in yet (on
    the first chunk only; a subset has none: it is only read for the follow-up time).
    Plain arrays, not a DataFrame: every figure is a handful of vector operations per chunk."""

    cols: dict[str, np.ndarray]
    points: np.ndarray
    unfollowed: tuple[str, ...]
    axis: str

    @classmethod
    def from_arrays(cls, numeric: np.ndarray, names: Sequence[str], points: bytes,
                    unfollowed: tuple[str, ...], axis: str,
                    flags: dict[str, tuple[str, Sequence[str]]] | None = None) -> CohortView:
        """From the store's two reads: a (patients x columns) float array and the patients'
        packed points, concatenated in the same order (see :func:`pack_points`). ``flags``
        names bitmask columns to unpack: ``{column: (prefix, names of bits 0, 1, ...)}``."""
        matrix = np.frombuffer(points, dtype="<f8").reshape(len(numeric), _WIDTH[axis])
        cols = {name: numeric[:, i] for i, name in enumerate(names)}
        for column, (prefix, bits) in (flags or {}).items():
            mask = np.nan_to_num(cols.pop(column)).astype(np.int64)
            for i, bit in enumerate(bits):
                cols[f"{prefix}{bit}"] = ((mask >> i) & 1).astype(float)
        return cls(cols, matrix, unfollowed, axis)

    def __len__(self) -> int:
        return len(self.points)

    def subset(self, mask: np.ndarray) -> CohortView:
        keep = np.asarray(mask, dtype=bool)
        return CohortView({k: v[keep] for k, v in self.cols.items()}, self.points[keep], (), self.axis)


def with_indication(view: CohortView, indication: str) -> CohortView:
    return view.subset(view.cols[f"ind_{indication}"] == 1)


def _rate_rows(instrument: Instrument, view: CohortView) -> list[tuple[str, int, int]]:
    c = view.cols
    base = c["baseline"]
    with np.errstate(invalid="ignore"):
        has_base = (c["started"] == 1) & (base > 0)
    bound = instrument.outcomes.remission_below
    rows = []
    for window, column in zip(WINDOWS, WINDOW_COLUMNS, strict=True):
        value = c[column]
        paired = has_base & ~np.isnan(value)
        b, v = base[paired], value[paired]
        if instrument.outcomes.response_reduction is not None:
            rows.append((f"Response · {window.label}", int(np.sum((b - v) / b >= instrument.outcomes.response_reduction)), int(paired.sum())))
        if bound is not None:
            eligible = ~(b < bound)
            rows.append((f"Remission · {window.label}", int(np.sum(v[eligible] < bound)), int(eligible.sum())))
    return rows


def _table(rows: list[tuple[str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["label", "numerator", "denominator"])


def view_rates(instrument: Instrument, view: CohortView) -> pd.DataFrame:
    """:func:`rates` from the store's cohort view: the same labels, numerators and
    denominators (baseline above 0, a score in the window; remission among patients not
    already below the bound at baseline)."""
    return _table(_rate_rows(instrument, view))


def _histograms(points: np.ndarray) -> list[dict[float, int]]:
    out = []
    for j in range(points.shape[1]):
        col = points[:, j]
        values, counts = np.unique(col[~np.isnan(col)], return_counts=True)
        out.append(dict(zip(values.tolist(), counts.tolist(), strict=True)))
    return out


def _summary(histograms: list[dict[float, int]], axis: str, min_n: int) -> pd.DataFrame:
    out = []
    for j, hist in enumerate(histograms):
        n = sum(hist.values())
        if n < min_n:
            continue
        values = sorted(hist)
        counts = [hist[v] for v in values]
        q25, median, q75 = quantiles_from_histogram(values, counts, (0.25, 0.5, 0.75))
        mean = sum(v * c for v, c in zip(values, counts, strict=True)) / n
        out.append((_START[axis] + j, n, median, q25, q75, mean))
    return pd.DataFrame(out, columns=["x", "n", "median", "q25", "q75", "mean"])


def view_trajectory(view: CohortView, *, min_n: int = 3) -> pd.DataFrame:
    """Per x: n, median, q25, q75, mean of the per-patient means on the view's axis, as
    ``charts.cohort_summary`` computes them from the points (quartiles by linear
    interpolation, Hyndman-Fan type 7)."""
    return _summary(_histograms(view.points), view.axis, min_n)


def view_overview(view: CohortView) -> dict:
    """Headline counts: patients, started a course, active (a check-in since the store's
    ``active_since``), completed induction (>= 4), boosters, open alerts, open prompts by kind."""
    c = view.cols
    return {
        "patients": len(view),
        "started": int(c["started"].sum()),
        "active": int(c["active"].sum()),
        "completed_induction": int(np.sum(np.nan_to_num(c["n_induction"]) >= 4)),
        "boosters": int(np.nansum(c["n_boosters"])),
        "open_alerts": int(np.nansum(c["open_alerts"])),
        "open_prompts": {k.removeprefix("prompt_"): int(v.sum()) for k, v in c.items() if k.startswith("prompt_")},
    }


def _tt_rows(view: CohortView) -> list[tuple[str, int, int]]:
    c = view.cols
    done = ~np.isnan(c["tt_case"])
    cases = done & (c["tt_case"] == 1)
    return [
        ("Recovery (case at start, not a case now)", int(np.nansum(c["tt_recovered"][cases])), int(cases.sum())),
        ("Reliable recovery", int(np.nansum(c["tt_reliable_recovery"][cases])), int(cases.sum())),
        ("Reliable improvement", int(np.nansum(c["tt_improved"][done])), int(done.sum())),
        ("Reliable deterioration", int(np.nansum(c["tt_deteriorated"][done])), int(done.sum())),
    ]


def view_talking_therapies(view: CohortView) -> pd.DataFrame:
    """:func:`talking_therapies_rates` from the per-patient outcome kept by the store."""
    return _table(_tt_rows(view))


def view_durability(view: CohortView) -> pd.DataFrame:
    """(days, relapsed) per PHQ-9 responder in view, whole days from the first response to the
    first booster-review prompt or the last check-in, for the Kaplan-Meier curve."""
    c = view.cols
    responders = ~np.isnan(c["response_days"])
    return pd.DataFrame({"days": c["response_days"][responders], "relapsed": c["relapsed"][responders] == 1})


def view_follow_up(view: CohortView, *, as_of: str) -> tuple[int, float]:
    """(boosters given, patient-years followed) like :func:`boosters_per_patient_year`."""
    c = view.cols
    started = c["started"] == 1
    days = float(np.nansum(c["follow_days"][started]))
    for since in view.unfollowed:  # no check-in yet: followed until now
        days += max(0.0, _day_offset(as_of, since))
    return int(np.nansum(c["n_boosters"][started])), days / 365.25


def quantiles_from_histogram(values: Sequence[float], counts: Sequence[int], qs: Sequence[float]) -> list[float]:
    """Linear-interpolation quantiles (Hyndman-Fan type 7, numpy's default) of the sample in
    which ``values[i]`` (ascending) occurs ``counts[i]`` times, without expanding it."""
    ends = list(itertools.accumulate(counts))
    n = ends[-1]

    def order_stat(k: int) -> float:  # the k-th smallest, 0-based
        return values[bisect.bisect_right(ends, k)]

    out = []
    for q in qs:
        pos = q * (n - 1)
        lo = math.floor(pos)
        a = order_stat(lo)
        out.append(a if lo + 1 >= n else a + (order_stat(lo + 1) - a) * (pos - lo))
    return out


class CohortTotals:
    """Every cohort figure, accumulated chunk by chunk from ``store.cohort_chunks``: counts are
    summed, and what needs the whole distribution (trajectory quartiles, the durability curve)
    is kept as counts per distinct value, so memory is bounded by the values a measure can take,
    not by the number of patients."""

    def __init__(self, instrument: Instrument, axis: str, indications: Sequence[str], *, as_of: str) -> None:
        self.instrument, self.axis, self.as_of = instrument, axis, as_of
        self.indications = tuple(indications)
        self.overview: dict = {}
        self._rates: list[tuple[str, int, int]] = []
        self._tt: list[tuple[str, int, int]] = []
        self.by_indication: dict[str, dict] = {
            ind: {"patients": 0, "boosters": 0, "open_alerts": 0, "_rates": []} for ind in self.indications
        }
        self.boosters, self.years = 0, 0.0
        self.km: dict[tuple[float, bool], int] = {}
        self.points: list[dict[float, int]] = [{} for _ in range(_WIDTH[axis])]

    @staticmethod
    def _sum(acc: list[tuple[str, int, int]], rows: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
        return rows if not acc else [(label, a + n, b + d) for (label, a, b), (_, n, d) in zip(acc, rows, strict=True)]

    def add(self, view: CohortView) -> CohortTotals:
        for k, v in view_overview(view).items():
            if k == "open_prompts":
                prompts = self.overview.setdefault(k, {})
                for kind, n in v.items():
                    prompts[kind] = prompts.get(kind, 0) + n
            else:
                self.overview[k] = self.overview.get(k, 0) + v
        self._rates = self._sum(self._rates, _rate_rows(self.instrument, view))
        self._tt = self._sum(self._tt, _tt_rows(view))
        for ind in self.indications:
            sub = with_indication(view, ind)
            row = self.by_indication[ind]
            if len(sub):
                so = view_overview(sub)
                row["patients"] += so["patients"]
                row["boosters"] += so["boosters"]
                row["open_alerts"] += so["open_alerts"]
                row["_rates"] = self._sum(row["_rates"], _rate_rows(self.instrument, sub))
        given, years = view_follow_up(view, as_of=self.as_of)
        self.boosters += given
        self.years += years
        c = view.cols
        responders = ~np.isnan(c["response_days"])
        for days, relapsed in zip(c["response_days"][responders].tolist(), (c["relapsed"][responders] == 1).tolist(), strict=True):
            self.km[(days, relapsed)] = self.km.get((days, relapsed), 0) + 1
        for hist, chunk in zip(self.points, _histograms(view.points), strict=True):
            for v, n in chunk.items():
                hist[v] = hist.get(v, 0) + n
        return self

    @property
    def rates(self) -> pd.DataFrame:
        return _table(self._rates)

    @property
    def tt(self) -> pd.DataFrame:
        return _table(self._tt)

    def indication_rates(self, indication: str) -> pd.DataFrame:
        return _table(self.by_indication[indication]["_rates"])

    def trajectory(self, *, min_n: int = 3) -> pd.DataFrame:
        """As :func:`view_trajectory` over every chunk added."""
        return _summary(self.points, self.axis, min_n)

    def durability(self) -> tuple[list[float], list[bool], list[int]]:
        """(days, relapsed, patients) per distinct pair, for ``survival.kaplan_meier``."""
        keys = sorted(self.km)
        return [k[0] for k in keys], [k[1] for k in keys], [self.km[k] for k in keys]


def totals(chunks: Iterable[CohortView], instrument: Instrument, axis: str, indications: Sequence[str], *, as_of: str) -> CohortTotals:
    """Accumulate every chunk of the store's cohort view into a :class:`CohortTotals`."""
    out = CohortTotals(instrument, axis, indications, as_of=as_of)
    for chunk in chunks:
        out.add(chunk)
    return out
