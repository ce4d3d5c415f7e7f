"""Trust features in the app, run headless with AppTest: the audit page, a patient's view of who
opened their record, sign-in throttling, session timeouts and the rights matrix's main cells."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from progress import demo, store
from progress.store import Actor

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
TIMEOUT = 60


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("trust") / "demo.db"
    conn = store.open_db(path)
    demo.build_demo(conn, patients=30, seed=11, anchor=date.today())
    conn.close()
    return path


@pytest.fixture
def conn(demo_db, monkeypatch):
    monkeypatch.setenv("PROGRESS_DB", str(demo_db))
    c = store.open_db(demo_db)
    yield c
    c.close()


def uid(conn, username: str) -> int:
    return store.get_user(conn, username=username)["id"]


def signed_in(conn, username: str, page: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["user_id"] = uid(conn, username)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def frame_with(at: AppTest, column: str):
    """The first data frame on the page that has ``column`` (AppTest cannot find frames by key)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def texts(at: AppTest) -> str:
    kinds = ("markdown", "caption", "error", "warning", "info", "success", "title")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


# -- audit page and the patient's access log -------------------------------------------


@pytest.mark.parametrize("role", ["lead", "admin"])
def test_audit_page_shows_chain_status_and_break_glass_reasons(conn, role):
    patient = store.list_patient_ids(conn)[0]
    store.record_event(conn, Actor(uid(conn, "therapist"), "therapist", "chart"), "record.break_glass",
                       "2026-12-01T10:00:00Z", patient, detail="trust-test covering a colleague")
    at = signed_in(conn, role, "app_pages/audit.py")
    assert at.title[0].value == "Audit trail"
    assert "Hash chain intact" in at.success[0].value
    glass = frame_with(at, "reason")
    assert "trust-test covering a colleague" in set(glass["reason"])
    viewed = store.audit_events(conn, actions=["audit.view"], user_id=uid(conn, role))
    assert len(viewed) >= 1


def test_audit_page_filters_by_patient(conn):
    patient = store.list_patient_ids(conn)[1]
    store.record_event(conn, Actor.system("tests"), "record.view", "2026-12-01T10:00:00Z", patient)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["user_id"] = uid(conn, "lead")
    at.run()
    at.switch_page("app_pages/audit.py").run()
    at.text_input(key="audit_patient").set_value(patient).run()
    events = at.dataframe[-1].value
    assert len(events) >= 1
    assert "patient_id" not in events.columns  # one patient: the column would be redundant


def test_patient_sees_who_opened_their_record(conn):
    patient = store.get_user(conn, username="patient")["patient_id"]
    store.record_event(conn, Actor(uid(conn, "therapist"), "therapist", "chart"), "record.view",
                       "2026-12-01T10:00:00Z", patient)
    at = signed_in(conn, "patient", "app_pages/my_progress.py")
    log = frame_with(at, "who")
    therapist = store.get_user(conn, username="therapist")["display_name"]
    assert therapist in set(log["who"])
    assert set(log["role"]) <= {"therapist", "lead", "admin", "system"}
    assert not log["detail"].str.contains(r"\b\d+ of 3\b").any()  # no answers in the log
