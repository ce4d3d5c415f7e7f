"""Signals: review prompts for a clinician, each with its reason in plain words.

Kinds:

- ``safety``: every alert (PHQ-9 item 9 > 0, vitals, serious side effects) is also a signal.
- ``booster_review``: loss of response after response or remission (possible relapse),
  raised once per episode and re-armed after recovery or a booster infusion.
- ``not_on_track``: during induction, a course behind the expected trajectory.
- ``deterioration``: reliable deterioration from baseline at any time.

Everything here is pure: a patient's history goes in, signals come out, evaluated in time
order as if after each assessment, so the same function serves the save path (the store
keeps the result beside the patient's summary) and the ``python -m progress signals``
replay. Every number comes from :mod:`progress.signal_rules`. Wording is a prompt for review
("review suggested"), never a diagnosis or dosing advice.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache

from progress import instruments
from progress.signal_rules import (
    CONFIRMED_RELAPSE,
    CUSUM,
    DEFAULT_RULES,
    EWMA,
    MONITORED,
    RELAPSE_RULE,
    SUSTAIN_BASELINE,
    Rules,
    Thresholds,
    thresholds,
)

SAFETY = "safety"
BOOSTER_REVIEW = "booster_review"
NOT_ON_TRACK = "not_on_track"
DETERIORATION = "deterioration"
KINDS = (SAFETY, BOOSTER_REVIEW, NOT_ON_TRACK, DETERIORATION)
# How each kind reads on a page, most pressing first after safety.
TITLES = {
    SAFETY: "Safety alert",
    BOOSTER_REVIEW: "Booster review suggested",
    DETERIORATION: "Reliable deterioration",
    NOT_ON_TRACK: "Not on track",
}


@dataclass(frozen=True)
class Point:
    """One assessment total: stored ISO time, total, and the assessment id when known."""

    at: str
    total: float
    assessment_id: int | None = None


@dataclass(frozen=True)
class Infusion:
    at: str
    phase: str  # induction | maintenance | booster


@dataclass(frozen=True)
class Alert:
    """An alert as stored (the store's alerts table), turned into a ``safety`` signal."""

    at: str
    kind: str
    severity: str
    reason: str
    status: str = "open"
    assessment_id: int | None = None


@dataclass(frozen=True)
class History:
    """Everything the rules read about one patient, each list in time order."""

    patient_id: str
    series: dict[str, list[Point]]
    infusions: list[Infusion] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


@dataclass(frozen=True)
class Signal:
    """One review prompt. ``at`` is the time of the assessment that raised it; ``points``
    are the times of the scores that raised it (marked on the chart); ``active`` is False
    once the episode ended (recovery, a booster, or an alert closed)."""

    kind: str
    patient_id: str
    instrument: str
    at: str
    severity: str
    reason: str
    detector: str
    points: tuple[str, ...] = ()
    active: bool = True

    def as_json(self) -> dict:
        return {
            "patient_id": self.patient_id,
            "instrument": self.instrument,
            "kind": self.kind,
            "at": self.at[:10],
            "at_time": self.at,
            "severity": self.severity,
            "detector": self.detector,
            "reason": self.reason,
            "points": list(self.points),
            "active": self.active,
        }


# -- helpers ------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _day(at: str) -> float:
    """Stored ISO time to fractional days since the epoch (cached: the same times are
    compared many times in one replay)."""
    return datetime.fromisoformat(at).timestamp() / 86400.0


def _median(xs: Sequence[float]) -> float:
    """Median of an already sorted sequence."""
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def _num(x: float) -> str:
    """Scores and thresholds as a clinician writes them: 13, 10.5, 1.75."""
    return f"{round(float(x), 2):g}"


def _name(instrument_id: str) -> str:
    return instruments.get(instrument_id).short_name


def _baseline(points: Sequence[Point], first_infusion: str | None) -> Point | None:
    """Last score at or before the first infusion; without infusions, the first score."""
    if not points:
        return None
    if first_infusion is None:
        return points[0]
    before = [p for p in points if p.at <= first_infusion]
    return before[-1] if before else None


def _induction_end(infusions: Sequence[Infusion], at: str, rules: Rules) -> str | None:
    """When induction ended, as known at ``at`` (no look-ahead): the first non-induction
    infusion, or the last induction infusion once ``induction_gap_days`` have passed."""
    last_induction = None
    for inf in infusions:
        if inf.at > at:
            break
        if inf.phase != "induction":
            return last_induction or inf.at
        last_induction = inf.at
    if last_induction is not None and _day(at) - _day(last_induction) >= rules.induction_gap_days:
        return last_induction
    return None


# -- the booster_review episode machine -------------------------------------------------


class _Chart:
    """The patient's own post-induction level and spread, with an EWMA and an upper CUSUM
    on it (section 2.6 [S55][S55b][S55c]).

    Self-starting: the level and spread come from the first ``phase1_min`` monitored scores,
    and later typical scores keep refining them (a rolling window of ``phase1_max``). A score
    joins the baseline only two check-ins later and only if it is not far above the level,
    so the start of a relapse is not absorbed into the level it is measured against. Because
    the level is itself estimated, deviations are scaled by the predictive SD
    sigma * sqrt(1 + 1/n), which keeps false alarms down while the baseline is young.
    """

    def __init__(self, th: Thresholds, rules: Rules):
        self.th, self.rules = th, rules
        self.base: list[float] = []
        self.pending: list[float] = []
        self.mu: float | None = None
        self.sigma = self.scale = 0.0
        self.z = self.s_hi = 0.0
        self.t = 0
        self.run: list[Point] = []  # the scores since the CUSUM last stood at zero

    def _estimate(self) -> None:
        """Level = median of the baseline scores (one bad week does not lift it); spread =
        their SD without points far above the median, pooled with a prior (the SEM inflated
        for week-to-week change, ``sigma_prior_weight`` pseudo-scores) and never below the
        SEM [S48] (section 2.2 derived SEM)."""
        r = self.rules
        prior = self.th.sem * r.sigma_prior_sem_multiple
        ordered = sorted(self.base)
        med = _median(ordered)
        xs = ordered[: bisect_right(ordered, med + 2 * prior)]
        mean = sum(xs) / len(xs)
        ss = sum((x - mean) ** 2 for x in xs)
        w = r.sigma_prior_weight
        self.mu = med
        self.sigma = max(self.th.sem, math.sqrt((w * prior**2 + ss) / (w + len(xs) - 1)))
        self.scale = self.sigma * math.sqrt(1 + 1 / len(self.base))

    def update(self, p: Point) -> tuple[bool, bool]:
        """Feed one score; returns (EWMA above its upper limit, CUSUM above h)."""
        r, x = self.rules, p.total
        if self.mu is None:
            self.base.append(x)
            if len(self.base) >= r.phase1_min:
                self._estimate()
                self.z = self.mu
            return False, False
        self.t += 1
        lam = r.ewma_lambda
        self.z = lam * x + (1 - lam) * self.z
        sz = self.scale * math.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * self.t)))
        ewma_hit = self.z > self.mu + r.ewma_l * sz
        step = (x - self.mu) / self.scale
        if r.cusum_cap is not None:  # robust CUSUM: one bad week adds at most the cap
            step = min(step, r.cusum_cap)
        self.s_hi = max(0.0, self.s_hi + step - r.cusum_k)
        self.run = [*self.run, p] if self.s_hi > 0 else []
        cusum_hit = self.s_hi > r.cusum_h and x >= self.mu + self.scale
        self.pending.append(x)
        if len(self.pending) > 2:
            y = self.pending.pop(0)
            if y <= self.mu + 2 * self.scale:
                self.base.append(y)
                del self.base[: -r.phase1_max]
                self._estimate()
        return ewma_hit, cusum_hit

    def level_text(self) -> str:
        return f"{_num(self.mu)} (SD {self.scale:.1f})"


