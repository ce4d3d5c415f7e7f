"""Plan versus actual, plan checks from [S38], and the follow-up window."""

from __future__ import annotations

import pandas as pd
import pytest

from progress import course
from progress.errors import ValidationError

PLAN = {"planned_induction": 6, "induction_window_days": 21, "maintenance_every_days": 28,
        "planned_maintenance": 4, "booster_plan": "if PHQ-9 rises"}


def infusions(*rows: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame([{"administered_at": at, "phase": ph} for at, ph in rows], columns=["administered_at", "phase"])


def test_plan_versus_actual_during_induction():
    df = infusions(*[(f"2026-01-{d:02d}T10:00:00Z", "induction") for d in (1, 3, 6, 8)])
    assert course.plan_lines(PLAN, df, as_of="2026-01-09T12:00:00Z")[0] == "4 of 6 induction infusions, day 9 of 21"


def test_maintenance_line_gives_next_due_date_and_overdue():
    df = infusions(*[(f"2026-01-{d:02d}T10:00:00Z", "induction") for d in (1, 3, 6, 8, 10, 13)],
                   ("2026-02-10T10:00:00Z", "maintenance"), ("2026-02-20T10:00:00Z", "booster"))
    lines = course.plan_lines(PLAN, df, as_of="2026-03-20T00:00:00Z")
    assert lines[1] == "Maintenance: 1 of 4 given, planned every 28 days; next due 2026-03-10 (overdue)"
    assert lines[2] == "Boosters: 1 given; plan: if PHQ-9 rises"


@pytest.mark.parametrize(
    ("n", "days", "notes"),
    [(6, 21, 0), (4, 7, 0), (8, 28, 0), (3, 21, 1), (6, 35, 1), (10, 60, 2)],
    ids=["6-in-21", "4-in-7", "8-in-28", "3-infusions", "35-days", "both-outside"],
)
def test_plan_outside_4_8_infusions_or_7_28_days_is_noted_S38(n, days, notes):
    assert course.TYPICAL_INDUCTION == (4, 8) and course.TYPICAL_WINDOW_DAYS == (7, 28)
    out = course.check_plan(n, days)
    assert len(out) == notes and all("[S38]" in o for o in out)


@pytest.mark.parametrize(("n", "days"), [(0, 21), (6, 0), (6.5, 21), (6, 21.0)], ids=["zero", "no-window", "fraction", "float-days"])
def test_impossible_plans_are_refused(n, days):
    with pytest.raises(ValidationError):
        course.check_plan(n, days)


def test_followup_window_defaults_to_24_48_hours_and_follows_settings():
    assert course.followup_window("2026-01-01T10:00:00Z") == ("2026-01-02T10:00:00Z", "2026-01-03T10:00:00Z")
    settings = {course.SETTING_FOLLOWUP_FROM_H: "12", course.SETTING_FOLLOWUP_UNTIL_H: "72"}
    assert course.followup_window("2026-01-01T10:00:00Z", settings) == ("2026-01-01T22:00:00Z", "2026-01-04T10:00:00Z")
    with pytest.raises(ValidationError):
        course.followup_window("2026-01-01T10:00:00Z", {course.SETTING_FOLLOWUP_FROM_H: "48", course.SETTING_FOLLOWUP_UNTIL_H: "24"})


@pytest.mark.parametrize(
    ("done_at", "as_of", "status"),
    [(None, "2026-01-01T12:00:00Z", "upcoming"), (None, "2026-01-02T12:00:00Z", "due"),
     (None, "2026-01-04T12:00:00Z", "overdue"), ("2026-01-02T15:00:00Z", "2026-01-09T00:00:00Z", "done"),
     ("2026-01-05T15:00:00Z", "2026-01-09T00:00:00Z", "done late")],
    ids=["upcoming", "due", "overdue", "done", "done-late"],
)
def test_followup_status(done_at, as_of, status):
    row = {"due_from": "2026-01-02T10:00:00Z", "due_until": "2026-01-03T10:00:00Z", "done_at": done_at}
    assert course.followup_status(row, as_of=as_of) == status


def test_followup_status_reads_a_frame_gap_as_not_done():
    row = {"due_from": "2026-01-02T10:00:00Z", "due_until": "2026-01-03T10:00:00Z", "done_at": float("nan")}
    assert course.followup_status(row, as_of="2026-01-04T00:00:00Z") == "overdue"


def test_plan_progress_after_the_window_says_so_instead_of_day_170_of_21():
    import pandas as pd

    from progress.course import plan_progress

    inf = pd.DataFrame({"administered_at": ["2026-01-05T10:00:00Z"] * 4, "phase": ["induction"] * 4})
    plan = {"planned_induction": 6, "induction_window_days": 21}
    assert plan_progress(plan, inf, as_of="2026-01-13T10:00:00Z") == "4 of 6 induction infusions, day 9 of 21"
    assert plan_progress(plan, inf, as_of="2026-06-23T10:00:00Z") == (
        "4 of 6 induction infusions; the 21-day window ended 149 days ago"
    )
