"""Download buttons (ui/downloads.py) on the patient chart and the cohort page, run in AppTest,
and the deferred builders they hand to Streamlit: a real PDF or CSV, and one audit event."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from progress import store
from ui import downloads

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
AT = "2026-12-03T10:00:00Z"



def page(conn, username: str, page_file: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user_id"] = store.get_user(conn, username=username)["id"]
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    return at.switch_page(page_file).run()


def labels(at: AppTest) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def test_the_chart_offers_the_session_summary_pdf(conn):
    patient = store.get_user(conn, username="patient")["patient_id"]
    at = page(conn, "therapist", "app_pages/chart.py", patient=patient)
    assert not at.exception
    assert "Session summary (PDF)" in labels(at)


def test_the_cohort_page_offers_the_report_and_the_deidentified_table(conn):
    at = page(conn, "lead", "app_pages/cohort.py")
    assert not at.exception
    assert {"Cohort outcomes report (PDF)", "De-identified cohort table (CSV)"} <= set(labels(at))


def test_a_deferred_download_builds_on_its_own_connection_and_is_audited(conn):
    patient = store.list_patient_ids(conn)[0]
    actor = store.Actor(None, "therapist", "chart")
    before = len(store.audit_events(conn, patient))
    build = downloads.deferred(
        lambda c: c.execute("SELECT id FROM patients WHERE id = ?", [patient]).fetchone()[0].encode(),
        actor=actor, action="record.export", at=lambda: AT, patient_id=patient, detail="test",
    )
    assert build() == patient.encode()
    events = store.audit_events(conn, patient)
    assert len(events) == before + 1
    assert events.iloc[0]["action"] == "record.export" and events.iloc[0]["detail"] == "test"


def test_the_cohort_table_download_is_csv_without_patient_ids(conn):
    data = downloads._cohort_csv(conn).decode()
    assert data.startswith("cohort_id,")
    assert not any(pid in data for pid in store.list_patient_ids(conn))


def test_only_a_patients_own_therapist_may_export_the_summary(conn):
    from progress import auth

    therapist = auth.load_user(conn, store.get_user(conn, username="therapist")["id"])
    lead = auth.load_user(conn, store.get_user(conn, username="lead")["id"])
    mine = store.list_patient_ids(conn, therapist_id=therapist.id)[0]
    other = next(p for p in store.list_patient_ids(conn) if p not in store.list_patient_ids(conn, therapist_id=therapist.id))
    assert downloads.may_export(conn, therapist, mine) is True
    assert downloads.may_export(conn, therapist, other) is False  # break-glass reads, never exports
    assert downloads.may_export(conn, lead, mine) is False
