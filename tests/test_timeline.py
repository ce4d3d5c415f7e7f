"""The course timeline puts every score and every course event on one time axis."""

from __future__ import annotations

import pytest

from progress import REGISTRY, score, store, timeline
from progress.sessions import Reading, SessionDetails

ACTOR = store.Actor(None, "therapist", "test")


@pytest.fixture
def course(db):
    store.add_patient(db, "P1", indications=["depression"], created_at="2026-03-01T09:00:00Z")
    phq = score("phq9", {f"phq9_{i}": 2 for i in range(1, 10)} | {"phq9_9": 1})
    store.save_assessment(db, "P1", phq, administered_at="2026-03-01T10:00:00Z", context="intake")
    store.save_assessment(db, "P1", score("mood_nrs", {"mood_nrs_1": 7}), administered_at="2026-03-02T09:30:00Z", context="pre_infusion")
    s = store.record_session(
        db, "P1", administered_at="2026-03-02T10:00:00Z", route="IV", phase="induction", dose_mg_per_kg=0.5, actor=ACTOR,
        details=SessionDetails(vitals={"before": Reading(120, 80, 70), "during": Reading(190, 95, 90)},
                               side_effects={"nausea or vomiting": "mild", "seizure": "moderate"}),
    )
    store.complete_followup(db, s.followup_id, ACTOR, "2026-03-03T12:00:00Z")
    return db


def frames(db):
    return (store.load_series(db, "P1"), store.list_sessions(db, "P1"), store.list_followups(db, "P1"),
            store.list_alerts(db, patient_ids=["P1"]))


def test_events_cover_infusions_effects_flags_followups_and_alerts(course):
    series, sessions, followups, alerts = frames(course)
    events = timeline.course_events(sessions, followups, alerts)
    counts = events["lane"].value_counts().to_dict()
    assert counts == {"Infusions": 1, "Side effects": 2, "Vitals flags": 2, "Psychotherapy": 1, "Alerts": 3}
    assert list(events["at"]) == sorted(events["at"])
    assert any("seizure (moderate)" in label for label in events["label"])


def test_figure_has_every_score_and_event_as_labelled_points(course):
    series, sessions, followups, alerts = frames(course)
    events = timeline.course_events(sessions, followups, alerts)
    fig = timeline.timeline_figure(series, events, REGISTRY)
    score_text = [t for tr in fig.data if tr.meta == "score" for t in tr.text]
    event_text = [t for tr in fig.data if tr.meta != "score" for t in tr.text]
    assert len(score_text) == len(series) == 2
    assert sorted(event_text) == sorted(events["label"])
    phq = next(tr for tr in fig.data if tr.name == "PHQ-9")
    assert list(phq.y) == [round(100 * 17 / 27, 1)]  # 8 items x 2 + item 9 = 17, as % of 0-27


def test_empty_course_draws_an_empty_note(db):
    store.add_patient(db, "P2", indications=["depression"], created_at="2026-03-01T09:00:00Z")
    series, sessions, followups, alerts = (store.load_series(db, "P2"), store.list_sessions(db, "P2"),
                                           store.list_followups(db, "P2"), store.list_alerts(db, patient_ids=["P2"]))
    fig = timeline.timeline_figure(series, timeline.course_events(sessions, followups, alerts), REGISTRY)
    assert fig.data == () and "Nothing recorded" in fig.layout.annotations[0].text


def test_session_table_summarises_each_session(course):
    table = timeline.session_table(store.list_sessions(course, "P1"))
    row = table.iloc[0]
    assert row["BP·HR before"] == "120/80 · 70" and row["BP·HR ~40 min"] == "190/95 · 90"
    assert row["side effects"] == "nausea or vomiting (mild), seizure (moderate)"
    assert "[S31]" in row["flags"] and "[S46b]" in row["flags"]
    assert row["check-ins before/after"] == "1/0"


def test_followups_mixing_done_and_pending_are_placed_by_their_own_times(course):
    store.record_session(course, "P1", administered_at="2026-03-05T10:00:00Z", route="IV", phase="induction",
                         dose_mg_per_kg=0.5, details=SessionDetails(), actor=ACTOR)
    series, sessions, followups, alerts = frames(course)
    events = timeline.course_events(sessions, followups, alerts)
    therapy = events[events["lane"] == "Psychotherapy"]
    assert list(therapy["at"]) == ["2026-03-03T12:00:00Z", "2026-03-06T10:00:00Z"]
    assert ["done" in t for t in therapy["label"]] == [True, False]
