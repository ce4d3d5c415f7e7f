"""A synthetic ketamine clinic, calibrated to published real-world outcome figures.

``build_demo(db)`` fills an empty store with therapists, a clinical lead, an admin, and a few
hundred pseudonymous patients (``KC-0001`` ...) each with a course of treatment: intake
questionnaires, an induction series, weekly check-ins, maintenance and booster sessions,
same-day before/after ratings, side effects and safety alerts. Nothing here is real data.

How the numbers are chosen (clinical-reference.md sections 2.1, 2.4, 2.5, 3.1, 3.2):

- About 9 in 10 patients have depression, alone or with anxiety, PTSD or chronic pain; routes
  are mostly IV, some IM, esketamine nasal spray and sublingual. Intake dates spread over the
  12 months before the anchor. Everyone answers PHQ-9 at intake (a few days before the first
  session) and weekly ("weekly" during induction, "maintenance" after, "booster" around a
  booster); GAD-7 weekly with anxiety, PEG weekly with chronic pain, PCL-5 at intake and every
  4 weeks with PTSD. About 7 % stop after the first session (no data after it); weekly
  check-ins are sometimes missed, more often as months pass.

- Induction is 4-8 sessions over 7-28 days, mostly 6 IV infusions of 0.5 mg/kg 2-3 times a
  week [S35][S36][S38][S39]; esketamine nasal spray is 56 mg on day 1 then 56 or 84 mg twice
  weekly for 4 weeks, then weekly or every 2 weeks [S30e].
- Each patient follows a latent PHQ-9 severity. Baseline is mostly 12-24. The level reached
  after induction is drawn from outcome classes tuned so that, among patients who complete
  induction and have a PHQ-9 14-31 days after the last induction session, about 54 % respond
  (>= 50 % reduction) and about 29 % remit (PHQ-9 < 5) [S38]; some worsen [S38]. Improvement
  comes over the first sessions (median 3 to response [S36]).
- Responders without maintenance keep their response with probability about 0.8 at 4 weeks and
  0.6 at 8 weeks [S38]; maintenance sessions halve that relapse hazard (illustrative). A
  relapse that shows on a weekly PHQ-9 (>= 10 and >= 6 above the post-induction level, the
  DESIGN NOTE heuristic of section 2.4) is followed within days by one or two boosters.
- GAD-7 falls about 30 % on average, loosely tied to the PHQ-9 course [S39]; PCL-5 and pain
  follow the PHQ-9 course more weakly (illustrative).
- Item answers are drawn so that they add up to the total, with per-patient item profiles, so
  item heatmaps look plausible. PHQ-9 item 9 is drawn separately: more often positive at
  baseline and at higher severity, falling with response [S38][S39].
- Momentary mood, anxiety (and pain) ratings are taken before and about 2 hours after each
  session; the after rating is usually lower (acute effect, largest at the first session [S35]).
- Side-effect rates per session are illustrative, loosely following [S30c] and [S46].

- ``years`` > 1 (the scale benchmark's clinic group, followed for years): intake dates spread
  over that many years before the anchor, most in the early months (density rising as the cube
  of the time before the anchor); 90 % of responders and partial responders stay in long-term
  care, checking in up to the anchor, and three in four responders are on maintenance; weekly
  check-ins are missed less (up to 25 %). The demo patient starts ``years`` years and 6 days
  before the anchor, so it has ``years`` full years of weekly check-ins. Illustrative, not
  calibrated; ``years=1`` (the default) is the calibrated clinic above, unchanged.

Deterministic: no clock is read; the same ``(patients, seed, anchor, years)`` give identical rows
(password hashes aside: argon2 salts them). Every timestamp is earlier than 00:00 UTC on the
anchor date, so a view "as of" the anchor sees the whole clinic.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlite_utils

from progress import demo_course, store
from progress.auth import hash_password
from progress.errors import ValidationError
from progress.model import Score
from progress.scoring import score

DEFAULT_ANCHOR = date(2026, 11, 16)
DEMO_PASSWORD = "ketamine-demo"
DEMO_USERNAMES = ("patient", "therapist", "lead", "admin")

# Published anchors this generator is calibrated to (clinical-reference.md section 2.5).
TARGET_RESPONSE = 0.536  # PHQ-9 >= 50 % reduction, 14-31 days post-induction [S38]
TARGET_REMISSION = 0.289  # PHQ-9 < 5, same window [S38]
TARGET_SUSTAINED = ((28, 0.8), (56, 0.6))  # responders still responding, no maintenance [S38]
TARGET_GAD7_REDUCTION = 0.30  # [S39]

PATIENTS_PER_THERAPIST = 40
SIDE_EFFECTS = (
    "dissociation",
    "nausea",
    "dizziness",
    "headache",
    "raised blood pressure",
    "drowsiness",
    "blurred vision",
)

# Per-session side-effect probabilities by route (illustrative; dissociation and sedation are
# the most common, more so with esketamine [S30c]; BP rises are occasional [S46]).
_SIDE_EFFECT_RATES: dict[str, tuple[float, ...]] = {
    "IV": (0.40, 0.10, 0.15, 0.08, 0.06, 0.25, 0.08),
    "IM": (0.45, 0.14, 0.18, 0.08, 0.06, 0.28, 0.08),
    "intranasal": (0.55, 0.20, 0.22, 0.10, 0.10, 0.45, 0.06),
    "oral-sublingual": (0.20, 0.08, 0.10, 0.06, 0.03, 0.30, 0.04),
}

_INDICATION_MIX = (
    (("depression",), 0.45),
    (("depression", "anxiety"), 0.24),
    (("depression", "PTSD"), 0.09),
    (("depression", "chronic pain"), 0.08),
    (("depression", "anxiety", "PTSD"), 0.04),
    (("anxiety",), 0.03),
    (("PTSD",), 0.03),
    (("chronic pain",), 0.04),
)
_ROUTE_MIX = (("IV", 0.68), ("IM", 0.12), ("intranasal", 0.13), ("oral-sublingual", 0.07))

# Outcome classes at 14-31 days post-induction: (name, probability), dealt in shuffled blocks
# of 200 patients. Tuned by simulating 3 x 5,000 patients: measurement noise and missed weeks
# move some patients across the cut-offs, and the observed rates (first PHQ-9 in the window)
# come out at 53.4 % response and 29.0 % remission against [S38]'s 53.6 % and 28.9 %.
_OUTCOMES = (("remission", 0.28), ("response", 0.275), ("partial", 0.20), ("none", 0.245))

# With ``years`` > 1 (a clinic group followed for years, the scale benchmark's picture), this
# share of responders and partial responders stays in long-term care and checks in weekly up to
# the anchor; the rest leave after 2 months to ``years`` + 2 months (illustrative).
_LONG_TERM_SHARE = 0.9

# Relapse onset after the outcome window for responders: cumulative probability by days.
# 0.2 by 4 weeks and 0.4 by 8 weeks gives about 80 % / 60 % sustained response [S38].
_RELAPSE_CUMULATIVE = ((28, 0.20), (56, 0.40), (112, 0.60))

# Item profiles: relative weight of each scored item (fatigue and sleep run highest on PHQ-9).
_PHQ9_WEIGHTS = (1.1, 1.15, 1.25, 1.3, 0.95, 1.0, 1.0, 0.6)  # items 1-8; item 9 is separate
_GAD7_WEIGHTS = (1.1, 1.0, 1.15, 1.05, 0.7, 1.0, 0.8)
_PCL5_WEIGHTS = (
    1.15, 0.9, 0.7, 1.15, 1.0, 1.1, 1.05, 0.55, 1.0, 0.9,
    1.15, 1.0, 1.05, 1.0, 0.9, 0.5, 1.1, 1.0, 1.1, 1.2,
)
_PEG_WEIGHTS = (1.1, 0.95, 0.95)

_FIRST_NAMES = (
    "Amara", "Daniel", "Priya", "Tomás", "Grace", "Kenji", "Leila", "Marcus", "Sofia", "Owen",
    "Nadia", "Elijah", "Hannah", "Rafael", "Mei", "Isaac", "Fatima", "Lucas", "Ingrid", "Samuel",
    "Chloe", "Kwame", "Anya", "Diego", "Ruth", "Jonah", "Yara", "Felix", "Naomi", "Arjun",
)
_SURNAMES = (
    "Okafor", "Reyes", "Lindqvist", "Nakamura", "Haddad", "Brennan", "Castillo", "Mensah",
    "Novak", "Ferreira", "Kowalski", "Adeyemi", "Sato", "Bianchi", "Moreau", "Khan", "Larsen",
    "Oduya", "Park", "Vasquez", "Whitfield", "Abara", "Keller", "Morales", "Ivanova", "Quinn",
    "Tanaka", "Osei", "Dubois", "Hartmann",
)


@dataclass(frozen=True)
class DemoReport:
    """What :func:`build_demo` wrote (counts only: no timings, so it is deterministic).

    ``users`` counts every account (therapists, lead, admin, patient); ``dropouts`` the
    patients who stopped after their first session; ``open_alerts`` the safety alerts left
    unacknowledged (those raised in the last 7 days before the anchor). ``long_patient_id``
    names the patient whose weekly check-ins span the whole ``years`` (the demo patient when
    ``years`` > 1; with one year it starts 200 days before the anchor).
    """

    patients: int
    therapists: int
    users: int
    courses: int
    infusions: int
    assessments: int
    alerts: int
    open_alerts: int
    dropouts: int
    demo_patient_id: str
    seed: int
    anchor: date
    years: int = 1
    long_patient_id: str = ""  # the patient with ``years`` full years of weekly check-ins


# -- time ---------------------------------------------------------------------------------


class _Clock:
    """Day numbers relative to the anchor (-1 is the day before) to stored UTC text."""

    def __init__(self, anchor: date):
        self.anchor = anchor
        self._days: dict[int, str] = {}

    def ts(self, day: int, minute: int) -> str:
        text = self._days.get(day)
        if text is None:
            text = (self.anchor + timedelta(days=day)).isoformat()
            self._days[day] = text
        return f"{text}T{minute // 60:02d}:{minute % 60:02d}:00Z"


# -- item answers -------------------------------------------------------------------------


def _spread(total: int, weights: list[float], cap: int, rng: random.Random) -> list[int]:
    """Split ``total`` into len(weights) integer answers in ``0..cap`` that sum to it exactly,
    in proportion to noisy weights (so each form varies while the patient's profile persists)."""
    n = len(weights)
    total = max(0, min(total, cap * n))
    raw = [w * rng.lognormvariate(0.0, 0.25) for w in weights]
    share = [0.0] * n
    free = list(range(n))
    remaining = float(total)
    while free:
        s = sum(raw[i] for i in free)
        over = [i for i in free if remaining * raw[i] / s > cap]
        if not over:
            for i in free:
                share[i] = remaining * raw[i] / s
            break
        for i in over:
            share[i] = float(cap)
            remaining -= cap
        free = [i for i in free if i not in over]
    values = [int(v) for v in share]
    short = total - sum(values)
    if short:
        order = sorted(
            (i for i in range(n) if values[i] < cap),
            key=lambda i: share[i] - values[i] + rng.random() * 0.5,
            reverse=True,
        )
        for i in order[:short]:
            values[i] += 1
    return values


def _clip(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


# -- one patient --------------------------------------------------------------------------


@dataclass
class _Infusion:
    day: int
    minute: int
    route: str
    phase: str
    dose_mg_per_kg: float | None
    dose_mg: float | None
    side_effects: list[str]


@dataclass
class _Form:
    instrument: str
    answers: dict[str, int]
    at: str
    context: str
    infusion: int | None  # index into the patient's infusion list


@dataclass
class _Patient:
    id: str
    indications: tuple[str, ...]
    route: str
    planned_induction: int
    window_days: int
    intake_day: int
    intake_minute: int
    therapist: int
    dropout: bool = False
    infusions: list[_Infusion] = field(default_factory=list)
    forms: list[_Form] = field(default_factory=list)


@dataclass(frozen=True)
class _Overrides:
    """Fixed choices for the hand-made patients (the ``patient`` sign-in, the open alert)."""

    indications: tuple[str, ...]
    intake_day: int
    route: str = "IV"
    n_induction: int = 6
    gaps: tuple[int, ...] = (2, 2, 3, 2, 3)
    baseline: float = 19.0
    outcome_level: float = 7.0
    maintenance_every: int | None = None
    relapse_after: int | None = None  # days after the last induction session
    si_trait: bool = False
    item9_on_intake: int = 0
    item9_on_last_phq9: int = 0


@dataclass(frozen=True)
class _Plan:
    """Everything drawn for one patient before the first day is simulated."""

    indications: tuple[str, ...]
    route: str
    intake_day: int
    intake_minute: int
    induction_days: tuple[int, ...]
    window_days: int
    weight_kg: float
    mg_per_kg: float | None
    spray_mg: float
    sublingual_mg: float
    baseline: float  # latent PHQ-9 before treatment
    level: float  # latent PHQ-9 reached after induction
    responder: bool
    tau: float  # sessions to reach 1/e of the way from baseline to level
    gad: tuple[float, float]  # (baseline, coupling to the PHQ-9 fraction gained)
    pcl: tuple[float, float]
    pain: tuple[float, float]
    si_trait: bool
    profiles: dict[str, list[float]]
    dropout: bool
    maintenance_every: int | None
    takes_boosters: bool
    end_day: int
    miss_rate: float
    years: int = 1

    def miss_chance(self, week: int) -> float:
        """Chance of missing the weekly check-in: more often as months pass, up to 40 %; a
        clinic group followed for years keeps its long-term patients engaged (up to 25 %)."""
        if self.years == 1:
            return min(0.4, self.miss_rate + 0.003 * week)
        return min(0.25, self.miss_rate + 0.001 * week)

    @property
    def last_induction(self) -> int:
        return self.induction_days[-1]

    def has(self, indication: str) -> bool:
        return indication in self.indications


def _intake_days_ago(rng: random.Random, years: int) -> int:
    """Days from intake to the anchor: uniform over the last year for a one-year clinic. A
    clinic group followed for ``years`` > 1 opened that long ago and took most of its patients
    in its early months (the density falls linearly towards the anchor), so that, as in the
    scale benchmark's picture, many patients have close to ``years`` of weekly check-ins."""
    if years == 1:
        return rng.randint(4, 365)
    return 4 + int((365 * years - 4) * rng.random() ** (1 / 3))


def _choice(rng: random.Random, mix):
    r = rng.random()
    acc = 0.0
    for value, p in mix:
        acc += p
        if r < acc:
            return value
    return mix[-1][0]


def _draw_plan(rng: random.Random, o: _Overrides | None, outcome: str, years: int = 1) -> _Plan:
    """Indications, route, schedule, doses, severity course and follow-up for one patient."""
    if o is None:
        indications = _choice(rng, _INDICATION_MIX)
        route = _choice(rng, _ROUTE_MIX)
        intake_day = -_intake_days_ago(rng, years)
    else:
        indications, route, intake_day = o.indications, o.route, o.intake_day

    # Induction: 4-8 sessions over 7-28 days, mostly 6 at 2-3 a week [S35][S36][S38][S39];
    # esketamine twice weekly for 4 weeks [S30e].
    if o is not None:
        n_ind, gaps = o.n_induction, list(o.gaps)
    elif route == "intranasal":
        n_ind = 8
        gaps = [rng.choice((3, 4)) for _ in range(7)]
    else:
        n_ind = _choice(rng, ((6, 0.72), (4, 0.05), (5, 0.08), (7, 0.07), (8, 0.08)))
        if route == "oral-sublingual":
            n_ind = min(n_ind, 6)
        thrice = route != "oral-sublingual" and rng.random() < 0.6
        gaps = [rng.choice((2, 2, 3) if thrice else (3, 4)) for _ in range(n_ind - 1)]
    days = [intake_day + (rng.randint(2, 7) if o is None else 4)]
    for g in gaps[: n_ind - 1]:
        days.append(days[-1] + g)
    while days[-1] - days[0] > 27:
        days.pop()
    window = 28 if days[-1] - days[0] > 20 or route == "intranasal" else 21
    intake_minute = rng.randrange(13 * 60, 21 * 60, 5)

    # Doses: IV/IM by weight, esketamine 56 mg then 56/84 mg [S30e], sublingual illustrative.
    weight = max(45.0, min(140.0, rng.gauss(80.0, 16.0)))
    if route == "IV":
        mg_per_kg = 0.5 if rng.random() < 0.85 else rng.choice((0.6, 0.75))
    elif route == "IM":
        mg_per_kg = rng.choice((0.5, 0.5, 0.75, 1.0))
    else:
        mg_per_kg = None
    spray_mg = rng.choice((56.0, 84.0, 84.0))
    sublingual_mg = rng.choice((150.0, 200.0, 200.0, 300.0))

    # Severity: baseline mostly 12-24, and the level the outcome class reaches [S38].
    if o is not None:
        base, level = o.baseline, o.outcome_level
        drop = 1 - level / base
        outcome = (
            "remission" if level < 5 else "response" if drop >= 0.5
            else "partial" if drop >= 0.25 else "none"
        )
    else:
        base = max(8.0, min(27.0, rng.gauss(18.0 if "depression" in indications else 13.0, 3.6)))
        if outcome == "remission":
            level = rng.uniform(0.3, 3.3)
        elif outcome == "response":
            level = base * (1 - rng.uniform(0.53, 0.72))
            if level < 5.8:
                level = rng.uniform(5.8, 6.8)
        elif outcome == "partial":
            level = base * (1 - rng.uniform(0.27, 0.46))
        else:
            level = base * (1 - rng.uniform(-0.2, 0.22))  # some worsen [S38]
    tau = rng.uniform(1.3, 2.6)  # median about 3 sessions to response [S36]

    anxiety = "anxiety" in indications
    gad = (max(6.0, min(21.0, rng.gauss(14.5 if anxiety else 9.0, 3.2))), rng.uniform(0.4, 0.9))
    pcl = (max(28.0, min(76.0, rng.gauss(49.0, 10.0))), rng.uniform(0.4, 0.9))
    pain = (max(3.0, min(9.5, rng.gauss(6.6, 1.3))), rng.uniform(0.25, 0.7))
    si_trait = o.si_trait if o is not None else rng.random() < 0.22
    profiles = {
        inst: [w * rng.lognormvariate(0.0, 0.3) for w in weights]
        for inst, weights in (
            ("phq9", _PHQ9_WEIGHTS), ("gad7", _GAD7_WEIGHTS), ("pcl5", _PCL5_WEIGHTS),
            ("peg", _PEG_WEIGHTS),
        )
    }

    # After induction: dropout, maintenance, boosters, length of follow-up.
    dropout = o is None and rng.random() < 0.07
    if o is not None:
        maintenance_every = o.maintenance_every
    else:
        p_maint = {"remission": 0.45, "response": 0.45, "partial": 0.3, "none": 0.04}[outcome]
        if years > 1:  # patients still in care after years are mostly on maintenance
            p_maint = {"remission": 0.75, "response": 0.75, "partial": 0.5, "none": 0.04}[outcome]
        options = (7, 14) if route == "intranasal" else (14, 21, 28, 35, 42)
        maintenance_every = rng.choice(options) if rng.random() < p_maint else None
    takes_boosters = o is not None or rng.random() < 0.8
    responder = outcome in ("remission", "response")
    if o is not None:
        follow = 10_000
    elif rng.random() < 0.06:
        follow = rng.randint(4, 20)  # lost to follow-up after induction
    elif responder or outcome == "partial":
        if years == 1:
            follow = rng.randint(60, 420)
        elif rng.random() < _LONG_TERM_SHARE:
            follow = 10_000  # in long-term care: checks in up to the anchor
        else:
            follow = rng.randint(60, 420 + 365 * (years - 1))
    else:
        follow = rng.randint(35, 110)
    end_day = min(-1, days[0] if dropout else days[-1] + follow)
    return _Plan(
        indications=tuple(indications), route=route, intake_day=intake_day,
        intake_minute=intake_minute, induction_days=tuple(days), window_days=window,
        weight_kg=weight, mg_per_kg=mg_per_kg, spray_mg=spray_mg, sublingual_mg=sublingual_mg,
        baseline=base, level=level, responder=responder, tau=tau, gad=gad, pcl=pcl, pain=pain,
        si_trait=si_trait, profiles=profiles, dropout=dropout and days[0] <= -1,
        maintenance_every=maintenance_every, takes_boosters=takes_boosters, end_day=end_day,
        miss_rate=rng.uniform(0.02, 0.14), years=years,
    )


class _Course:
    """Day-by-day simulation of one planned course: the latent PHQ-9 level ``x`` moves with
    sessions, relapses and boosters; the other measures follow it; forms are drawn from it."""

    def __init__(self, clock: _Clock, rng: random.Random, plan: _Plan, o: _Overrides | None):
        self.clock, self.rng, self.plan, self.o = clock, rng, plan, o
        self.x = plan.baseline
        self.goal = plan.level
        self.relapsing = False
        self.relapse_top = self.rise = 0.0
        self.pending_booster: int | None = None
        self.boosters_in_run = 0
        self.last_booster = -10_000
        self.booster_level = plan.level
        every = plan.maintenance_every
        self.next_maintenance = plan.last_induction + every if every else None
        self.intake = True
        self.infusions: list[_Infusion] = []
        self.forms: list[_Form] = []
        self.onset = self._relapse_onset(plan.last_induction)
        pain = ("peg",) if plan.has("chronic pain") else ()
        self.weekly = ("phq9",) + (("gad7",) if plan.has("anxiety") else ()) + pain
        self.momentary = ("mood_nrs", "anxiety_nrs") + (("pain_nrs",) if pain else ())

    # - latent levels -
    def _reduction(self) -> float:
        return (self.plan.baseline - self.x) / self.plan.baseline

    def _level(self, measure: str) -> float:
        base, coupling = getattr(self.plan, measure)
        return base * (1 - coupling * self._reduction())

    def _relapse_onset(self, after: int) -> int | None:
        """Relapse onset for responders: from 3 weeks after ``after``, with about 20 % by 4
        weeks and 40 % by 8 weeks later [S38] (half that with maintenance)."""
        plan, o = self.plan, self.o
        if not plan.responder:
            return None
        if o is not None:
            if o.relapse_after is None or after != plan.last_induction:
                return None
            return plan.last_induction + o.relapse_after
        scale = 0.5 if plan.maintenance_every else 1.0
        r = self.rng.random()
        prev_day, prev_p = 0, 0.0
        for day, p in _RELAPSE_CUMULATIVE:
            p *= scale
            if r < p:
                return after + 21 + prev_day + int((day - prev_day) * (r - prev_p) / (p - prev_p))
            prev_day, prev_p = day, p
        return None if r > 0.85 else after + 21 + self.rng.randint(112, 330)

    # - the days -
    def run(self) -> None:
        plan, o = self.plan, self.o
        intake = ("phq9",) + self.weekly[1:] + (("pcl5",) if plan.has("PTSD") else ())
        self._add_forms(plan.intake_day, plan.intake_minute, "intake", intake)
        self.intake = False
        if o is not None and o.item9_on_intake:
            self.forms[0].answers["phq9_9"] = o.item9_on_intake
        induction = {d: k for k, d in enumerate(plan.induction_days, 1)}
        for day in range(plan.intake_day + 1, plan.end_day + 1):
            if day > plan.last_induction:
                self._drift(day)
            if day in induction:
                phase = "induction"
            elif day == self.pending_booster:
                phase = "booster"
            elif self.next_maintenance is not None and day >= self.next_maintenance:
                phase = "maintenance"
            else:
                phase = None
            if phase is not None:
                self._session(day, phase, induction.get(day, 0))
            since = day - plan.induction_days[0]
            if since > 0 and since % 7 == 0:
                self._check_in(day, since // 7, phase)
        if o is not None and o.item9_on_last_phq9:
            [f for f in self.forms if f.instrument == "phq9"][-1].answers["phq9_9"] = (
                o.item9_on_last_phq9
            )

    def _drift(self, day: int) -> None:
        """After induction: a slow random walk of the settled level, or a relapse rising."""
        rng = self.rng
        self.goal = max(0.0, min(26.0, self.goal + rng.gauss(0.0, 0.08)))
        if self.onset is not None and day >= self.onset and not self.relapsing:
            self.relapsing = True
            top = 0.85 if self.o else rng.uniform(0.65, 0.95)
            self.relapse_top = max(self.x + 4, self.plan.baseline * top)
            self.rise = (self.relapse_top - self.x) / rng.uniform(7, 21)
        if self.relapsing:
            self.x = min(self.relapse_top, self.x + self.rise)
        else:
            self.x = self.goal + (self.x - self.goal) * 0.85

    def _dose_mg(self, phase: str, k: int) -> float:
        plan = self.plan
        if plan.route == "intranasal":
            return 56.0 if phase == "induction" and k == 1 else plan.spray_mg
        if plan.route == "oral-sublingual":
            return plan.sublingual_mg
        return round(plan.weight_kg * plan.mg_per_kg, 1)

    def _session(self, day: int, phase: str, k: int) -> None:
        """One session: before-ratings, the dose and its side effects, its effect on the
        course, after-ratings about 2 hours later."""
        plan, rng = self.plan, self.rng
        minute = rng.randrange(14 * 60, 20 * 60 + 1, 15)
        number = len(self.infusions) + 1
        index = len(self.infusions)
        self.infusions.append(
            _Infusion(day, minute, plan.route, phase, plan.mg_per_kg, self._dose_mg(phase, k),
                      self._side_effects(number))
        )
        if phase == "booster":
            self._add_forms(day, minute - 20, "booster", self.weekly)
        pre = {m: self._momentary(m) for m in self.momentary}
        for m in self.momentary:
            at = self.clock.ts(day, minute - rng.randint(5, 25))
            self.forms.append(_Form(m, {f"{m}_1": pre[m]}, at, "pre_infusion", index))
        every = plan.maintenance_every
        if phase == "induction":
            self.x = plan.level + (plan.baseline - plan.level) * math.exp(-k / plan.tau)
        elif phase == "booster":
            self.relapsing = False
            self.onset = None
            self.x = self.booster_level + (self.x - self.booster_level) * 0.35
            self.goal = self.booster_level
            self.last_booster = day
            self.boosters_in_run += 1
            if self.boosters_in_run == 1 and self.x > self.booster_level + 3:
                self.pending_booster = day + rng.randint(2, 4)
            else:
                self.pending_booster = None
                self.onset = self._relapse_onset(day)
            if self.next_maintenance is not None:
                self.next_maintenance = max(self.next_maintenance, day + every)
        else:
            self.next_maintenance = day + every
        for m in self.momentary:
            post = self._post(m, pre[m], number)
            at = self.clock.ts(day, minute + rng.randint(100, 140))
            self.forms.append(_Form(m, {f"{m}_1": post}, at, "post_infusion", index))

    def _check_in(self, day: int, week: int, phase: str | None) -> None:
        """The weekly questionnaires (PCL-5 every 4 weeks); a relapse seen here books a
        booster within days (PHQ-9 >= 10 and >= 6 above the settled level, section 2.4)."""
        plan, rng = self.plan, self.rng
        if phase == "booster":
            return  # the booster-day forms stand in for this week
        if self.o is None and rng.random() < plan.miss_chance(week):
            return
        if day <= plan.last_induction:
            context = "weekly"
        elif day - self.last_booster <= 14:
            context = "booster"
        else:
            context = "maintenance"
        which = self.weekly + (("pcl5",) if plan.has("PTSD") and week % 4 == 0 else ())
        start = len(self.forms)
        earliest = 12 * 60 if phase is None else self.infusions[-1].minute + 150
        self._add_forms(day, rng.randrange(earliest, 23 * 60 + 50, 5), context, which)
        phq = self.forms[start].answers
        total = sum(v for k, v in phq.items() if k != "phq9_10")
        if (
            plan.responder and plan.takes_boosters and day > plan.last_induction + 14
            and self.pending_booster is None and day - self.last_booster > 14
            and total >= 10 and total >= plan.level + 6
        ):
            self.pending_booster = day + rng.randint(3, 10)
            self.boosters_in_run = 0
            self.booster_level = plan.level + rng.uniform(0.0, 2.0)

    # - forms -
    def _add_forms(self, day: int, minute: int, context: str, which: tuple[str, ...]) -> None:
        at = self.clock.ts(day, minute)
        for inst in which:
            self.forms.append(_Form(inst, self._answers(inst), at, context, None))

    def _answers(self, inst: str) -> dict[str, int]:
        """Item answers around the latent level: a noisy total spread over the items by the
        patient's profile. PHQ-9 item 9 is drawn on its own, likelier when severe and at
        intake for patients with suicidal ideation [S38][S39]."""
        rng, profiles = self.rng, self.plan.profiles
        if inst == "phq9":
            x = self.x
            total = _clip(x + rng.gauss(0.0, 0.7 + 0.07 * x), 0, 27)
            item9 = 0
            if self.plan.si_trait:
                p = max(0.0, min(0.6, (x - 6.0) / 22.0)) + (0.12 if self.intake else 0.0)
            else:
                p = 0.004 * x / 10.0
            if rng.random() < p:
                r = rng.random()
                item9 = 1 if r < 0.75 else 2 if r < 0.95 else 3
            items = _spread(max(0, total - item9), profiles["phq9"], 3, rng)
            answers = {f"phq9_{i}": v for i, v in enumerate(items, 1)}
            answers["phq9_9"] = item9
            answers["phq9_10"] = _clip(sum(items) / 8.0 + rng.gauss(0.0, 0.45), 0, 3)
            return answers
        if inst == "gad7":
            g = self._level("gad")
            total = _clip(g + rng.gauss(0.0, 0.7 + 0.06 * g), 0, 21)
            cap = 3
        elif inst == "pcl5":
            total = _clip(self._level("pcl") + rng.gauss(0.0, 4.0), 0, 80)
            cap = 4
        else:  # peg: three 0-10 items, scored as their mean
            total = _clip(3 * self._level("pain") + rng.gauss(0.0, 1.5), 0, 30)
            cap = 10
        values = _spread(total, profiles[inst], cap, rng)
        return {f"{inst}_{i}": v for i, v in enumerate(values, 1)}

    def _momentary(self, inst: str) -> int:
        g = self.rng.gauss
        if inst == "mood_nrs":
            return _clip(0.33 * self.x + 0.8 + g(0.0, 0.9), 0, 10)
        if inst == "anxiety_nrs":
            return _clip(0.4 * self._level("gad") + 0.5 + g(0.0, 1.0), 0, 10)
        return _clip(self._level("pain") + g(0.0, 0.8), 0, 10)

    def _post(self, inst: str, pre: int, number: int) -> int:
        """About 2 h after the session: usually lower, most of all after the first [S35]."""
        first = 1.4 if number == 1 else 1.0
        mean = {"mood_nrs": 1.9, "anxiety_nrs": 1.3, "pain_nrs": 1.6}[inst] * first
        drop = self.rng.gauss(mean, 1.2)
        return _clip(pre - min(drop, pre * 0.8 + 0.5), 0, 10)

    def _side_effects(self, number: int) -> list[str]:
        rates = _SIDE_EFFECT_RATES[self.plan.route]
        effects = []
        for name, p in zip(SIDE_EFFECTS, rates, strict=True):
            if name == "dissociation":
                p *= max(0.6, 1.0 - 0.05 * (number - 1))  # some tolerance over sessions
            if self.rng.random() < p:
                effects.append(name)
        return effects


def _simulate_one(
    clock: _Clock, rng: random.Random, pid: str, therapist: int, o: _Overrides | None, outcome: str,
    years: int = 1,
) -> _Patient:
    plan = _draw_plan(rng, o, outcome, years)
    course = _Course(clock, rng, plan, o)
    course.run()
    return _Patient(
        id=pid,
        indications=plan.indications,
        route=plan.route,
        planned_induction=len(plan.induction_days),
        window_days=plan.window_days,
        intake_day=plan.intake_day,
        intake_minute=plan.intake_minute,
        therapist=therapist,
        dropout=plan.dropout,
        infusions=course.infusions,
        forms=course.forms,
    )


# -- the clinic ---------------------------------------------------------------------------

_BLOCK = 200


@functools.lru_cache(maxsize=64)
def _outcome_deck(seed: int, block: int) -> tuple[str, ...]:
    deck = [name for name, p in _OUTCOMES for _ in range(round(p * _BLOCK))]
    deck += [_OUTCOMES[-1][0]] * (_BLOCK - len(deck))
    random.Random(f"ketamine-demo-outcomes:{seed}:{block}").shuffle(deck)
    return tuple(deck)


def _outcome_for(seed: int, index: int) -> str:
    """Outcome class of patient ``index``, by blocked randomisation: every block of 200
    patients holds the classes in exactly the proportions of ``_OUTCOMES``, shuffled, so a
    small clinic lands on the published rates without luck (and a patient's class does not
    depend on how many patients are built)."""
    return _outcome_deck(seed, index // _BLOCK)[index % _BLOCK]


_DEMO_PATIENT = _Overrides(  # the ``patient`` sign-in: induction, maintenance, a booster
    indications=("depression", "anxiety"),
    intake_day=-200,
    baseline=19.0,
    outcome_level=7.0,
    maintenance_every=28,
    relapse_after=70,
    item9_on_intake=1,
)
_OPEN_ALERT_PATIENT = _Overrides(  # a recent item-9 positive left open for ``therapist``
    indications=("depression",),
    intake_day=-2 - 7 * 5 - 4,  # the fifth weekly check-in falls 2 days before the anchor
    baseline=21.0,
    outcome_level=14.0,
    si_trait=True,
    item9_on_last_phq9=2,
)
_CHUNK = 500  # patients simulated and written at a time, to bound memory on large builds


def _therapists(patients: int, seed: int) -> list[tuple[str, str]]:
    """(username, display name) for about one therapist per 40 patients; the first is
    ``therapist`` / Dr. Amara Okafor."""
    n_ther = max(1, round(patients / PATIENTS_PER_THERAPIST))
    names = [f"{a} {b}" for a in _FIRST_NAMES for b in _SURNAMES if f"{a} {b}" != "Amara Okafor"]
    random.Random(seed).shuffle(names)
    displays = ["Dr. Amara Okafor"] + [f"Dr. {n}" for n in names[: n_ther - 1]]
    displays += [f"Dr. Therapist {i}" for i in range(len(displays) + 1, n_ther + 1)]
    return [("therapist" if i == 0 else f"therapist{i + 1:03d}", displays[i]) for i in range(n_ther)]


def _simulate_patient(
    clock: _Clock, seed: int, index: int, patients: int, n_ther: int, years: int = 1
) -> _Patient:
    """Patient ``index`` (0-based). The first two are hand-made and belong to ``therapist``;
    the rest are assigned round-robin. Each patient has its own random stream, so a patient's
    record does not depend on how many patients are built."""
    pid = f"KC-{index + 1:0{max(4, len(str(patients)))}d}"
    therapist = 0 if index < 2 else (index - 2) % n_ther
    rng = random.Random(f"ketamine-demo:{seed}:{index}")
    overrides = (_DEMO_PATIENT, _OPEN_ALERT_PATIENT)[index] if index < 2 else None
    if index == 0 and years > 1:  # the ``patient`` sign-in: ``years`` full years of check-ins
        overrides = dataclasses.replace(overrides, intake_day=-365 * years - 6)
    return _simulate_one(clock, rng, pid, therapist, overrides, _outcome_for(seed, index), years)


MAX_YEARS = 5


def _check_args(patients: object, anchor: object, years: object = 1) -> None:
    if type(patients) is not int or patients < 2:
        raise ValidationError(f"The demo needs at least 2 patients; got {patients!r}.")
    if type(years) is not int or not 1 <= years <= MAX_YEARS:
        raise ValidationError(
            f"The demo covers 1 to {MAX_YEARS} whole years of follow-up; got years={years!r}."
        )
    if type(anchor) is not date:
        raise ValidationError(f"The demo anchor must be a date (not a date-time); got {anchor!r}.")


def _simulate(patients: int, seed: int, anchor: date, years: int = 1) -> list[_Patient]:
    """The whole clinic in memory, without a database (for tuning the calibration)."""
    _check_args(patients, anchor, years)
    clock = _Clock(anchor)
    n_ther = len(_therapists(patients, seed))
    return [_simulate_patient(clock, seed, i, patients, n_ther, years) for i in range(patients)]


def build_demo(
    db: sqlite_utils.Database,
    *,
    patients: int = 200,
    seed: int = 7,
    anchor: date = DEFAULT_ANCHOR,
    years: int = 1,
    timings: dict[str, float] | None = None,
) -> DemoReport:
    """Fill an empty store with a synthetic clinic and return what was written.

    Sign-ins ``patient``, ``therapist``, ``lead`` and ``admin`` share :data:`DEMO_PASSWORD`
    and are marked ``is_demo``; other therapists cannot sign in. ``patient`` is linked to the
    first patient, whose course has induction, maintenance and a booster. Safety alerts older
    than a week are acknowledged by the patient's therapist; recent ones stay open (at least
    one on ``therapist``'s caseload). Everything is written in one transaction, then the
    summaries are refreshed and settings ``demo`` = ``"1"`` and ``demo_anchor`` recorded.

    ``years`` (1-5) is how long the clinic has been followed (see the module notes). If
    ``timings`` is a dict it receives the seconds spent per step (``simulate``, ``insert``,
    ``course_records``, ``alerts``, ``refresh_all``), for the scale benchmark.

    Raises
    ------
    ValidationError
        If the store already holds patients or users, ``patients`` is below 2, or
        ``anchor`` is not a plain date, or ``years`` is not a whole number from 1 to 5.
    """
    _check_args(patients, anchor, years)
    if not store.is_empty(db) or store.list_users(db):
        raise ValidationError("The demo clinic can only be built in an empty database.")
    clock = _Clock(anchor)
    created = clock.ts(-400 if years == 1 else -365 * years - 35, 9 * 60)
    therapists = _therapists(patients, seed)
    password_hash = hash_password(DEMO_PASSWORD)  # argon2 is slow: hash once, share the string
    scored: dict[tuple, Score] = {}  # the same answers score the same (momentary ratings)

    def scored_form(f: _Form) -> Score:
        key = (f.instrument, *f.answers.items())
        result = scored.get(key)
        if result is None:
            if len(scored) >= 100_000:  # bound memory on large builds (same scores either way)
                scored.clear()
            result = scored[key] = score(f.instrument, f.answers)
        return result

    n_infusions = n_forms = dropouts = 0
    spent = {"simulate": 0.0, "insert": 0.0, "course_records": 0.0, "alerts": 0.0, "refresh_all": 0.0}
    tick = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal tick
        now = time.perf_counter()
        spent[step] += now - tick
        tick = now
    owner: dict[str, int] = {}
    with db.atomic():
        therapist_ids = [
            store.add_user(
                db, username, "therapist", display_name=display,
                password_hash=password_hash if i == 0 else None, is_demo=i == 0,
                created_at=created,
            )
            for i, (username, display) in enumerate(therapists)
        ]
        store.add_user(db, "lead", "lead", display_name="Dr. Helen Marsh (clinical lead)",
                       password_hash=password_hash, is_demo=True, created_at=created)
        store.add_user(db, "admin", "admin", display_name="Sam Whitaker (clinic admin)",
                       password_hash=password_hash, is_demo=True, created_at=created)

        for chunk_start in range(0, patients, _CHUNK):
            lap("insert")  # the accounts, then the previous chunk
            chunk = [
                _simulate_patient(clock, seed, i, patients, len(therapists), years)
                for i in range(chunk_start, min(patients, chunk_start + _CHUNK))
            ]
            lap("simulate")
            infusion_rows, forms = [], []
            for p in chunk:
                intake_at = clock.ts(p.intake_day, p.intake_minute)
                owner[p.id] = therapist_ids[p.therapist]
                store.add_patient(db, p.id, indications=p.indications,
                                  therapist_id=owner[p.id], created_at=intake_at)
                first = p.infusions[0] if p.infusions else None
                course_id = store.add_course(
                    db, p.id,
                    started_at=clock.ts(first.day, first.minute) if first else intake_at,
                    route=p.route, planned_induction=p.planned_induction,
                    induction_window_days=p.window_days,
                )
                dropouts += p.dropout
                offset = len(infusion_rows)
                infusion_rows.extend(
                    {
                        "patient_id": p.id, "course_id": course_id,
                        "administered_at": clock.ts(inf.day, inf.minute), "route": inf.route,
                        "dose_mg_per_kg": inf.dose_mg_per_kg, "dose_mg": inf.dose_mg,
                        "phase": inf.phase, "side_effects": inf.side_effects,
                    }
                    for inf in p.infusions
                )
                forms.extend(
                    (p.id, f, None if f.infusion is None else offset + f.infusion) for f in p.forms
                )
                if chunk_start == 0 and p is chunk[0]:
                    store.add_user(db, "patient", "patient", display_name=f"Demo patient {p.id}",
                                   password_hash=password_hash, patient_id=p.id, is_demo=True,
                                   created_at=intake_at)
                    demo_patient = p.id
            infusion_ids = store.bulk_insert_infusions(db, infusion_rows)
            store.bulk_insert_assessments(
                db,
                [
                    (pid, scored_form(f), f.at, f.context, "self",
                     None if index is None else infusion_ids[index], False)
                    for pid, f, index in forms
                ],
            )
            n_infusions += len(infusion_rows)
            n_forms += len(forms)

        lap("insert")
        demo_course.add_course_records(db, anchor=anchor, seed=seed, owner=owner, quiet=(demo_patient,))
        lap("course_records")
        open_alerts = _acknowledge_old_alerts(db, owner, clock, seed)
        lap("alerts")
        store.refresh_all(db)
        lap("refresh_all")
        store.set_setting(db, "demo", "1")
        store.set_setting(db, "demo_anchor", anchor.isoformat())

    if timings is not None:
        timings.update(spent)
    return DemoReport(
        patients=patients,
        therapists=len(therapist_ids),
        users=len(therapist_ids) + 3,
        courses=patients,
        infusions=n_infusions,
        assessments=n_forms,
        alerts=len(store.list_alerts(db)),
        open_alerts=open_alerts,
        dropouts=dropouts,
        demo_patient_id=demo_patient,
        seed=seed,
        anchor=anchor,
        years=years,
        long_patient_id=demo_patient,
    )


def _acknowledge_old_alerts(db, owner: dict[str, int], clock: _Clock, seed: int) -> int:
    """Acknowledge, in time order, every alert raised more than 7 days before the anchor, by
    the patient's therapist within clinic hours (13:00-23:00 UTC) of the same or next day;
    return how many stay open."""
    alerts = store.list_alerts(db, status="open")
    if alerts.empty:
        return 0
    cutoff = clock.ts(-7, 0)
    rng = random.Random(f"ketamine-demo-alerts:{seed}")
    acks = []
    for row in alerts.sort_values(["created_at", "id"]).itertuples():
        if row.created_at >= cutoff:
            continue
        day = (date.fromisoformat(row.created_at[:10]) - clock.anchor).days
        minute = int(row.created_at[11:13]) * 60 + int(row.created_at[14:16])
        minute += rng.randint(20, 6 * 60)
        if minute >= 23 * 60:
            day, minute = day + 1, 13 * 60 + rng.randint(0, 180)
        minute = max(minute, 13 * 60 + rng.randint(0, 120))
        acks.append((clock.ts(day, minute), int(row.id), owner[row.patient_id]))
    actors: dict[int, store.Actor] = {}
    store.bulk_acknowledge_alerts(
        db,
        [
            (at, alert_id, actors.setdefault(user_id, store.Actor(user_id, "therapist", "demo")))
            for at, alert_id, user_id in sorted(acks)
        ],
    )
    return len(alerts) - len(acks)
