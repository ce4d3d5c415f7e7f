"""What is due (progress/schedule.py): intake baselines, weekly and monthly cadences with their
recall periods [S3][S11][S15][S22][S62], the infusion-day ratings, after a booster, overdue."""

from __future__ import annotations

import pandas as pd
import pytest

from progress import schedule

AS_OF = "2026-03-20T12:00:00Z"


def days_ago(n: float) -> str:
    return (pd.Timestamp(AS_OF) - pd.Timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


def ids(due) -> list[str]:
    return [d.instrument for d in due]


@pytest.mark.parametrize(
    ("indications", "expected"),
    [
        (["depression"], ["phq9"]),
        (["anxiety"], ["phq9", "gad7"]),
        (["PTSD"], ["phq9", "pcl5"]),
        (["chronic pain"], ["phq9", "peg"]),
        (["depression", "anxiety", "PTSD", "chronic pain"], ["phq9", "gad7", "pcl5", "peg"]),
    ],
    ids=["depression", "anxiety-adds-gad7", "ptsd-adds-pcl5", "pain-adds-peg", "all"],
)
def test_intake_asks_every_measure_the_indications_call_for(indications, expected):
    due = schedule.due_now(indications, {}, as_of=AS_OF, phase=None)
    assert ids(due) == expected
    assert {d.context for d in due} == {"intake"}
    assert not any(d.overdue for d in due)


@pytest.mark.parametrize(
    ("instrument", "age", "due", "overdue"),
    [
        ("phq9", 6.9, False, False),
        ("phq9", 7, True, False),
        ("phq9", 10, True, False),
        ("phq9", 10.5, True, True),
        ("pcl5", 27, False, False),  # monthly: a month's recall is not asked again within it [S15]
        ("pcl5", 28, True, False),
        ("pcl5", 32, True, True),
    ],
    ids=["phq9-6.9d", "phq9-7d", "phq9-10d-grace", "phq9-10.5d-overdue", "pcl5-27d", "pcl5-28d", "pcl5-32d-overdue"],
)
def test_cadence_and_grace(instrument, age, due, overdue):
    taken = {i: days_ago(1) for i in ("phq9", "gad7", "pcl5")}
    taken[instrument] = days_ago(age)
    result = {d.instrument: d for d in schedule.due_now(["PTSD"], taken, as_of=AS_OF, phase="induction")}
    assert (instrument in result) is due
    if due:
        assert result[instrument].overdue is overdue
        assert result[instrument].context == "weekly"


@pytest.mark.parametrize(("phase", "context"), [("induction", "weekly"), ("maintenance", "maintenance")],
                         ids=["induction-weekly", "maintenance"])
def test_the_phase_decides_the_context(phase, context):
    due = schedule.due_now(["depression"], {"phq9": days_ago(8), "gad7": days_ago(8)}, as_of=AS_OF, phase=phase)
    assert {d.context for d in due} == {context}


def test_the_first_measure_after_a_booster_is_saved_as_the_booster_one():
    booster = days_ago(3)
    taken = {"phq9": days_ago(8), "gad7": days_ago(2)}  # GAD-7 already done after the booster
    due = schedule.due_now(["depression"], taken, as_of=AS_OF, phase="booster", last_booster_at=booster)
    assert [(d.instrument, d.context) for d in due] == [("phq9", "booster")]
    assert "since the booster" in due[0].reason


def test_infusion_day_asks_before_ratings_then_after_ratings():
    infusion = "2026-03-20T14:00:00Z"
    before = schedule.infusion_day_due(["chronic pain"], as_of="2026-03-20T13:00:00Z", infusion_at=infusion)
    assert [(d.instrument, d.context) for d in before] == [
        ("mood_nrs", "pre_infusion"), ("anxiety_nrs", "pre_infusion"), ("pain_nrs", "pre_infusion")]
    taken = [("mood_nrs", "post_infusion", "2026-03-20T15:10:00Z"), ("anxiety_nrs", "post_infusion", "2026-03-20T13:30:00Z")]
    after = schedule.infusion_day_due(["depression"], as_of="2026-03-20T15:30:00Z", infusion_at=infusion, taken_today=taken)
    # a rating given before the infusion started does not count as the after one
    assert [(d.instrument, d.context) for d in after] == [("anxiety_nrs", "post_infusion")]


def test_infusion_day_ratings_never_include_two_week_or_monthly_questionnaires():
    due = schedule.infusion_day_due(["PTSD", "chronic pain"], as_of="2026-03-20T13:00:00Z", infusion_at="2026-03-20T14:00:00Z")
    assert not set(ids(due)) & set(schedule.CADENCE)


def test_no_infusion_today_means_no_infusion_day_ratings():
    assert schedule.infusion_day_due(["depression"], as_of=AS_OF, infusion_at="2026-03-19T14:00:00Z") == []
    assert schedule.infusion_day_due(["depression"], as_of=AS_OF, infusion_at=None) == []


def test_caseload_due_lists_overdue_first_and_skips_inactive_patients():
    frame = pd.DataFrame(
        [
            # patient, indications, status, phase, last infusion, instrument, latest_at
            ("a", "depression", "active", "induction", days_ago(2), "phq9", days_ago(8)),
            ("a", "depression", "active", "induction", days_ago(2), "gad7", days_ago(1)),
            ("b", "depression", "active", "maintenance", days_ago(9), "phq9", days_ago(30)),
            ("b", "depression", "active", "maintenance", days_ago(9), "gad7", days_ago(30)),
            ("c", "depression", "discharged", "maintenance", days_ago(9), "phq9", days_ago(30)),
            ("d", "PTSD", "active", None, None, None, None),
        ],
        columns=["patient_id", "indications", "patient_status", "phase", "last_infusion_at", "instrument", "latest_at"],
    )
    due = schedule.caseload_due(frame, as_of=AS_OF)
    assert list(zip(due["patient_id"], due["instrument"], due["overdue"], strict=True)) == [
        ("b", "phq9", True), ("a", "phq9", False), ("d", "phq9", False), ("d", "pcl5", False),
    ]
    assert set(due.loc[due["patient_id"] == "d", "context"]) == {"intake"}


def test_caseload_due_of_an_empty_caseload_keeps_its_columns():
    assert list(schedule.caseload_due(pd.DataFrame(), as_of=AS_OF).columns) == [
        "patient_id", "instrument", "context", "reason", "overdue"]


def test_later_measures_in_the_booster_phase_are_maintenance_ones():
    booster = days_ago(20)
    taken = {"phq9": days_ago(9), "gad7": days_ago(9)}  # both already done once after the booster
    due = schedule.due_now(["depression"], taken, as_of=AS_OF, phase="booster", last_booster_at=booster)
    assert {d.context for d in due} == {"maintenance"}


def test_a_measure_never_completed_once_infusions_started_is_overdue():
    due = schedule.due_now(["PTSD"], {"phq9": days_ago(1), "gad7": days_ago(1)}, as_of=AS_OF, phase="induction")
    assert [(d.instrument, d.overdue) for d in due] == [("pcl5", True)]
    assert "since infusions started" in due[0].reason
