"""progress/imports.py: one transaction for a checked import, with patients, alerts and audit."""

from __future__ import annotations

import sqlite3

import pytest

from progress import scoring, store
from progress.imports import Checked, store_assessments

ACTOR = store.Actor.system("test")


def checked(pid, at, values):
    return Checked(pid, at, "weekly", scoring.score("phq9", values), False)


def test_new_patients_are_created_at_their_earliest_assessment_and_audited(db):
    rows = [checked("A", "2026-03-09T09:00:00Z", [0] * 9), checked("A", "2026-03-02T09:00:00Z", [1] * 9)]
    report = store_assessments(db, rows, source="fhir", actor=ACTOR, at="2026-12-03T10:00:00Z")
    assert (report.rows, report.patients_created, report.patient_ids) == (2, 1, ("A",))
    assert store.get_patient(db, "A")["created_at"] == "2026-03-02T09:00:00Z"
    actions = store.audit_events(db, "A")["action"].tolist()
    assert sorted(actions) == ["import.fhir", "patient.create"]


def test_a_positive_safety_item_raises_an_alert_and_the_summary_is_current(db):
    store_assessments(db, [checked("B", "2026-03-02T09:00:00Z", [0] * 8 + [2])], source="long")
    alerts = store.list_alerts(db, patient_ids=["B"])
    assert alerts["kind"].tolist() == ["safety"]
    assert store.patient_summary(db, "B")["open_alerts"] == 1


def test_a_failure_part_way_writes_nothing(db):
    rows = [checked("C", "2026-03-02T09:00:00Z", [0] * 9),
            Checked("C", "2026-03-03T09:00:00Z", "not-a-context", scoring.score("phq9", [0] * 9), False)]
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):  # the context constraint
        store_assessments(db, rows, source="wide")
    assert db["assessments"].count == 0 and db["patients"].count == 0
