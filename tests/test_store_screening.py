"""Screening records: saved with their flags, reviewed once by a named physician."""

from __future__ import annotations

import pytest

from progress import store
from progress.errors import NotFound, ValidationError

pytestmark = pytest.mark.both_backends

DOC = store.Actor(None, "therapist", "test")


@pytest.fixture
def clinic(db):
    uid = store.add_user(db, "drlee", "therapist", display_name="Dr. Lee", created_at="2026-01-01T00:00:00Z")
    store.add_patient(db, "P1", indications=["depression"], therapist_id=uid, created_at="2026-01-01T00:00:00Z")
    return db, store.Actor(uid, "therapist", "test")


def test_screening_round_trip_keeps_record_and_flags(clinic):
    db, actor = clinic
    sid = store.add_screening(db, "P1", {"contraindications": ["psychosis"], "medicines": ["maoi"], "antidepressant_trials": 3},
                              screened_at="2026-01-02T10:00:00Z", entered_by=actor.user_id, actor=actor)
    row = store.list_screenings(db, "P1").iloc[0]
    assert row["id"] == sid and row["record"]["antidepressant_trials"] == 3
    assert [f["item"] for f in row["flags"]] == ["psychosis", "maoi"]
    assert row["reviewed_at"] is None
    assert "screening.create" in set(store.audit_events(db, "P1")["action"])


def test_review_records_who_and_when_once(clinic):
    db, actor = clinic
    sid = store.add_screening(db, "P1", {}, screened_at="2026-01-02T10:00:00Z")
    store.review_screening(db, sid, actor, "2026-01-02T11:00:00Z", "cleared after cardiology letter")
    row = store.list_screenings(db, "P1").iloc[0]
    assert (row["reviewed_by_name"], row["reviewed_at"], row["review_note"]) == (
        "Dr. Lee", "2026-01-02T11:00:00Z", "cleared after cardiology letter")
    with pytest.raises(ValidationError, match="already reviewed"):
        store.review_screening(db, sid, actor, "2026-01-03T11:00:00Z")
    with pytest.raises(NotFound):
        store.review_screening(db, 999, actor, "2026-01-03T11:00:00Z")


def test_review_needs_a_person_and_unknown_patient_is_refused(clinic):
    db, _ = clinic
    sid = store.add_screening(db, "P1", {}, screened_at="2026-01-02T10:00:00Z")
    with pytest.raises(ValidationError, match="physician"):
        store.review_screening(db, sid, DOC, "2026-01-02T11:00:00Z")
    with pytest.raises(NotFound):
        store.add_screening(db, "nobody", {}, screened_at="2026-01-02T10:00:00Z")
