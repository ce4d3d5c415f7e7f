"""Trust features in the app, run headless with AppTest: the audit page, a patient's view of who
opened their record, sign-in throttling, session timeouts and the rights matrix's main cells."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from progress import auth, demo, store
from progress.store import Actor

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
TIMEOUT = 60


DEMO_PATIENTS = 30
DEMO_SEED = 11


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


# -- sign-in throttling and sessions --------------------------------------------------


def sign_in_attempt(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="signin_user").set_value(name)
    at.text_input(key="signin_password").set_value(password)
    return at.button[0].click().run()


def test_sign_in_page_locks_a_name_after_five_failures(conn):
    name = "trust_lockout_lead"
    store.add_user(conn, name, "lead", password_hash=auth.hash_password("right password here"),
                   created_at="2026-12-01T00:00:00Z")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    for _ in range(auth.LOCKOUT_FAILURES):
        sign_in_attempt(at, name, "wrong password")
        assert "do not match" in at.error[0].value
    sign_in_attempt(at, name, "right password here")
    assert "Too many failed sign-ins" in at.error[0].value
    assert "user_id" not in at.session_state


def test_an_idle_session_stops_showing_patient_data(conn):
    at = signed_in(conn, "therapist")
    assert at.title[0].value == "Caseload"
    token = at.session_state["session_token"]
    conn.execute("UPDATE signin_sessions SET last_seen_at = '2000-01-01T00:00:00Z' WHERE ended_at IS NULL "
                 "AND user_id = ?", [uid(conn, "therapist")])
    conn.conn.commit()
    at.run()
    assert at.title[0].value == "Ketamine clinic progress"  # the sign-in page
    assert not at.dataframe  # no caseload rows left on screen
    assert "signed out after a period without activity" in texts(at)
    assert store.get_signin_session(conn, token)["end_reason"] == "idle"


def test_sign_in_opens_a_server_side_session_and_sign_out_ends_it(conn):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    sign_in_attempt(at, "lead", demo.DEMO_PASSWORD)
    token = at.session_state["session_token"]
    assert store.get_signin_session(conn, token)["ended_at"] is None
    at.button(key="sign_out").click().run()
    assert store.get_signin_session(conn, token)["end_reason"] == "sign-out"
    assert at.title[0].value == "Ketamine clinic progress"


def test_admin_disabling_an_account_ends_its_open_session(conn):
    name = "trust_disable_me"
    store.add_user(conn, name, "lead", password_hash=auth.hash_password("right password here"),
                   created_at="2026-12-01T00:00:00Z")
    victim = signed_in(conn, name)
    admin = signed_in(conn, "admin", "app_pages/users.py")
    admin.selectbox(key="uc_target").set_value(name).run()
    admin.button(key="uc_disable").click().run()
    assert not admin.exception
    assert store.open_signin_sessions(conn, uid(conn, name)) == 0
    victim.run()
    assert victim.title[0].value == "Ketamine clinic progress"


def test_a_clinic_database_with_only_an_admin_never_gets_demo_data(tmp_path, monkeypatch):
    path = tmp_path / "clinic.db"
    c = store.open_db(path)
    store.add_user(c, "boss", "admin", password_hash=auth.hash_password("right password here"),
                   created_at="2026-12-01T00:00:00Z")
    monkeypatch.setenv("PROGRESS_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert store.is_empty(c) and [u["username"] for u in store.list_users(c)] == ["boss"]
    assert "ketamine-demo" not in texts(at)
    c.close()


# -- rights: the main cells of the policy in the app ------------------------------------


def outsider(conn) -> str:
    """A patient outside the demo therapist's caseload (added if the demo has none)."""
    mine = set(store.list_patient_ids(conn, therapist_id=uid(conn, "therapist")))
    others = [p for p in store.list_patient_ids(conn) if p not in mine]
    if not others:
        store.add_patient(conn, "KC-TRUST-OUT", created_at="2026-12-01T00:00:00Z")
        return "KC-TRUST-OUT"
    return others[0]


def test_patient_changing_the_query_parameter_still_sees_only_their_own_record(conn):
    own = store.get_user(conn, username="patient")["patient_id"]
    other = next(p for p in store.list_patient_ids(conn) if p != own)
    at = signed_in(conn, "patient", "app_pages/my_progress.py", patient=other)
    at.query_params["patient"] = other
    at.run()
    assert at.title[0].value == "My progress"
    assert other not in texts(at)
    log = store.record_access_log(conn, other)
    assert log[log["role"] == "patient"].empty  # nothing of the other record was read
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/chart.py").run()


def test_therapist_opens_a_caseload_chart_without_a_prompt(conn):
    at = signed_in(conn, "therapist", "app_pages/chart.py")
    assert at.title[0].value.startswith("Patient ")
    assert not any("stated reason" in w.value for w in at.warning)


def test_therapist_break_glass_needs_a_reason_then_opens_and_is_shown_to_leads(conn):
    pid = outsider(conn)
    at = signed_in(conn, "therapist", None, patient=pid)
    at.switch_page("app_pages/chart.py").run()
    assert any("stated reason" in w.value for w in at.warning)
    assert not at.get("plotly_chart") and pid not in texts(at)
    at.text_input(key="glass_reason_chart").set_value("trust-test: on call tonight for Dr Lee")
    next(b for b in at.button if b.label.startswith("Open the record")).click().run()
    assert not at.exception
    assert at.title[0].value == f"Patient {pid}"
    glass = store.audit_events(conn, pid, actions=["record.break_glass"])
    assert "trust-test: on call tonight for Dr Lee" in set(glass["detail"])
    lead = signed_in(conn, "lead", "app_pages/audit.py")
    assert "trust-test: on call tonight for Dr Lee" in set(frame_with(lead, "reason")["reason"])


def test_lead_opens_an_identified_record_only_through_break_glass(conn):
    pid = outsider(conn)
    at = signed_in(conn, "lead", "app_pages/chart.py")
    at.text_input(key="chart_open_id").set_value(pid).run()
    assert any("stated reason" in w.value for w in at.warning)
    assert not at.get("plotly_chart")
    at.text_input(key="glass_reason_chart").set_value("trust-test: reviewing an escalated alert")
    next(b for b in at.button if b.label.startswith("Open the record")).click().run()
    assert at.title[-1].value == f"Patient {pid}"


@pytest.mark.parametrize("role", ["admin", "patient"])
def test_roles_without_clinical_charts_cannot_reach_the_chart(conn, role):
    at = signed_in(conn, role)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/chart.py").run()
