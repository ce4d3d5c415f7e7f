"""The safety workflow's rules: alert states, the resolution note, and escalation windows.

Pure functions, no database, no clock: "as of" is always a parameter. The store applies these
rules (``progress.store.alerts``); the pages only call the store.

- States (clinical-reference.md §5, design notes 2 and 6 [S59][S58][S61]): ``open`` ->
  ``acknowledged`` -> ``resolved``, each step with who and when and an audit event. Nothing goes
  back, nothing is skipped, nothing is deleted: a resolved alert stays on the record.
- Resolving needs the documentation fields of §5 design note 4: how risk was assessed, the risk
  level, whether the safety plan was reviewed, means-safety counselling, the disposition, and a
  free-text note.
- Escalation (§5 design note 3, "within a clinic-configured window (e.g., same business day)"):
  an alert still ``open`` (not acknowledged) once ``alert_escalation_business_days`` business
  days have passed since it was raised is escalated to the clinic leads. Weekends do not count;
  the clinic's own time zone (setting ``clinic_timezone``) decides where a day begins.

The severity of a PHQ-9 item-9 alert (1 -> moderate, 2-3 -> high [S59]) has one definition,
``progress.store.assessments._safety_alert``; it is not repeated here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from progress.errors import ValidationError
from progress.timeutil import parse_instant

STATES = ("open", "acknowledged", "resolved")
# action -> (state it starts from, state it leads to)
TRANSITIONS: dict[str, tuple[str, str]] = {
    "acknowledge": ("open", "acknowledged"),
    "resolve": ("acknowledged", "resolved"),
}

# §5 design note 4 [S59][S58][S61]: "risk assessment performed (C-SSRS / clinical interview),
# risk level, safety plan reviewed/updated, means-safety counselling, disposition (routine
# follow-up / urgent appointment / ED / emergency services)".
RISK_ASSESSMENTS = ("C-SSRS screener", "clinical interview", "not applicable (not a suicide-risk alert)")
RISK_LEVELS = ("low", "moderate", "high", "not applicable")
DISPOSITIONS = ("routine follow-up", "urgent appointment", "emergency department", "emergency services")

ESCALATION_SETTING = "alert_escalation_business_days"
TIMEZONE_SETTING = "clinic_timezone"
# The default: one business day (§5 design note 3 gives "same business day" as an
# example; a clinic sets its own window).
DEFAULT_ESCALATION_BUSINESS_DAYS = 1
DEFAULT_TIMEZONE = "UTC"


@dataclass(frozen=True)
class Resolution:
    """The note a clinician writes to resolve an alert (§5 design note 4)."""

    risk_assessment: str
    risk_level: str
    safety_plan_reviewed: bool
    means_counselling: bool
    disposition: str
    note: str


def next_state(current: str, action: str) -> str:
    """The state ``action`` leads to from ``current``; refuses any other move."""
    if current not in STATES:
        raise ValidationError(f"Alert state {current!r} is not one of {', '.join(STATES)}.")
    if action not in TRANSITIONS:
        raise ValidationError(f"Alert action {action!r} is not one of {', '.join(TRANSITIONS)}.")
    start, end = TRANSITIONS[action]
    if current != start:
        if current == "resolved":
            raise ValidationError("This alert is already resolved; a resolved alert is never reopened or changed.")
        if STATES.index(current) >= STATES.index(end):
            raise ValidationError(f"This alert is already {current}.")
        raise ValidationError(f"An alert can only be {end} once it is {start}; this one is {current}. Acknowledge it first.")
    return end


def check_resolution(resolution: Resolution, *, kind: str) -> Resolution:
    """Validate a resolution note for an alert of ``kind``; return it with the note trimmed.

    A suicide-risk (``safety``) alert needs a real risk assessment and risk level; other alerts
    (vitals, side effects) may mark those "not applicable". Every alert needs a disposition and
    a written note: an alert is never closed silently.
    """
    _choice("How risk was assessed", resolution.risk_assessment, RISK_ASSESSMENTS)
    _choice("Risk level", resolution.risk_level, RISK_LEVELS)
    _choice("Disposition", resolution.disposition, DISPOSITIONS)
    for name, value in (("Safety plan reviewed", resolution.safety_plan_reviewed),
                        ("Means-safety counselling", resolution.means_counselling)):
        if not isinstance(value, bool):
            raise ValidationError(f"{name} must be answered yes or no, not {value!r}.")
    if kind == "safety":
        if resolution.risk_assessment == RISK_ASSESSMENTS[-1]:
            raise ValidationError("A suicide-risk alert needs a risk assessment (C-SSRS screener or clinical interview).")
        if resolution.risk_level == RISK_LEVELS[-1]:
            raise ValidationError("A suicide-risk alert needs a risk level (low, moderate or high).")
    note = (resolution.note or "").strip()
    if not note:
        raise ValidationError("Resolving an alert needs a note saying what was done.")
    return Resolution(
        resolution.risk_assessment, resolution.risk_level, resolution.safety_plan_reviewed,
        resolution.means_counselling, resolution.disposition, note,
    )


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValidationError(f"{name} {value!r} is not one of: {'; '.join(allowed)}.")


def escalation_days(settings: Mapping[str, str | None]) -> int:
    """The clinic's window in business days, from the ``settings`` table's text value."""
    raw = settings.get(ESCALATION_SETTING)
    if raw is None or str(raw).strip() == "":
        return DEFAULT_ESCALATION_BUSINESS_DAYS
    try:
        days = int(str(raw).strip())
    except ValueError:
        raise ValidationError(f"Setting {ESCALATION_SETTING} {raw!r} must be a whole number of business days.") from None
    if days < 0:
        raise ValidationError(f"Setting {ESCALATION_SETTING} {raw!r} must be 0 or more business days.")
    return days


def clinic_zone(name: str | None) -> ZoneInfo:
    """The clinic's time zone (setting ``clinic_timezone``, an IANA name; UTC when unset)."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"Setting {TIMEZONE_SETTING} {name!r} is not a time-zone name such as America/Toronto.") from None


