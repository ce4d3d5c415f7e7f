"""The demo clinic's course records: intake screenings, plans, session vitals and side-effect
severities, psychotherapy follow-ups, and the alerts they raise. Synthetic data only.

Called by :func:`progress.demo.build_demo` inside its transaction, after the infusions are
written. Deterministic: each patient draws from its own seeded stream. Vitals are drawn around
the published IV figures (mean rise about 16/11 mmHg at ~40 min [S46]; severe hypertension in
about 1 % of sessions [S46]); everything else is illustrative, not calibrated.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlite_utils

from progress import screening, sessions, store
from progress.course import DEFAULT_FOLLOWUP_HOURS
from progress.sessions import Reading, SessionDetails

# Demo side-effect names (demo.SIDE_EFFECTS) onto the session form's list.
_EFFECT_NAMES = {
    "nausea": "nausea or vomiting",
    "drowsiness": "fatigue or drowsiness",
    "raised blood pressure": "raised blood pressure or heart rate",
    "blurred vision": "blurred or double vision",
}
_SURGE_RATE = 0.01  # sessions with a large BP rise, about the 0.98 % of [S46]
_SERIOUS_RATE = 0.002  # illustrative: rare serious effects (emergence reactions [S45])
_FMT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class CourseReport:
    screenings: int
    sessions: int
    followups: int
    alerts: int


def _ts(dt: datetime) -> str:
    return dt.strftime(_FMT)


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts[:19])


def _screening(rng: random.Random, indications: list[str], route: str) -> dict:
    medicines, bzd = [], None
    if rng.random() < 0.18:
        medicines.append("benzodiazepine")
        bzd = rng.choice((2.0, 5.0, 10.0, 15.0))
    if rng.random() < 0.06:
        medicines.append("stimulant")
    contra = ["uncontrolled_hypertension"] if rng.random() < 0.05 else []
    return screening.validate({
        "indications": indications,
        "pain_conditions": [rng.choice(("neuropathic pain", "migraine", "fibromyalgia"))] if "chronic pain" in indications else [],
        "prior_treatments": [q.id for q in screening.PRIOR_TREATMENTS if rng.random() < (0.8, 0.2, 0.08)[
            [p.id for p in screening.PRIOR_TREATMENTS].index(q.id)]],
        "antidepressant_trials": rng.randint(2, 5) if "depression" in indications else rng.randint(0, 2),
        "contraindications": contra,
        "medicines": medicines,
        "benzodiazepine_mg": bzd,
        "misuse": ["past_sud"] if rng.random() < 0.07 else [],
        "esketamine": route == "intranasal",
    })


def _details(rng: random.Random, route: str, effects: list[str], quiet: bool) -> SessionDetails:
    sbp, dbp, hr = round(rng.gauss(124, 10)), round(rng.gauss(78, 7)), round(rng.gauss(72, 8))
    surge = not quiet and rng.random() < _SURGE_RATE
    rise_s = round(rng.gauss(45, 4)) if surge else max(0, round(rng.gauss(12, 7)))
    rise_d = round(rng.gauss(18, 4)) if surge else max(0, round(rng.gauss(8, 5)))
    vitals = {
        "before": Reading(sbp, dbp, hr),
        "during": Reading(sbp + rise_s, dbp + rise_d, hr + max(0, round(rng.gauss(6, 4)))),
        "discharge": Reading(sbp + round(rng.gauss(3, 5)), dbp + round(rng.gauss(2, 4)), hr + round(rng.gauss(1, 3))),
    }
    severities = {}
    for e in effects:
        r = rng.random()
        severities[_EFFECT_NAMES.get(e, e)] = "mild" if r < 0.7 else ("moderate" if r < 0.95 else "severe")
    if not quiet and rng.random() < _SERIOUS_RATE:
        severities["hallucinations or delirium"] = "moderate"
    dissociated = "dissociation" in severities
    esk = route == "intranasal"
    return SessionDetails(
        duration_min=40 if route == "IV" else (None if esk else 30),
        observation_min=rng.choice((120, 125, 130)) if esk else rng.choice((60, 75, 90)),
        vitals=vitals,
        spo2_lowest=rng.randint(94, 99),
        side_effects=severities,
        cadss6=rng.randint(3, 12) if dissociated else rng.randint(0, 2),
        sedation=rng.choice(("none", "mild", "mild", "moderate")) if esk else None,
        lot=f"DEMO-{rng.randint(1000, 9999)}" if esk else "",
        driver=rng.random() < 0.98,
    )


def add_course_records(
    db: sqlite_utils.Database,
    *,
    anchor: date,
    seed: int,
    owner: dict[str, int],
    quiet: tuple[str, ...] = (),
) -> CourseReport:
    """Write screenings, plans, session records, follow-ups and their alerts for every demo patient.

    ``owner`` maps patient id to therapist user id; ``quiet`` patients get no vitals surge or
    serious effect (the demo patient's alerts stay the item-9 ones the demo tests describe).
    Must run inside the caller's ``db.atomic()``.
    """
    now = datetime(anchor.year, anchor.month, anchor.day)
    by_patient: dict[str, list[dict]] = {}
    for row in store.all_infusions(db).to_dict("records"):
        by_patient.setdefault(row["patient_id"], []).append(row)
    screenings, records, followups, plans, alerts = [], [], [], [], []
    for p in db.execute("SELECT id, indications, created_at FROM patients ORDER BY id").fetchall():
        pid, indications, intake_at = p[0], [i for i in p[1].split(",") if i], p[2]
        rng = random.Random(f"ketamine-demo-course:{seed}:{pid}")
        group = by_patient.get(pid)
        route = group[0]["route"] if group else "IV"
        therapist = owner.get(pid)
        reviewed = _ts(_parse(intake_at) + timedelta(hours=2))
        screenings.append((pid, intake_at, therapist, _screening(rng, indications, route), therapist, reviewed, ""))
        if not group:
            continue
        maint = [_parse(r["administered_at"]) for r in group if r["phase"] == "maintenance"]
        gaps = sorted((b - a).days for a, b in zip(maint, maint[1:], strict=False))
        every = max(7, round(gaps[len(gaps) // 2] / 7) * 7) if gaps else (28 if maint else None)
        plans.append((every, len(maint) or None, "Review for a booster if scores rise" if every else "", pid))
        for row in group:
            details = _details(rng, row["route"], list(row["side_effects"]), pid in quiet)
            flags = sessions.vitals_flags(details)
            records.append({"infusion_id": int(row["id"]), **_record_columns(details), "flags": flags})
            at = row["administered_at"]
            if flags:
                alerts.append((pid, "vitals", "moderate",
                               "Vitals flag at the session: " + "; ".join(flags) + ". Please review.", at))
            serious = sessions.serious_effects(details)
            if serious:
                alerts.append((pid, "side_effect", "moderate",
                               f"Serious side effect recorded at the session: {', '.join(serious)}. Please review the patient.", at))
            start = _parse(at)
            due_from = start + timedelta(hours=DEFAULT_FOLLOWUP_HOURS[0])
            due_until = start + timedelta(hours=DEFAULT_FOLLOWUP_HOURS[1])
            booked = due_from + timedelta(hours=rng.choice((2, 4, 6, 20)))
            done = booked if booked < now and rng.random() < 0.93 else None
            followups.append((pid, int(row["id"]), _ts(due_from), _ts(due_until), _ts(booked),
                              _ts(done) if done else None, therapist if done else None))
    store.bulk_create_alerts(db, alerts)
    store.bulk_insert_screenings(db, screenings)
    store.bulk_set_plans(db, plans)
    store.bulk_insert_session_records(db, records)
    store.bulk_insert_followups(db, followups)
    return CourseReport(len(screenings), len(records), len(followups), len(alerts))


def _record_columns(d: SessionDetails) -> dict:
    return {
        "duration_min": d.duration_min, "observation_min": d.observation_min, "vitals": d.vitals_dict(),
        "spo2_lowest": d.spo2_lowest, "side_effects": dict(d.side_effects), "cadss6": d.cadss6,
        "sedation": d.sedation, "respiratory_depression": int(d.respiratory_depression), "lot": d.lot,
        "driver": int(d.driver), "notes": "",
    }
