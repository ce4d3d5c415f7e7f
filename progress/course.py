"""Plan versus actual for a patient's treatment course ("4 of 6 induction infusions, day 9 of 21"),
the plan's checks, and the psychotherapy follow-up window after each infusion."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from progress.errors import ValidationError
from progress.timeutil import days_between, parse_instant

# Induction as studied and seen in practice: 6 infusions within about 21 days [S35][S36][S39];
# real-world series of 4-8 infusions over 7-28 days [S38]. A plan outside is allowed, and noted.
TYPICAL_INDUCTION = (4, 8)  # [S38]
TYPICAL_WINDOW_DAYS = (7, 28)  # [S38]
DEFAULT_INDUCTION, DEFAULT_WINDOW_DAYS = 6, 21  # [S35][S39]

# Psychotherapy (integration) follow-up after each infusion: 24-48 h in the clinic's source
# documents (issue 5), not a number from the clinical reference, so both ends are settings.
SETTING_FOLLOWUP_FROM_H = "followup.from_hours"
SETTING_FOLLOWUP_UNTIL_H = "followup.until_hours"
DEFAULT_FOLLOWUP_HOURS = (24, 48)


def check_plan(
    planned_induction: int,
    induction_window_days: int,
    maintenance_every_days: int | None = None,
    planned_maintenance: int | None = None,
) -> list[str]:
    """Raise for an impossible plan; return notes where it is outside the usual range [S38]."""
    for name, value, high in (
        ("planned_induction", planned_induction, 30),
        ("induction_window_days", induction_window_days, 180),
    ):
        if type(value) is not int or not 1 <= value <= high:
            raise ValidationError(f"{name} {value!r} must be a whole number from 1 to {high}.")
    for name, value, high in (("maintenance_every_days", maintenance_every_days, 365), ("planned_maintenance", planned_maintenance, 100)):
        if value is not None and (type(value) is not int or not 1 <= value <= high):
            raise ValidationError(f"{name} {value!r} must be empty or a whole number from 1 to {high}.")
    notes = []
    lo, hi = TYPICAL_INDUCTION
    if not lo <= planned_induction <= hi:
        notes.append(f"{planned_induction} induction infusions is outside the {lo}-{hi} seen in practice [S38].")
    lo, hi = TYPICAL_WINDOW_DAYS
    if not lo <= induction_window_days <= hi:
        notes.append(f"A {induction_window_days}-day induction window is outside the {lo}-{hi} days seen in practice [S38].")
    return notes


def plan_progress(course: dict | None, infusions: pd.DataFrame, *, as_of: str) -> str:
    """One line comparing the induction plan with the infusions given so far."""
    n_induction = int((infusions["phase"] == "induction").sum()) if len(infusions) else 0
    if course is None:
        return f"{n_induction} induction infusions (no plan recorded)"
    planned, window = course["planned_induction"], course["induction_window_days"]
    later = infusions[infusions["phase"] != "induction"] if len(infusions) else infusions
    if len(later):
        n_m = int((later["phase"] == "maintenance").sum())
        n_b = int((later["phase"] == "booster").sum())
        return (
            f"Induction done: {n_induction} of {planned} planned; since then {n_m} maintenance "
            f"and {n_b} booster infusion{'s' if n_b != 1 else ''}"
        )
    if n_induction == 0:
        return f"Induction not started: 0 of {planned} planned over {window} days"
    day = int(days_between(infusions["administered_at"].iloc[0], as_of)) + 1
    if day > window:  # the window has passed with no maintenance or booster yet
        return f"{n_induction} of {planned} induction infusions; the {window}-day window ended {day - window} days ago"
    return f"{n_induction} of {planned} induction infusions, day {day} of {window}"


def plan_lines(course: dict | None, infusions: pd.DataFrame, *, as_of: str) -> list[str]:
    """Plan versus actual, phase by phase: induction, maintenance (with the next due date), boosters."""
    lines = [plan_progress(course, infusions, as_of=as_of)]
    if course is None:
        return lines
    phase = infusions["phase"] if len(infusions) else pd.Series(dtype=str)
    every, planned_m = course.get("maintenance_every_days"), course.get("planned_maintenance")
    n_m = int((phase == "maintenance").sum())
    if every:
        text = f"Maintenance: {n_m}{f' of {planned_m}' if planned_m else ''} given, planned every {every} days"
        given = infusions[infusions["phase"] != "booster"] if len(infusions) else infusions
        if n_m or (len(given) and int((phase == "induction").sum()) >= course["planned_induction"]):
            last = parse_instant(given["administered_at"].iloc[-1])
            due = last + timedelta(days=int(every))
            text += f"; next due {due.date().isoformat()}"
            if parse_instant(as_of) > due:
                text += " (overdue)"
        lines.append(text)
    elif n_m:
        lines.append(f"Maintenance: {n_m} given (no schedule recorded)")
    n_b = int((phase == "booster").sum())
    booster_plan = (course.get("booster_plan") or "").strip()
    if n_b or booster_plan:
        lines.append(f"Boosters: {n_b} given" + (f"; plan: {booster_plan}" if booster_plan else ""))
    return lines


def followup_window(infusion_at: str, settings: dict[str, str | None] | None = None) -> tuple[str, str]:
    """(from, until) for the psychotherapy follow-up after an infusion, default 24-48 h later."""
    settings = settings or {}
    start_h = int(settings.get(SETTING_FOLLOWUP_FROM_H) or DEFAULT_FOLLOWUP_HOURS[0])
    end_h = int(settings.get(SETTING_FOLLOWUP_UNTIL_H) or DEFAULT_FOLLOWUP_HOURS[1])
    if not 0 <= start_h < end_h <= 24 * 14:
        raise ValidationError(
            f"Follow-up window {start_h}-{end_h} h must start at 0 h or later and end after it, within 14 days."
        )
    at = parse_instant(infusion_at)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return (at + timedelta(hours=start_h)).strftime(fmt), (at + timedelta(hours=end_h)).strftime(fmt)


def followup_status(row: dict, *, as_of: str) -> str:
    """'done', 'done late', 'due', 'overdue' or 'upcoming' for one follow-up row."""
    done = row.get("done_at")
    if isinstance(done, str) and done:  # frames hold None or NaN where not done
        return "done late" if done > row["due_until"] else "done"
    now = parse_instant(as_of)
    if now > parse_instant(row["due_until"]):
        return "overdue"
    return "due" if now >= parse_instant(row["due_from"]) else "upcoming"
