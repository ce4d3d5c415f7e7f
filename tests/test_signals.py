"""Signal rules on small hand-made series: raise, don't raise, raise once, re-arm."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from progress import signals as S
from progress.signal_rules import (
    CONFIRMED_RELAPSE,
    CUSUM,
    DEFAULT_RULES,
    RELAPSE_RULE,
    SUSTAIN_BASELINE,
    thresholds,
)

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)


def _at(day: float) -> str:
    return (T0 + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")


def course(weekly: list[float], *, intake: float = 20, boosters: tuple[int, ...] = (), extra=()) -> S.History:
    """Intake score, 6 induction infusions over 11 days, then one PHQ-9 a week from day 19."""
    points = [S.Point(_at(-3), intake)]
    points += [S.Point(_at(19 + 7 * w), x) for w, x in enumerate(weekly)]
    infusions = [S.Infusion(_at(d + 0.1), "induction") for d in (0, 2, 4, 7, 9, 11)]
    infusions += [S.Infusion(_at(19 + 7 * w - 1), "booster") for w in boosters]
    infusions.sort(key=lambda i: i.at)
    return S.History("P1", {"phq9": sorted(points + list(extra), key=lambda p: p.at)}, infusions)


def boosters(signals):
    return [s for s in signals if s.kind == S.BOOSTER_REVIEW]


STABLE = [5, 4, 6, 5, 4, 5, 6, 5]


def test_thresholds_come_from_the_declarations():
    th = thresholds("phq9")
    assert (th.caseness, th.reliable_change) == (10, 6)
    assert th.sem == pytest.approx(6 / (1.96 * 2**0.5))  # about 2.16 points
    assert thresholds("gad7").caseness == 8 and thresholds("pcl5").caseness == 33


def test_stable_maintenance_raises_nothing():
    assert boosters(S.evaluate(course(STABLE * 3))) == []


def test_a_single_bad_week_raises_nothing():
    assert boosters(S.evaluate(course(STABLE + [15] + STABLE))) == []


def test_a_relapse_raises_one_booster_review_with_the_numbers_in_its_reason():
    found = boosters(S.evaluate(course(STABLE + [13, 14, 15, 16, 17, 16])))
    assert len(found) == 1  # once per episode, not every week while it holds
    sig = found[0]
    assert sig.detector == RELAPSE_RULE and sig.active
    assert sig.at == _at(19 + 7 * 9)  # the second high check-in confirms
    assert "13 and 14" in sig.reason and "caseness cut-off of 10" in sig.reason
    assert "post-induction level of 5" in sig.reason and "review suggested" in sig.reason
    assert sig.points == (_at(19 + 7 * 8), _at(19 + 7 * 9))


def test_no_booster_review_before_response():
    # never reached a 50 % reduction from the intake score of 20: nothing to lose
    assert boosters(S.evaluate(course([14, 13, 15, 14, 13, 12, 14, 16, 17, 18]))) == []


def test_re_armed_after_recovery_then_raised_again():
    weekly = STABLE + [14, 15, 15] + [5, 4] + STABLE + [14, 16, 15]
    found = boosters(S.evaluate(course(weekly)))
    assert len(found) == 2
    assert not found[0].active and found[1].active


def test_a_booster_infusion_closes_the_episode_and_re_arms():
    weekly = STABLE + [14, 15, 15, 16] + [12, 11, 12, 13, 12]
    no_booster = boosters(S.evaluate(course(weekly)))
    with_booster = boosters(S.evaluate(course(weekly, boosters=(12,))))
    assert len(no_booster) == 1 and no_booster[0].active
    assert len(with_booster) == 1 and not with_booster[0].active


def test_the_sustain_baseline_fires_where_the_personal_rules_hold_back():
    # a partial responder hovering at caseness: 10s and 11s are this patient's usual level
    weekly = [10, 9, 10, 11, 10, 9, 11, 10, 11, 10, 9, 10]
    hist = course(weekly, intake=24)
    assert boosters(S.evaluate(hist)) == []
    baseline = boosters(S.evaluate(hist, replace(DEFAULT_RULES, booster_detectors=(SUSTAIN_BASELINE,))))
    assert len(baseline) >= 1 and "SUSTAIN-style" in baseline[0].reason


def test_cusum_catches_a_slow_rise_that_stays_below_caseness():
    weekly = [2, 3, 2, 3, 2, 3, 2, 5, 6, 7, 8, 8, 9, 9]
    found = boosters(S.evaluate(course(weekly)))
    assert [s.detector for s in found] == [CUSUM]
    assert "CUSUM above 3.5" in found[0].reason and len(found[0].points) >= 2


def test_confirmed_relapse_accepts_a_missed_week_between_the_two_scores():
    weekly = STABLE + [13]
    hist = course(weekly, extra=[S.Point(_at(19 + 7 * 10), 14)])  # next check-in 14 days later
    found = boosters(S.evaluate(hist, replace(DEFAULT_RULES, booster_detectors=(CONFIRMED_RELAPSE,))))
    assert len(found) == 1 and "14 days apart" in found[0].reason


def test_deterioration_from_baseline_once_and_re_armed():
    hist = S.History("P1", {"phq9": [S.Point(_at(d), x) for d, x in [(0, 8), (7, 14), (14, 15), (21, 9), (28, 10), (35, 15)]]})
    found = [s for s in S.evaluate(hist) if s.kind == S.DETERIORATION]
    assert [s.at for s in found] == [_at(7), _at(35)]
    assert "6 points above the baseline of 8" in found[0].reason and not found[0].active


def test_not_on_track_uses_published_figures_without_clinic_history():
    points = [S.Point(_at(-3), 20), S.Point(_at(4.5), 19), S.Point(_at(9.5), 18)]
    infusions = [S.Infusion(_at(d + 0.1), "induction") for d in (0, 2, 4, 7, 9)]
    found = [s for s in S.evaluate(S.History("P1", {"phq9": points}, infusions)) if s.kind == S.NOT_ON_TRACK]
    assert len(found) == 1
    # after 5 infusions the published anchor expects 20 * (1 - 0.5 * 5/6) = 11.7; 18 > 11.7 + 6
    assert "after 5 induction infusions" in found[0].reason and "published figures" in found[0].reason
    assert found[0].active  # induction still running


def test_not_on_track_closes_when_induction_ends():
    points = [S.Point(_at(-3), 20), S.Point(_at(9.5), 18), S.Point(_at(30), 9)]
    infusions = [S.Infusion(_at(d + 0.1), "induction") for d in (0, 2, 4, 7, 9)]
    found = [s for s in S.evaluate(S.History("P1", {"phq9": points}, infusions)) if s.kind == S.NOT_ON_TRACK]
    assert len(found) == 1 and not found[0].active


def test_not_on_track_uses_the_clinics_own_history_when_there_is_enough():
    points = [S.Point(_at(-3), 20), S.Point(_at(4.5), 16)]
    infusions = [S.Infusion(_at(d + 0.1), "induction") for d in (0, 2, 4)]
    history = S.History("P1", {"phq9": points}, infusions)
    rules = replace(DEFAULT_RULES, trajectory={3: (0.3, 45)})  # 80 % of 45 courses lost >= 30 %
    found = [s for s in S.evaluate(history, rules) if s.kind == S.NOT_ON_TRACK]
    assert len(found) == 1 and "80 % of this clinic's courses (45 reached infusion 3)" in found[0].reason
    assert [s for s in S.evaluate(history) if s.kind == S.NOT_ON_TRACK] == []  # 16 < 15 + 6


def test_every_alert_is_a_safety_signal():
    alert = S.Alert(_at(3), "safety", "high", "PHQ-9 item 9 answered 'Nearly every day'", "open", 7)
    found = S.evaluate(S.History("P1", {}, [], [alert]))
    assert [(s.kind, s.severity, s.active) for s in found] == [(S.SAFETY, "high", True)]
    closed = S.evaluate(S.History("P1", {}, [], [replace(alert, status="resolved")]))
    assert closed[0].active is False


def test_signal_json_shape():
    sig = boosters(S.evaluate(course(STABLE + [13, 14])))[0]
    data = sig.as_json()
    assert {"patient_id", "instrument", "kind", "at", "reason", "severity", "points"} <= set(data)
    assert data["at"] == sig.at[:10] and data["kind"] == "booster_review"


def test_wording_is_a_review_prompt_never_advice():
    hist = course(STABLE + [13, 14, 15] + [4, 5] + [2, 3, 2, 5, 6, 7, 8, 8, 9, 9])
    for sig in S.evaluate(hist):
        text = sig.reason.lower()
        assert "review" in text
        assert not any(word in text for word in ("diagnos", "increase the dose", "give a booster", "mg"))


def test_clinic_trajectory_reference_is_the_80th_percentile_score():
    from progress import trajectory

    courses = [(20.0, [(3, 20 - r)]) for r in range(10)]  # reductions 0 %, 5 %, ... 45 %
    ref = trajectory.reference(courses)
    assert ref[3][1] == 10 and ref[3][0] == pytest.approx(0.09)  # 20th percentile of reductions
    points = trajectory.course_points(
        [(_at(1), 18), (_at(1.5), 17), (_at(3), 15), (_at(20), 5)], [_at(0), _at(2), _at(4)]
    )
    assert points == [(1, 17), (2, 15)]  # the day-20 score is more than a week after infusion 3
