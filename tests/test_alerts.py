"""The safety workflow's pure rules (progress/alerts.py): states, resolution notes, business-day
escalation windows. Clinical basis: clinical-reference.md §5 design notes 2-4 and 6 [S59][S58][S61]."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from progress import alerts
from progress.alerts import Resolution
from progress.errors import ValidationError

# 2026-03-02 is a Monday; 03-06 Friday, 03-07 Saturday, 03-08 Sunday.
MON, FRI, SAT, SUN = "2026-03-02T10:00:00Z", "2026-03-06T16:00:00Z", "2026-03-07T12:00:00Z", "2026-03-08T23:00:00Z"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# -- state machine --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("current", "action", "expected"),
    [("open", "acknowledge", "acknowledged"), ("acknowledged", "resolve", "resolved")],
    ids=["open-acknowledge", "acknowledged-resolve"],
)
def test_allowed_moves_go_forward_one_step(current, action, expected):
    assert alerts.next_state(current, action) == expected


@pytest.mark.parametrize(
    ("current", "action", "message"),
    [
        ("open", "resolve", "Acknowledge it first"),
        ("acknowledged", "acknowledge", "already acknowledged"),
        ("resolved", "acknowledge", "never reopened"),
        ("resolved", "resolve", "already resolved"),
        ("open", "delete", "not one of acknowledge, resolve"),
        ("open", "close", "not one of"),
        ("snoozed", "acknowledge", "state 'snoozed'"),
    ],
    ids=["skip-acknowledge", "ack-twice", "reopen-resolved", "resolve-twice", "delete", "silent-close", "unknown-state"],
)
def test_every_other_move_is_refused_with_a_reason(current, action, message):
    with pytest.raises(ValidationError, match=message):
        alerts.next_state(current, action)


def test_no_action_leads_back_or_removes_an_alert():
    assert set(alerts.TRANSITIONS) == {"acknowledge", "resolve"}
    order = {s: i for i, s in enumerate(alerts.STATES)}
    assert all(order[end] == order[start] + 1 for start, end in alerts.TRANSITIONS.values())


# -- resolution note --------------------------------------------------------------------------

GOOD = Resolution("C-SSRS screener", "low", True, True, "routine follow-up", "  Called; safety plan reviewed.  ")


def test_a_complete_note_is_accepted_and_trimmed():
    assert alerts.check_resolution(GOOD, kind="safety").note == "Called; safety plan reviewed."


@pytest.mark.parametrize(
    ("change", "kind", "message"),
    [
        ({"note": "   "}, "safety", "needs a note"),
        ({"disposition": "discharged"}, "safety", "Disposition 'discharged'"),
        ({"risk_assessment": "gut feeling"}, "safety", "How risk was assessed"),
        ({"risk_assessment": alerts.RISK_ASSESSMENTS[-1]}, "safety", "needs a risk assessment"),
        ({"risk_level": "not applicable"}, "safety", "needs a risk level"),
        ({"safety_plan_reviewed": None}, "safety", "Safety plan reviewed must be answered"),
        ({"means_counselling": "yes"}, "vitals", "Means-safety counselling must be answered"),
        ({"note": ""}, "vitals", "needs a note"),
    ],
    ids=["blank-note", "unknown-disposition", "unknown-method", "safety-without-assessment",
         "safety-without-level", "plan-unanswered", "counselling-not-bool", "vitals-blank-note"],
)
def test_an_incomplete_note_is_refused(change, kind, message):
    fields = {**GOOD.__dict__, **change}
    with pytest.raises(ValidationError, match=message):
        alerts.check_resolution(Resolution(**fields), kind=kind)


def test_a_vitals_alert_may_mark_the_suicide_risk_fields_not_applicable():
    note = Resolution(alerts.RISK_ASSESSMENTS[-1], "not applicable", False, False, "urgent appointment", "BP rechecked")
    assert alerts.check_resolution(note, kind="vitals").disposition == "urgent appointment"


# -- escalation windows ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (MON, 1, "2026-03-03T10:00:00Z"),
        (MON, 3, "2026-03-05T10:00:00Z"),
        (FRI, 1, "2026-03-09T16:00:00Z"),  # Friday afternoon -> Monday afternoon
        (SAT, 1, "2026-03-10T00:00:00Z"),  # weekend: the clock starts Monday 00:00
        (SUN, 1, "2026-03-10T00:00:00Z"),
        (MON, 5, "2026-03-09T10:00:00Z"),  # a whole working week
        (MON, 0, "2026-03-03T00:00:00Z"),  # "same business day": end of that day
        (SAT, 0, "2026-03-10T00:00:00Z"),
    ],
    ids=["mon+1", "mon+3", "fri+1-skips-weekend", "sat+1", "sun+1", "mon+5", "mon-same-day", "sat-same-day"],
)
def test_business_days_skip_weekends(start, days, expected):
    assert alerts.add_business_days(start, days) == utc(expected)


def test_the_clinic_time_zone_decides_which_day_an_alert_was_raised():
    # Friday 21:00 in Toronto is Saturday 02:00 UTC: a Friday alert for a Toronto clinic.
    toronto = ZoneInfo("America/Toronto")
    friday_evening = "2026-02-14T02:00:00Z"
    assert alerts.add_business_days(friday_evening, 1, zone=toronto) == utc("2026-02-17T02:00:00Z")
    assert alerts.add_business_days(friday_evening, 1) == utc("2026-02-17T00:00:00Z")


@pytest.mark.parametrize(
    ("status", "as_of", "expected"),
    [
        ("open", "2026-03-03T09:59:59Z", False),
        ("open", "2026-03-03T10:00:00Z", True),
        ("acknowledged", "2026-03-20T10:00:00Z", False),
        ("resolved", "2026-03-20T10:00:00Z", False),
    ],
    ids=["open-just-before", "open-at-deadline", "acknowledged-never", "resolved-never"],
)
def test_only_unacknowledged_alerts_past_the_window_escalate(status, as_of, expected):
    assert alerts.is_escalated(status, MON, as_of=as_of, days=1) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 1), ("", 1), ("2", 2), (" 0 ", 0)],
    ids=["unset-default-1", "blank-default-1", "two", "zero-same-day"],
)
def test_the_window_setting_defaults_to_one_business_day(value, expected):
    assert alerts.escalation_days({alerts.ESCALATION_SETTING: value}) == expected


@pytest.mark.parametrize("value", ["one", "-1", "1.5"], ids=["word", "negative", "fraction"])
def test_a_broken_window_setting_is_refused(value):
    with pytest.raises(ValidationError, match=alerts.ESCALATION_SETTING):
        alerts.escalation_days({alerts.ESCALATION_SETTING: value})


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ValidationError, match="Mars/Olympus"):
        alerts.clinic_zone("Mars/Olympus")
