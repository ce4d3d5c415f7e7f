"""Session records, their alerts, follow-ups and check-in links: one transaction each."""

from __future__ import annotations

import pytest

from progress import score, store
from progress.errors import ValidationError
from progress.sessions import Reading, SessionDetails

pytestmark = pytest.mark.both_backends

ACTOR = store.Actor(None, "therapist", "test")
AT = "2026-03-02T10:00:00Z"


@pytest.fixture
def clinic(db):
    store.add_patient(db, "P1", indications=["depression"], created_at="2026-03-01T09:00:00Z")
    return db


def save(db, details: SessionDetails, **kw):
    args = dict(administered_at=AT, route="IV", phase="induction", details=details, dose_mg_per_kg=0.5, actor=ACTOR)
    args.update(kw)
    return store.record_session(db, "P1", **args)


def test_session_round_trip_with_vitals_and_severities(clinic):
    details = SessionDetails(duration_min=40, observation_min=60, driver=True, cadss6=7,
                             vitals={"before": Reading(118, 76, 70), "during": Reading(132, 84, 82)},
                             side_effects={"dissociation": "moderate", "headache": "mild"})
    saved = save(clinic, details)
    row = store.list_sessions(clinic, "P1").iloc[0].to_dict()
    assert row["id"] == saved.infusion_id and row["number"] == 1
    assert row["severities"] == {"dissociation": "moderate", "headache": "mild"}
    assert row["side_effects"] == ["dissociation", "headache"]
    assert row["vitals"]["during"] == {"systolic": 132, "diastolic": 84, "heart_rate": 82}
    assert store.session_details(row) == details
    assert saved.alert_ids == () and saved.flags == ()


@pytest.mark.parametrize(
    ("details", "kinds"),
    [
        (SessionDetails(vitals={"before": Reading(120, 80, 70), "during": Reading(170, 90, 80)}), {"vitals"}),
        (SessionDetails(side_effects={"respiratory depression": "severe"}), {"side_effect"}),
        (SessionDetails(side_effects={"seizure": "mild"}, vitals={"discharge": Reading(190, 100, 90)}), {"vitals", "side_effect"}),
        (SessionDetails(side_effects={"nausea or vomiting": "severe"}), set()),
    ],
    ids=["bp-rise", "serious-effect", "both", "common-only"],
)
def test_flags_and_serious_effects_raise_alerts_with_audit(clinic, details, kinds):
    saved = save(clinic, details)
    alerts = store.list_alerts(clinic, patient_ids=["P1"])
    assert set(alerts["kind"]) == kinds and len(saved.alert_ids) == len(kinds)
    actions = list(store.audit_events(clinic, "P1")["action"])
    assert actions.count("alert.create") == len(kinds) and "session.create" in actions


def test_a_failing_session_writes_nothing(clinic):
    with pytest.raises(ValidationError):
        save(clinic, SessionDetails(), route="intranasal", dose_mg=56.0, dose_mg_per_kg=None)  # no lot
    assert [clinic.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("infusions", "followups")] == [0, 0]


def test_followup_is_scheduled_24_to_48_h_after_and_marked_done(clinic):
    saved = save(clinic, SessionDetails())
    f = store.list_followups(clinic, "P1").iloc[0]
    assert (f["due_from"], f["due_until"]) == ("2026-03-03T10:00:00Z", "2026-03-04T10:00:00Z")
    store.schedule_followup(clinic, saved.followup_id, "2026-03-03T15:00:00Z", ACTOR, "2026-03-02T12:00:00Z")
    store.complete_followup(clinic, saved.followup_id, ACTOR, "2026-03-03T16:00:00Z", "integration session")
    f = store.list_followups(clinic, "P1").iloc[0]
    assert (f["scheduled_at"], f["done_at"], f["note"]) == ("2026-03-03T15:00:00Z", "2026-03-03T16:00:00Z", "integration session")
    with pytest.raises(ValidationError, match="already marked done"):
        store.complete_followup(clinic, saved.followup_id, ACTOR, "2026-03-04T16:00:00Z")


def test_follow_up_window_comes_from_the_clinic_setting(clinic):
    store.set_setting(clinic, "followup.from_hours", "6")
    store.set_setting(clinic, "followup.until_hours", "30")
    save(clinic, SessionDetails())
    f = store.list_followups(clinic, "P1").iloc[0]
    assert (f["due_from"], f["due_until"]) == ("2026-03-02T16:00:00Z", "2026-03-03T16:00:00Z")


def test_same_day_check_ins_are_linked_before_and_after(clinic):
    mood = score("mood_nrs", {"mood_nrs_1": 6})
    store.save_assessment(clinic, "P1", mood, administered_at="2026-03-02T09:40:00Z", context="pre_infusion")
    store.save_assessment(clinic, "P1", mood, administered_at="2026-03-01T09:40:00Z", context="pre_infusion")
    saved = save(clinic, SessionDetails())
    assert saved.linked_checkins == 1  # not the day before
    store.save_assessment(clinic, "P1", mood, administered_at="2026-03-02T12:10:00Z", context="post_infusion")
    assert store.link_checkins(clinic, saved.infusion_id, ACTOR, "2026-03-02T12:15:00Z") == 1
    row = store.list_sessions(clinic, "P1").iloc[0]
    assert (row["n_pre"], row["n_post"]) == (1, 1)


def test_clinic_vitals_settings_apply_to_saved_sessions(clinic):
    store.set_setting(clinic, "vitals.hr_max", "100")
    saved = save(clinic, SessionDetails(vitals={"during": Reading(120, 80, 115)}))
    assert len(saved.flags) == 1 and "clinic setting" in saved.flags[0]


def test_plan_round_trip_and_update_is_audited(clinic):
    cid = store.add_course(clinic, "P1", started_at=AT, route="IV", planned_induction=6, induction_window_days=21,
                           maintenance_every_days=28, booster_plan="review at relapse", actor=ACTOR)
    store.update_plan(clinic, cid, planned_induction=8, induction_window_days=28, maintenance_every_days=14,
                      planned_maintenance=4, actor=ACTOR, at=AT)
    c = store.latest_course(clinic, "P1")
    assert (c["planned_induction"], c["induction_window_days"], c["maintenance_every_days"], c["planned_maintenance"]) == (8, 28, 14, 4)
    assert {"course.create", "course.plan"} <= set(store.audit_events(clinic, "P1")["action"])
    with pytest.raises(ValidationError):
        store.update_plan(clinic, cid, planned_induction=0, induction_window_days=28, actor=ACTOR, at=AT)
    store.update_plan(clinic, cid, planned_induction=8, induction_window_days=28, route="intranasal", actor=ACTOR, at=AT)
    assert store.latest_course(clinic, "P1")["route"] == "intranasal"
    with pytest.raises(ValidationError, match="route"):
        store.update_plan(clinic, cid, planned_induction=8, induction_window_days=28, route="SC", actor=ACTOR, at=AT)