class _Episode:
    """booster_review for one instrument. Armed once the patient has responded (or remitted)
    after the first infusion and induction is over; raised once per episode; re-armed after
    two consecutive scores back in response or back at the patient's own level, or after a
    booster infusion (then the personal baseline starts again)."""

    def __init__(self, patient_id: str, th: Thresholds, baseline: Point | None, rules: Rules):
        self.pid, self.th, self.rules = patient_id, th, rules
        self.baseline = baseline
        self.responded = False
        self.raised: Signal | None = None
        self.recover_run = 0
        self.out: list[Signal] = []
        self._reset()

    def _reset(self) -> None:
        self.chart = _Chart(self.th, self.rules)
        self.window: list[Point] = []  # monitored points since (re-)arming

    def _in_response(self, x: float) -> bool:
        b = self.baseline.total if self.baseline else None
        remission = self.th.remission_below is not None and x < self.th.remission_below
        response = b is not None and b > 0 and (b - x) / b >= self.th.response_reduction
        return remission or response

    def _recovered(self, x: float) -> bool:
        chart = self.chart
        own = chart.mu is not None and x <= chart.mu + chart.scale
        return own or self._in_response(x)

    def booster(self) -> None:
        if self.raised is not None:
            self._close()
        self._reset()

    def _close(self) -> None:
        self.out[self.out.index(self.raised)] = replace(self.raised, active=False)
        self.raised = None
        self.recover_run = 0

    def feed(self, p: Point, monitoring: bool) -> None:
        if not self.responded:
            if self.baseline is None or p.at <= self.baseline.at or not self._in_response(p.total):
                return
            self.responded = True
        if not monitoring:
            return
        if self.raised is not None:
            self.recover_run = self.recover_run + 1 if self._recovered(p.total) else 0
            if self.recover_run >= 2:
                self._close()
                self._reset()
            return
        self.window.append(p)
        ewma_hit, cusum_hit = self.chart.update(p)
        hits = self._detect(p, ewma_hit, cusum_hit)
        for detector in self.rules.booster_detectors:
            if detector in hits:
                self.raised = self._signal(detector, hits[detector])
                self.out.append(self.raised)
                return

    def _pair(self, minimum: float, *, personal: bool = False) -> tuple[Point, Point] | None:
        """The last two monitored scores when both are >= ``minimum`` and their spacing fits:
        5-15 days (SUSTAIN-1 [S33]) for the trial-style rules, the wider personal spacing
        for the personal rules, so a missed week or an early check-in does not break it."""
        if len(self.window) < 2:
            return None
        a, b = self.window[-2], self.window[-1]
        gap = _day(b.at) - _day(a.at)
        r = self.rules
        lo, hi = (r.personal_min_gap_days, r.personal_max_gap_days) if personal else (r.min_gap_days, r.max_gap_days)
        return (a, b) if lo <= gap <= hi and a.total >= minimum and b.total >= minimum else None

    def _detect(self, p: Point, ewma_hit: bool, cusum_hit: bool) -> dict[str, tuple[Point, ...]]:
        """Which detectors fire at ``p``, each with the scores that made it fire."""
        th, r, chart, hits = self.th, self.rules, self.chart, {}
        pair = self._pair(th.caseness)
        if pair is not None:
            hits[SUSTAIN_BASELINE] = pair
            if chart.mu is not None and min(q.total for q in pair) >= chart.mu + th.reliable_change:
                hits[RELAPSE_RULE] = pair
        if chart.mu is None:
            return hits
        if ewma_hit:
            hits[EWMA] = (p,)
        if cusum_hit:
            hits[CUSUM] = tuple(chart.run)
        confirmed = self._pair(max(th.caseness, chart.mu + r.confirm_sigma * chart.scale), personal=True)
        if confirmed is not None:
            hits[CONFIRMED_RELAPSE] = confirmed
        return hits

    def _signal(self, detector: str, pts: tuple[Point, ...]) -> Signal:
        th, r, name, chart = self.th, self.rules, _name(self.th.instrument), self.chart
        scores = " and ".join(_num(q.total) for q in pts[-2:])
        days = f"{_day(pts[-1].at) - _day(pts[-2].at):.0f} days apart" if len(pts) > 1 else ""
        level = f"{name} rose from a post-induction level of {chart.level_text()}" if chart.mu is not None else ""
        if detector == RELAPSE_RULE:
            reason = (
                f"{level} to {scores} on two check-ins {days}; both at or above the caseness "
                f"cut-off of {_num(th.caseness)} [S48] and {_num(th.reliable_change)}+ points "
                f"above that level (reliable change [S48])"
            )
        elif detector == SUSTAIN_BASELINE:
            reason = (
                f"{name} {scores} on two check-ins {days}, both at or above the caseness cut-off "
                f"of {_num(th.caseness)} (SUSTAIN-style rule [S33])"
            )
        elif detector == CONFIRMED_RELAPSE:
            reason = (
                f"{level} to {scores} on two check-ins {days}; both at or above the caseness "
                f"cut-off of {_num(th.caseness)} and more than {_num(r.confirm_sigma)} SD above "
                f"this patient's own level"
            )
        elif detector == CUSUM:
            run = ", ".join(_num(q.total) for q in pts)
            reason = (
                f"{level}: the scores since {pts[0].at[:10]} ({run}) add up to a sustained rise "
                f"on this patient's own control chart (CUSUM above {_num(r.cusum_h)} [S55c])"
            )
        else:  # EWMA
            reason = (
                f"{level}: the recent trend (EWMA) with {name} {scores} on {pts[-1].at[:10]} is "
                f"above this patient's own control limit [S55b]"
            )
        reason += ". Possible loss of response: review suggested (booster review)."
        return Signal(
            kind=BOOSTER_REVIEW, patient_id=self.pid, instrument=th.instrument, at=pts[-1].at,
            severity="moderate", reason=reason, detector=detector,
            points=tuple(q.at for q in pts),
        )


