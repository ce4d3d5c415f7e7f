"""Every page, run headless with AppTest as each role it belongs to, against a temporary demo
database injected through PROGRESS_DB."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from progress import auth, demo, store

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
TIMEOUT = 60
PAGE_FILES = {
    "checkin": "app_pages/checkin.py",
    "my_progress": "app_pages/my_progress.py",
    "caseload": "app_pages/caseload.py",
    "chart": "app_pages/chart.py",
    "record": "app_pages/record.py",
    "alerts": "app_pages/alerts.py",
    "due": "app_pages/due.py",
    "tablet": "app_pages/tablet.py",
    "cohort": "app_pages/cohort.py",
    "users": "app_pages/users.py",
    "audit": "app_pages/audit.py",
    "intake": "app_pages/intake.py",
    "session": "app_pages/session.py",
}
TITLES = {
    "checkin": "Check-in",
    "my_progress": "My progress",
    "caseload": "Caseload",
    "chart": "Patient",
    "record": "Record a check-in",
    "alerts": "Alerts",
    "due": "Due and overdue",
    "tablet": "Clinic tablet",
    "cohort": "Cohort outcomes",
    "users": "Users",
    "audit": "Audit trail",
    "intake": "Intake and plan",
    "session": "Infusion session",
}



def user_id(conn, username: str) -> int:
    return store.get_user(conn, username=username)["id"]


def signed_in(conn, username: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["user_id"] = user_id(conn, username)
    return at.run()


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def plotly_specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


# -- sign-in ------------------------------------------------------------------------------


def test_signed_out_visitor_sees_only_the_sign_in_page(conn):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.title[0].value == "Ketamine clinic progress"
    assert "ketamine-demo" in texts(at)  # the demo database says which accounts exist
    with pytest.raises(ValueError):
        at.switch_page("app_pages/chart.py").run()


def test_wrong_password_is_refused_with_a_plain_message(conn):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.text_input(key="signin_user").set_value("therapist")
    at.text_input(key="signin_password").set_value("wrong-password")
    at.button[0].click().run()
    assert "do not match an active account" in at.error[0].value
    assert "user_id" not in at.session_state


def test_correct_password_signs_in_and_lands_on_the_role_home(conn):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.text_input(key="signin_user").set_value("therapist")
    at.text_input(key="signin_password").set_value(demo.DEMO_PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["user_id"] == user_id(conn, "therapist")
    assert at.title[0].value == "Caseload"


# -- every page for every role ------------------------------------------------------------

CELLS = [(role, page) for role, pages in auth.ROLE_PAGES.items() for page in pages]


@pytest.mark.parametrize(("role", "page"), CELLS, ids=[f"{r}-{p}" for r, p in CELLS])
def test_every_page_renders_for_its_role(conn, role, page):
    at = signed_in(conn, role)
    at.switch_page(PAGE_FILES[page]).run()
    assert not at.exception, at.exception
    assert at.title[0].value.startswith(TITLES[page])


@pytest.mark.parametrize("page", ["caseload", "chart", "record", "cohort", "users"])
def test_patient_cannot_open_staff_pages(conn, page):
    at = signed_in(conn, "patient")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE_FILES[page]).run()


def test_disabled_account_loses_access_in_an_open_session(conn):
    at = signed_in(conn, "lead")
    assert at.title[0].value == "Cohort outcomes"
    lead = user_id(conn, "lead")
    store.update_user(conn, lead, disabled=1)
    try:
        at.run()
        assert at.title[0].value == "Ketamine clinic progress"  # back to sign-in
    finally:
        store.update_user(conn, lead, disabled=0)


# -- therapist ----------------------------------------------------------------------------


def test_caseload_lists_only_the_therapists_patients(conn):
    at = signed_in(conn, "therapist")
    table = at.dataframe[0].value
    mine = set(store.list_patient_ids(conn, therapist_id=user_id(conn, "therapist")))
    assert set(table["patient_id"]) == mine
    assert 20 <= len(mine) <= 60
    assert {"phq9", "phq9_band", "phq9_change", "status", "overdue", "open_alerts"} <= set(table.columns)


def open_demo_patients_chart(conn) -> tuple[str, AppTest]:
    """The therapist opens the demo patient's chart: (patient id, the app after the run)."""
    patient = store.get_user(conn, username="patient")["patient_id"]
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["user_id"] = user_id(conn, "therapist")
    at.query_params["patient"] = patient
    at.run()
    at.switch_page(PAGE_FILES["chart"]).run()
    return patient, at


def test_chart_shows_trend_with_bands_and_infusions(conn):
    patient, at = open_demo_patients_chart(conn)
    assert not at.exception
    assert at.title[0].value == f"Patient {patient}"
    specs = plotly_specs(at)
    assert specs, "no charts drawn"
    first = specs[0]
    assert len(first["layout"].get("shapes", [])) >= 5  # five PHQ-9 bands at least
    events = store.audit_events(conn, patient)
    assert "record.view" in set(events["action"])