def add_business_days(start: str, days: int, *, zone: ZoneInfo | None = None) -> datetime:
    """The instant ``days`` business days after ``start`` (Monday to Friday; weekends skipped).

    An alert raised on a Saturday or Sunday starts its clock at 00:00 on the Monday after, so
    a weekend never uses up the window. With ``days`` = 0 the deadline is the end of the
    business day the alert was raised on ("same business day").
    """
    zone = zone or ZoneInfo(DEFAULT_TIMEZONE)
    local = parse_instant(start).astimezone(zone)
    if local.weekday() >= 5:
        local = datetime.combine(local.date() + timedelta(days=7 - local.weekday()), time(0), zone)
    if days == 0:
        return datetime.combine(local.date() + timedelta(days=1), time(0), zone)
    moved = local
    remaining = days
    while remaining:
        moved += timedelta(days=1)
        if moved.weekday() < 5:
            remaining -= 1
    return moved


def escalation_due_at(created_at: str, days: int, *, zone: ZoneInfo | None = None) -> datetime:
    """When an alert raised at ``created_at`` escalates if nobody has acknowledged it."""
    return add_business_days(created_at, days, zone=zone)


def is_escalated(
    status: str, created_at: str, *, as_of: str, days: int, zone: ZoneInfo | None = None
) -> bool:
    """True when an alert is still open (unacknowledged) past the clinic's window at ``as_of``."""
    if status != "open":
        return False
    return parse_instant(as_of) >= escalation_due_at(created_at, days, zone=zone)


__all__ = [
    "DEFAULT_ESCALATION_BUSINESS_DAYS", "DISPOSITIONS", "ESCALATION_SETTING", "RISK_ASSESSMENTS",
    "RISK_LEVELS", "Resolution", "STATES", "TIMEZONE_SETTING", "TRANSITIONS", "add_business_days",
    "check_resolution", "clinic_zone", "escalation_days", "escalation_due_at", "is_escalated",
    "next_state",
]
