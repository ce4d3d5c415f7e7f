"""A synthetic evaluation cohort for the booster-review signals, separate from the demo clinic.

Every patient responds to induction, then checks in weekly with the PHQ-9 during maintenance.
Scores are a latent level plus week-to-week fluctuation (AR(1)) plus measurement error of
about the instrument's SEM (2.16 points for PHQ-9, clinical-reference.md section 2.2),
rounded and clipped to 0-27. Check-ins are missed at random, their timing jitters, stable
patients have occasional single bad weeks, and a share of patients relapse with a known onset
date at different speeds (sudden to slow). Nothing here reads the detectors' parameters.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class CohortParams:
    patients: int = 600
    seed: int = 20261203
    maintenance_weeks: int = 52
    relapse_share: float = 0.45
    onset_weeks: tuple[int, int] = (6, 44)  # relapse onset, weeks after induction ends
    ramp_weeks: tuple[int, int] = (0, 8)  # 0 = sudden; up to 8 weeks of gradual rise
    # How far a relapse climbs back towards the intake score (fraction of the improvement
    # lost), and the least rise in points: relapse = symptoms returning, not a wobble.
    relapse_return: tuple[float, float] = (0.5, 1.0)
    relapse_min_rise: float = 6.0
    baseline: tuple[float, float] = (15.0, 24.0)
    reduction: tuple[float, float] = (0.55, 0.9)  # post-induction reduction (responders)
    sem: float = 2.16
    fluctuation_sd: float = 1.5
    ar: float = 0.5
    missed_share: float = 0.15
    jitter_days: int = 2
    bad_week_share: float = 0.04
    bad_week_rise: tuple[float, float] = (4.0, 9.0)
    maintenance_every_weeks: int = 4
    start: str = "2025-01-06"

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in asdict(self).items())


@dataclass(frozen=True)
class Truth:
    patient_id: str
    relapses: bool
    onset: datetime | None
    monitoring_start: datetime  # the first day after induction
    end: datetime


def _ts(d: datetime) -> str:
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(p: CohortParams) -> tuple[str, str, list[Truth]]:
    """Return (assessments CSV, infusions CSV, ground truth) in the exchange formats."""
    rng = random.Random(p.seed)
    a_rows: list[list[str]] = []
    i_rows: list[list[str]] = []
    truth: list[Truth] = []
    t0 = datetime.fromisoformat(p.start).replace(tzinfo=UTC)
    for n in range(p.patients):
        pid = f"E{n:04d}"
        start = t0 + timedelta(days=rng.randrange(0, 120), hours=9)
        base = rng.uniform(*p.baseline)
        stable = base * (1 - rng.uniform(*p.reduction))

        def score(level: float, state: list[float]) -> int:
            state[0] = p.ar * state[0] + rng.gauss(0, p.fluctuation_sd * (1 - p.ar**2) ** 0.5)
            return max(0, min(27, round(level + state[0] + rng.gauss(0, p.sem))))

        ar = [0.0]
        # intake, then 6 induction infusions Mon/Wed/Fri over ~2 weeks, with weekly PHQ-9.
        a_rows.append([pid, "phq9", _ts(start - timedelta(days=3)), "intake", "", str(score(base, ar))])
        days = [0, 2, 4, 7, 9, 11]
        for k, d in enumerate(days):
            i_rows.append([pid, _ts(start + timedelta(days=d, minutes=30)), "IV", "0.5", "induction"])
            if k in (3,):
                level = base - (base - stable) * 0.6
                a_rows.append([pid, "phq9", _ts(start + timedelta(days=d, minutes=5)), "weekly", "", str(score(level, ar))])
        induction_end = start + timedelta(days=days[-1])
        mon = induction_end + timedelta(days=1)
        relapses = rng.random() < p.relapse_share
        onset = ramp = rise = None
        if relapses:
            onset = mon + timedelta(weeks=rng.randint(*p.onset_weeks), days=rng.randint(0, 6))
            ramp = rng.randint(*p.ramp_weeks)
            rise = max(p.relapse_min_rise, rng.uniform(*p.relapse_return) * (base - stable))
        end = mon + timedelta(weeks=p.maintenance_weeks)
        for w in range(1, p.maintenance_weeks + 1):
            when = mon + timedelta(weeks=w, days=rng.randint(-p.jitter_days, p.jitter_days), hours=rng.randint(0, 10))
            if w % p.maintenance_every_weeks == 0:
                i_rows.append([pid, _ts(when - timedelta(days=1)), "IV", "0.5", "maintenance"])
            level = stable
            if onset is not None and when >= onset:
                weeks_in = (when - onset).days / 7.0
                level = stable + rise * (1.0 if ramp == 0 else min(1.0, (weeks_in + 1) / (ramp + 1)))
            elif rng.random() < p.bad_week_share:
                level = stable + rng.uniform(*p.bad_week_rise)
            x = score(level, ar)
            if rng.random() < p.missed_share:
                continue
            a_rows.append([pid, "phq9", _ts(when), "maintenance", "", str(x)])
        truth.append(Truth(pid, relapses, onset, mon, end))
    return _csv(["patient_id", "instrument", "administered_at", "context", "answers", "total"], a_rows), _csv(
        ["patient_id", "administered_at", "route", "dose_mg_per_kg", "phase"], i_rows
    ), truth


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()