# -- per-instrument evaluation ----------------------------------------------------------


def _off_track(name: str, th: Thresholds, base: Point, p: Point, k: int, rules: Rules) -> str | None:
    """The reason a score after ``k`` induction infusions is behind the expected trajectory,
    or None when it is not: the clinic's own reference where enough courses reached infusion
    ``k``, otherwise the published anchor plus the reliable-change value."""
    head = f"{name} {_num(p.total)} after {k} induction infusions (baseline {_num(base.total)})"
    ref = rules.trajectory.get(k)
    if ref is not None and ref[1] >= rules.trajectory_min_courses:
        expected = base.total * (1 - ref[0])
        if p.total <= expected:
            return None
        share = round(rules.trajectory_percentile * 100)
        return (
            f"{head} is above {_num(expected)}: {share} % of this clinic's courses ({ref[1]} reached "
            f"infusion {k}) had improved at least that much by now. Not on track: review suggested."
        )
    frac = rules.published_reduction_at_end * min(k, rules.published_end_infusion) / rules.published_end_infusion
    expected = base.total * (1 - frac)
    if p.total <= expected + th.reliable_change:
        return None
    return (
        f"{head} is more than {_num(th.reliable_change)} points above the {_num(expected)} expected "
        f"from published figures (about half of patients reach a 50 % reduction by infusion "
        f"{rules.published_end_infusion} [S38][S39]). Not on track: review suggested."
    )