def test_chart_runs_only_the_open_tab_and_draws_items_when_asked(conn):
    """Lazy tabs and the item expander: one trend per rerun; other tabs and the item heatmap
    are drawn when the therapist opens them."""
    patient, at = open_demo_patients_chart(conn)
    kinds = [d["data"][0]["type"] for d in plotly_specs(at)]
    assert kinds.count("heatmap") == 0 and len(kinds) == 1  # the PHQ-9 trend only
    at.session_state["chart_items_open_phq9"] = True
    at.run()
    assert [d["data"][0]["type"] for d in plotly_specs(at)].count("heatmap") == 1
    at.session_state["chart_tab"] = "GAD-7"
    at.run()
    titles = " ".join(str(d["layout"].get("title", "")) + str(d["layout"].get("yaxis", {}).get("title", "")) for d in plotly_specs(at))
    assert "GAD-7" in titles and "PHQ-9" not in titles


def test_chart_refuses_a_patient_outside_the_caseload(conn):
    outsider = next(
        p for p in store.list_patient_ids(conn)
        if p not in store.list_patient_ids(conn, therapist_id=user_id(conn, "therapist"))
    )
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["user_id"] = user_id(conn, "therapist")
    at.run()
    at.query_params["patient"] = outsider
    at.switch_page(PAGE_FILES["chart"]).run()
    assert not at.exception
    assert any("needs a stated reason" in e.value for e in at.warning)  # break-glass (issue 7)
    assert outsider not in texts(at)
    assert not at.get("plotly_chart")


def test_record_refuses_an_incomplete_form_and_saves_a_complete_one(conn):
    at = signed_in(conn, "therapist")
    at.switch_page(PAGE_FILES["record"]).run()
    patient_id = at.selectbox(key="rec_patient").value
    before = len(store.load_series(conn, patient_id, "gad7"))
    at.selectbox(key="rec_instrument").set_value("gad7").run()
    at.radio(key="rec_gad7_1").set_value(2)
    at.button[0].click().run()
    assert "please answer questions 2, 3, 4, 5, 6, 7" in at.error[0].value
    assert len(store.load_series(conn, patient_id, "gad7")) == before
    for n in range(1, 8):
        at.radio(key=f"rec_gad7_{n}").set_value(1)
    at.button[0].click().run()
    assert not at.exception
    assert "Saved GAD-7" in at.success[0].value
    series = store.load_series(conn, patient_id, "gad7")
    assert len(series) == before + 1
    assert series.iloc[-1]["total"] == 7 and "clinician" in set(series["respondent"])
    for n in range(1, 8):  # the same check-in sent again (same answers, context and time)
        at.radio(key=f"rec_gad7_{n}").set_value(1)
    at.button[0].click().run()
    assert not at.exception and "Saved GAD-7" in at.success[0].value
    assert len(store.load_series(conn, patient_id, "gad7")) == before + 1  # stored once
    for n in range(1, 8):  # a different check-in at the same time is stored
        at.radio(key=f"rec_gad7_{n}").set_value(2)
    at.button[0].click().run()
    assert len(store.load_series(conn, patient_id, "gad7")) == before + 2


def test_acknowledging_an_alert_records_who_and_keeps_it(conn):
    at = signed_in(conn, "therapist")
    at.switch_page(PAGE_FILES["alerts"]).run()
    mine = store.list_patient_ids(conn, therapist_id=user_id(conn, "therapist"))
    open_before = store.list_alerts(conn, patient_ids=mine, status="open")
    assert len(open_before), "the demo leaves at least one open alert for the therapist"
    ack = [b for b in at.button if b.key and b.key.startswith("ack_")]
    alert_id = int(ack[0].key.split("_")[1])
    ack[0].click().run()
    assert not at.exception
    row = store.list_alerts(conn, patient_ids=mine).set_index("id").loc[alert_id]
    assert row["status"] == "acknowledged"
    assert row["acknowledged_by"] == user_id(conn, "therapist")


# -- patient ------------------------------------------------------------------------------


def answer_all(at: AppTest, instrument_items: list[tuple[str, int]]) -> AppTest:
    for item_id, value in instrument_items:
        at.button(key=f"ans_{item_id}_{value}").click().run()
    return at


