"""The alert lifecycle in the store (progress/store/alerts.py): who and when for each step, an
audit event per state change, escalation recorded once, and no way to delete, reopen or silently
close an alert, not even with raw SQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from progress import alerts as rules
from progress import store
from progress.errors import ValidationError
from progress.scoring import score
from progress.store import Actor

pytestmark = pytest.mark.both_backends

ROOT = Path(__file__).resolve().parents[1]
T0 = "2026-03-01T08:00:00Z"
MON = "2026-03-02T10:00:00Z"  # a Monday
NOTE = rules.Resolution("clinical interview", "low", True, True, "routine follow-up", "Phoned the patient; plan reviewed.")


@pytest.fixture
def patient(db) -> str:
    store.add_patient(db, "p1", indications=["depression"], created_at=T0)
    return "p1"


@pytest.fixture
def clinician(db) -> Actor:
    uid = store.add_user(db, "dr_lee", "therapist", display_name="Dr Lee", created_at=T0)
    return Actor(uid, "therapist", "alerts page")


@pytest.fixture
def patient_actor(db, patient) -> Actor:
    uid = store.add_user(db, "pat", "patient", patient_id=patient, created_at=T0)
    return Actor(uid, "patient", "checkin")


def raise_alert(db, patient, actor, item9: int = 1, at: str = MON) -> int:
    saved = store.save_assessment(
        db, patient, score("phq9", [1] * 8 + [item9]), administered_at=at, context="weekly", actor=actor
    )
    return saved.alert_id


@pytest.mark.parametrize(("item9", "severity"), [(1, "moderate"), (2, "high"), (3, "high")],
                         ids=["several-days-moderate", "more-than-half-high", "nearly-every-day-high"])
def test_severity_follows_the_item9_answer(db, patient, patient_actor, item9, severity):
    alert_id = raise_alert(db, patient, patient_actor, item9)
    assert store.get_alert(db, alert_id)["severity"] == severity  # [S59]


def test_the_whole_lifecycle_records_who_when_and_an_audit_event_per_step(db, patient, patient_actor, clinician):
    alert_id = raise_alert(db, patient, patient_actor)
    store.acknowledge_alert(db, alert_id, clinician, "2026-03-02T11:00:00Z")
    store.resolve_alert(db, alert_id, clinician, "2026-03-02T12:30:00Z", NOTE)
    row = store.get_alert(db, alert_id)
    assert (row["status"], row["resolved_by"], row["resolved_at"]) == ("resolved", clinician.user_id, "2026-03-02T12:30:00Z")
    assert (row["risk_assessment"], row["risk_level"], row["disposition"]) == ("clinical interview", "low", "routine follow-up")
    assert (row["safety_plan_reviewed"], row["means_counselling"], row["note"]) == (1, 1, NOTE.note)
    history = store.alert_history(db, alert_id)
    assert list(history["action"]) == ["alert.create", "alert.acknowledge", "alert.resolve"]
    assert list(history["who"].fillna("")) == ["pat", "Dr Lee", "Dr Lee"]
    listed = store.list_alerts(db, patient_ids=[patient]).iloc[0]
    assert listed["resolved_by_name"] == "Dr Lee"
    assert store.verify_audit_chain(db)[0]


def test_resolving_before_acknowledging_is_refused_and_changes_nothing(db, patient, patient_actor, clinician):
    alert_id = raise_alert(db, patient, patient_actor)
    before = store.get_alert(db, alert_id)
    with pytest.raises(ValidationError, match="Acknowledge it first"):
        store.resolve_alert(db, alert_id, clinician, MON, NOTE)
    assert store.get_alert(db, alert_id) == before
    assert list(store.alert_history(db, alert_id)["action"]) == ["alert.create"]


def test_a_resolution_without_a_note_is_refused(db, patient, patient_actor, clinician):
    alert_id = raise_alert(db, patient, patient_actor)
    store.acknowledge_alert(db, alert_id, clinician, MON)
    with pytest.raises(ValidationError, match="needs a note"):
        store.resolve_alert(db, alert_id, clinician, MON, rules.Resolution(**{**NOTE.__dict__, "note": " "}))
    assert store.get_alert(db, alert_id)["status"] == "acknowledged"


def test_the_system_cannot_resolve_an_alert(db, patient, patient_actor, clinician):
    alert_id = raise_alert(db, patient, patient_actor)
    store.acknowledge_alert(db, alert_id, clinician, MON)
    with pytest.raises(ValidationError, match="named clinician"):
        store.resolve_alert(db, alert_id, Actor.system("cron"), MON, NOTE)


def test_a_resolved_alert_cannot_be_acknowledged_or_resolved_again(db, patient, patient_actor, clinician):
    alert_id = raise_alert(db, patient, patient_actor)
    store.acknowledge_alert(db, alert_id, clinician, MON)
    store.resolve_alert(db, alert_id, clinician, MON, NOTE)
    for step in (lambda: store.acknowledge_alert(db, alert_id, clinician, MON),
                 lambda: store.resolve_alert(db, alert_id, clinician, MON, NOTE)):
        with pytest.raises(ValidationError, match="already resolved"):
            step()


# -- the database itself refuses ----------------------------------------------------------

@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM alerts WHERE id = {id}",
        "UPDATE alerts SET status = 'resolved' WHERE id = {id}",
        "UPDATE alerts SET status = 'resolved', resolved_by = 1, resolved_at = '2026-03-02T10:00:00Z', "
        "disposition = 'routine follow-up', note = '' WHERE id = {id}",
    ],
    ids=["delete", "silent-close", "close-with-empty-note"],
)
def test_raw_sql_cannot_delete_or_silently_close_an_open_alert(db, patient, patient_actor, sql):
    alert_id = raise_alert(db, patient, patient_actor)
    with pytest.raises(store.IntegrityError, match="never deleted|named clinician"):
        db.execute(sql.format(id=alert_id))
    assert store.get_alert(db, alert_id)["status"] == "open"


def test_raw_sql_cannot_reopen_an_alert(db, patient, patient_actor, clinician):
    alert_id = raise_alert(db, patient, patient_actor)
    store.acknowledge_alert(db, alert_id, clinician, MON)
    with pytest.raises(store.IntegrityError, match="earlier state"):
        db.execute("UPDATE alerts SET status = 'open' WHERE id = ?", [alert_id])
    store.resolve_alert(db, alert_id, clinician, MON, NOTE)
    with pytest.raises(store.IntegrityError, match="earlier state"):
        db.execute("UPDATE alerts SET status = 'acknowledged' WHERE id = ?", [alert_id])


def test_no_code_outside_the_alerts_store_writes_alert_states_or_deletes_alerts():
    writes = re.compile(r"DELETE\s+FROM\s+alerts|UPDATE\s+alerts\s+SET\s+status|DROP\s+TABLE\s+alerts", re.I)
    allowed = {ROOT / "progress" / "store" / "alerts.py"}
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("progress", "app_pages", "ui")
        for p in (ROOT / folder).rglob("*.py")
        if p not in allowed and writes.search(p.read_text())
    ]
    assert offenders == []
    assert "DELETE" not in (ROOT / "progress" / "store" / "alerts.py").read_text()
    assert not any("delete" in name for name in store.__all__ if "alert" in name)


# -- escalation ---------------------------------------------------------------------------

def test_an_open_alert_escalates_once_after_one_business_day(db, patient, patient_actor):
    friday = "2026-03-06T16:00:00Z"
    alert_id = raise_alert(db, patient, patient_actor, at=friday)
    system = Actor.system("remind")
    assert store.escalate_due_alerts(db, as_of="2026-03-09T15:59:00Z", actor=system) == []  # weekend skipped
    assert store.escalate_due_alerts(db, as_of="2026-03-09T16:00:00Z", actor=system) == [alert_id]
    assert store.escalate_due_alerts(db, as_of="2026-03-10T09:00:00Z", actor=system) == []  # once only
    row = store.get_alert(db, alert_id)
    assert (row["status"], row["escalated_at"]) == ("open", "2026-03-09T16:00:00Z")
    assert list(store.alert_history(db, alert_id)["action"]) == ["alert.create", "alert.escalate"]
    assert list(store.list_alerts(db, escalated=True)["id"]) == [alert_id]


def test_an_acknowledged_alert_never_escalates(db, patient, patient_actor, clinician):
    alert_id = raise_alert(db, patient, patient_actor)
    store.acknowledge_alert(db, alert_id, clinician, "2026-03-02T10:30:00Z")
    assert store.escalate_due_alerts(db, as_of="2026-03-20T10:00:00Z", actor=Actor.system("t")) == []


@pytest.mark.parametrize(("setting", "not_yet", "due"), [
    ("0", "2026-03-02T23:59:00Z", "2026-03-03T00:00:00Z"),
    ("3", "2026-03-05T09:59:00Z", "2026-03-05T10:00:00Z"),
], ids=["same-business-day", "three-business-days"])
def test_the_clinic_sets_its_own_window(db, patient, patient_actor, setting, not_yet, due):
    store.set_setting(db, rules.ESCALATION_SETTING, setting)
    alert_id = raise_alert(db, patient, patient_actor)
    assert store.escalate_due_alerts(db, as_of=not_yet, actor=Actor.system("t")) == []
    assert store.escalate_due_alerts(db, as_of=due, actor=Actor.system("t")) == [alert_id]