class _Deterioration:
    """Reliable rise from baseline at any time [S48]: raised once, re-armed after two
    consecutive scores back below baseline + the reliable-change value."""

    def __init__(self, patient_id: str, th: Thresholds, base: Point | None):
        self.pid, self.th, self.base = patient_id, th, base
        self.open: Signal | None = None
        self.below = 0
        self.out: list[Signal] = []

    def feed(self, p: Point) -> None:
        base, th = self.base, self.th
        if base is None or p.at <= base.at:
            return
        rise = p.total - base.total
        if self.open is None:
            if rise >= th.reliable_change:
                self.open = Signal(
                    kind=DETERIORATION, patient_id=self.pid, instrument=th.instrument, at=p.at,
                    severity="moderate", detector="reliable_change",
                    reason=(
                        f"{_name(th.instrument)} {_num(p.total)} is {_num(rise)} points above the baseline "
                        f"of {_num(base.total)} ({base.at[:10]}), at least the reliable-change value of "
                        f"{_num(th.reliable_change)} [S48]: reliable deterioration, review suggested."
                    ),
                    points=(base.at, p.at),
                )
                self.out.append(self.open)
                self.below = 0
            return
        self.below = self.below + 1 if rise < th.reliable_change else 0
        if self.below >= 2:
            self.out[self.out.index(self.open)] = replace(self.open, active=False)
            self.open = None