def test_patient_check_in_with_item9_shows_crisis_panel_and_stores_alert(conn):
    patient = store.get_user(conn, username="patient")["patient_id"]
    alerts_before = len(store.list_alerts(conn, patient_ids=[patient]))
    n_before = len(store.load_series(conn, patient, "phq9"))
    at = signed_in(conn, "patient")
    at.button(key="start_pre").click().run()  # any start button proves the flow; use PHQ-9 below
    at.button(key="ci_cancel").click().run()
    at.session_state["checkin_flow"] = {"queue": [("phq9", "weekly")], "index": 0, "answers": {}}
    at.run()
    answer_all(at, [(f"phq9_{n}", 1) for n in range(1, 9)])
    assert not any("9-8-8" in e.value for e in at.error)
    at.button(key="ans_phq9_9_1").click().run()
    assert any("9-8-8" in e.value and "988" in e.value for e in at.error), "crisis panel must show at once"
    at.button(key="ans_phq9_10_1").click().run()
    at.button(key="ci_submit").click().run()
    assert not at.exception
    assert any("not watched in real time" in e.value for e in at.error)
    assert any("Saved your PHQ-9: 9 (mild)" in s.value for s in at.success)
    assert len(store.load_series(conn, patient, "phq9")) == n_before + 1
    alerts = store.list_alerts(conn, patient_ids=[patient])
    assert len(alerts) == alerts_before + 1
    assert alerts.iloc[0]["status"] == "open"
    # the submission carries its own key, so a repeated Submit cannot save it twice
    key = conn.execute("SELECT idempotency_key FROM assessments ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert key is not None and key.startswith("checkin:") and key.endswith(":phq9")


def test_patient_cannot_submit_before_every_question_is_answered(conn):
    at = signed_in(conn, "patient")
    at.session_state["checkin_flow"] = {"queue": [("gad7", "weekly")], "index": 0, "answers": {}}
    at.run()
    answer_all(at, [("gad7_1", 2), ("gad7_2", 2)])
    assert not [b for b in at.button if b.key == "ci_submit"]
    assert "Question 3 of 7" in at.get("progress")[0].proto.text


def test_my_progress_speaks_plainly_and_draws_the_simplified_chart(conn):
    at = signed_in(conn, "patient")
    at.switch_page(PAGE_FILES["my_progress"]).run()
    assert not at.exception
    assert "Your depression score (PHQ-9) has gone from" in texts(at)
    assert at.get("plotly_chart")


def test_patient_check_in_appears_on_the_therapists_caseload(conn):
    patient = store.get_user(conn, username="patient")["patient_id"]
    at = signed_in(conn, "patient")
    at.session_state["checkin_flow"] = {"queue": [("phq9", "weekly")], "index": 0, "answers": {}}
    at.run()
    answer_all(at, [(f"phq9_{n}", 2) for n in range(1, 9)] + [("phq9_9", 0), ("phq9_10", 1)])
    at.button(key="ci_submit").click().run()
    assert any("Saved your PHQ-9: 16" in s.value for s in at.success)
    caseload = signed_in(conn, "therapist").dataframe[0].value.set_index("patient_id")
    assert caseload.loc[patient, "phq9"] == 16
    assert caseload.loc[patient, "phq9_band"] == "moderately severe"
    assert caseload.loc[patient, "days_since_checkin"] == 0


def test_first_start_without_a_database_builds_the_demo_clinic_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PROGRESS_DB", str(tmp_path / "fresh.db"))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert any("Created the demo clinic (200 synthetic patients)" in s.value for s in at.success)
    fresh = store.open_db(tmp_path / "fresh.db")
    assert len(store.list_patient_ids(fresh)) == 200
    assert store.get_setting(fresh, "demo") == "1"
    fresh.close()


def test_a_long_alert_list_is_drawn_a_page_at_a_time_open_ones_first(conn):
    therapist = user_id(conn, "therapist")
    mine = store.list_patient_ids(conn, therapist)
    with conn.atomic():
        for i in range(30):
            store.create_alert(conn, mine[i % len(mine)], kind="vitals", severity="moderate",
                               reason=f"Synthetic flag {i} for paging.", at=f"2026-01-01T10:{i:02d}:00Z")
    todo = store.list_alerts(conn, patient_ids=mine)
    todo = todo[todo["status"] != "resolved"]
    assert len(todo) > 25
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["user_id"] = therapist
    at.run()
    at.switch_page(PAGE_FILES["alerts"]).run()
    cards = [b for b in at.button if b.key and b.key.startswith("ack_")]
    drawn = texts(at).count("· patient `")
    assert drawn == 25
    assert len(cards) == min(25, int((todo["status"] == "open").sum()))  # open ones first
    at.button(key="alerts_more").click().run()
    assert texts(at).count("· patient `") == min(50, len(todo))


def test_every_page_run_closes_the_connections_it_opens(conn, monkeypatch):
    """One connection per run, closed when the run ends: a PostgreSQL server would otherwise
    run out of connections (found by the scale benchmark: 'too many clients already')."""
    opened, closed = [], []
    real_open = store.open_db

    def tracking_open(*args, **kwargs):
        db = real_open(*args, **kwargs)
        opened.append(db)
        real_close = db.close

        def close():
            closed.append(db)
            real_close()

        db.close = close
        return db

    monkeypatch.setattr(store, "open_db", tracking_open)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["user_id"] = user_id(conn, "therapist")
    at.run()
    for page in ("caseload", "chart", "alerts", "due"):
        at.switch_page(PAGE_FILES[page]).run()
        assert not at.exception
    assert len(opened) >= 5
    assert [id(d) for d in opened if d not in closed] == []