def _evaluate_instrument(
    patient_id: str, instrument_id: str, points: list[Point], infusions: list[Infusion], rules: Rules
) -> list[Signal]:
    th = thresholds(instrument_id)
    first_inf = infusions[0].at if infusions else None
    base = _baseline(points, first_inf)
    episode = _Episode(patient_id, th, base, rules)
    deterioration = _Deterioration(patient_id, th, base)
    off_track: list[Signal] = []  # at most one per course, closed when induction ends
    boosters = [i.at for i in infusions if i.phase == "booster"]
    b_idx = 0
    for p in points:
        while b_idx < len(boosters) and boosters[b_idx] <= p.at:
            episode.booster()
            b_idx += 1
        deterioration.feed(p)
        ended = _induction_end(infusions, p.at, rules)
        if ended is not None and off_track and off_track[0].active:
            off_track[0] = replace(off_track[0], active=False)
        induction = first_inf is not None and ended is None and p.at > first_inf
        if induction and base is not None and not off_track and base.total >= th.caseness:
            k = sum(1 for i in infusions if i.phase == "induction" and i.at <= p.at)
            reason = _off_track(_name(instrument_id), th, base, p, k, rules) if k >= rules.not_on_track_from_infusion else None
            if reason is not None:
                off_track.append(Signal(
                    kind=NOT_ON_TRACK, patient_id=patient_id, instrument=instrument_id, at=p.at,
                    severity="low", detector="trajectory", reason=reason, points=(base.at, p.at),
                ))
        episode.feed(p, monitoring=ended is not None and p.at > ended)
    return deterioration.out + off_track + episode.out


def evaluate(history: History, rules: Rules = DEFAULT_RULES) -> list[Signal]:
    """Every signal the patient's history raises, in time order."""
    out: list[Signal] = []
    for a in history.alerts:
        out.append(Signal(
            kind=SAFETY, patient_id=history.patient_id,
            instrument="phq9" if a.kind == "safety" else a.kind, at=a.at,
            severity=a.severity, reason=a.reason, detector=f"alert:{a.kind}",
            active=a.status == "open" or a.status == "acknowledged",
        ))
    for instrument_id in MONITORED:
        pts = history.series.get(instrument_id)
        if pts:
            out.extend(_evaluate_instrument(history.patient_id, instrument_id, pts, history.infusions, rules))
    out.sort(key=lambda s: (s.at, KINDS.index(s.kind)))
    return out


def active(signals: Iterable[Signal]) -> list[Signal]:
    return [s for s in signals if s.active]


def response_and_relapse(history: History, found: Sequence[Signal], instrument_id: str = "phq9") -> tuple[str | None, str | None]:
    """When the patient first responded (>= 50 % below baseline, or in remission, after the
    first infusion) and the first booster_review after that: the durability of response,
    from response to possible relapse, for the cohort's Kaplan-Meier curve."""
    points = history.series.get(instrument_id) or []
    th = thresholds(instrument_id)
    first_inf = history.infusions[0].at if history.infusions else None
    base = _baseline(points, first_inf)
    if base is None or first_inf is None:
        return None, None
    response_at = None
    for p in points:
        if p.at <= first_inf:
            continue
        remission = th.remission_below is not None and p.total < th.remission_below
        if remission or (base.total > 0 and (base.total - p.total) / base.total >= th.response_reduction):
            response_at = p.at
            break
    if response_at is None:
        return None, None
    relapse = next(
        (s.at for s in found if s.kind == BOOSTER_REVIEW and s.instrument == instrument_id and s.at > response_at),
        None,
    )
    return response_at, relapse
