"""The safety workflow in the app (AppTest, database injected through PROGRESS_DB): a patient's
item-9 answer -> crisis panel -> the therapist sees the alert -> acknowledges -> resolves with a
note -> the history shows each step; leads see escalated alerts; the due list; the clinic tablet
hands a check-in to a patient and locks after it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from progress import demo, store
from progress.scoring import score

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
TIMEOUT = 60


DEMO_PATIENTS = 24
DEMO_SEED = 11


def uid(conn, username: str) -> int:
    return store.get_user(conn, username=username)["id"]


def signed_in(conn, username: str, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["user_id"] = uid(conn, username)
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def texts(at: AppTest) -> str:
    kinds = ("markdown", "caption", "error", "warning", "info", "success", "title", "subheader")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def crisis_shown(at: AppTest) -> bool:
    return any("9-8-8" in e.value and "988" in e.value and "911" in e.value for e in at.error)


def answer(at: AppTest, pairs) -> None:
    for item_id, value in pairs:
        at.button(key=f"ans_{item_id}_{value}").click().run()


def resolve_form(at: AppTest, alert_id: int, **values) -> None:
    if f"res_method_{alert_id}" not in at.session_state:  # the form is drawn once its expander is opened
        at.session_state[f"resolve_open_{alert_id}"] = True
        at.run()
    at.selectbox(key=f"res_method_{alert_id}").set_value(values.get("method", "C-SSRS screener"))
    at.selectbox(key=f"res_level_{alert_id}").set_value(values.get("level", "low"))
    if values.get("disposition", "urgent appointment") is not None:
        at.selectbox(key=f"res_disp_{alert_id}").set_value(values.get("disposition", "urgent appointment"))
    at.radio(key=f"res_plan_{alert_id}").set_value("Yes")
    at.radio(key=f"res_means_{alert_id}").set_value("Yes")
    at.text_area(key=f"res_note_{alert_id}").input(values.get("note", "Called the patient; C-SSRS negative for plan."))
    at.button(key=f"res_submit_{alert_id}").click().run()


def test_item9_to_resolved_alert_with_every_step_in_the_history(conn):
    patient = store.get_user(conn, username="patient")["patient_id"]
    before = set(store.list_alerts(conn, patient_ids=[patient])["id"])

    # 1. the patient answers item 9 = 1: the crisis panel shows at once, before Submit
    at = signed_in(conn, "patient")
    at.session_state["checkin_flow"] = {"queue": [("phq9", "weekly")], "index": 0, "answers": {}}
    at.run()
    answer(at, [(f"phq9_{n}", 1) for n in range(1, 9)])
    assert not crisis_shown(at)
    answer(at, [("phq9_9", 1)])
    assert crisis_shown(at)
    answer(at, [("phq9_10", 1)])
    at.button(key="ci_submit").click().run()
    assert not at.exception
    assert crisis_shown(at) and any("not watched in real time" in e.value for e in at.error)
    new = store.list_alerts(conn, patient_ids=[patient])
    new = new[~new["id"].isin(before)]
    assert len(new) == 1 and new.iloc[0]["severity"] == "moderate" and new.iloc[0]["status"] == "open"
    alert_id = int(new.iloc[0]["id"])

    # 2. the therapist sees it and acknowledges it
    at = signed_in(conn, "therapist", "app_pages/alerts.py")
    assert f"patient `{patient}`" in texts(at)
    at.button(key=f"ack_{alert_id}").click().run()
    assert not at.exception
    assert store.get_alert(conn, alert_id)["acknowledged_by"] == uid(conn, "therapist")

    # 3. resolving needs every field; then it resolves with the note
    resolve_form(at, alert_id, disposition=None)
    assert any("Please answer: disposition" in e.value for e in at.error)
    assert store.get_alert(conn, alert_id)["status"] == "acknowledged"
    resolve_form(at, alert_id)
    assert not at.exception
    row = store.get_alert(conn, alert_id)
    assert (row["status"], row["disposition"], row["resolved_by"]) == ("resolved", "urgent appointment", uid(conn, "therapist"))

    # 4. the history (audit trail) shows each step, and the resolved view shows the note
    at.segmented_control(key="alerts_status").set_value("Resolved").run()
    assert "**Raised**" not in texts(at)  # the history is read when its expander is opened
    at.session_state[f"alert_history_open_{alert_id}"] = True
    at.run()
    page = texts(at)
    assert "C-SSRS negative for plan" in page
    steps = [line for line in page.splitlines() if f"alert {alert_id}" in line or "**Raised**" in line]
    assert steps
    history = store.alert_history(conn, alert_id)
    assert list(history["action"]) == ["alert.create", "alert.acknowledge", "alert.resolve"]
    for label in ("**Raised**", "**Acknowledged**", "**Resolved**"):
        assert label in page


def test_a_lead_sees_the_escalated_alerts_clinic_wide(conn):
    patient = store.list_patient_ids(conn)[-1]
    saved = store.save_assessment(conn, patient, score("phq9", [2] * 8 + [2]), administered_at="2026-01-05T10:00:00Z",
                                  context="weekly", actor=store.Actor.system("import"))
    at = signed_in(conn, "lead", "app_pages/alerts.py")
    assert not at.exception
    row = store.get_alert(conn, saved.alert_id)
    assert row["escalated_at"] is not None and row["status"] == "open"
    page = texts(at)
    assert f"patient `{patient}`" in page and "escalated" in page
    assert list(store.alert_history(conn, saved.alert_id)["action"]) == ["alert.create", "alert.escalate"]
    # the lead may acknowledge it too
    at.button(key=f"ack_{saved.alert_id}").click().run()
    assert store.get_alert(conn, saved.alert_id)["acknowledged_by"] == uid(conn, "lead")


def test_a_therapist_sees_only_their_caseload_alerts(conn):
    mine = set(store.list_patient_ids(conn, therapist_id=uid(conn, "therapist")))
    at = signed_in(conn, "therapist", "app_pages/alerts.py")
    shown = {b.key.split("_")[1] for b in at.button if b.key and b.key.startswith("ack_")}
    patients = set(store.list_alerts(conn)[lambda a: a["id"].astype(str).isin(shown)]["patient_id"])
    assert patients <= mine


def test_the_due_page_lists_the_caseload_measures_overdue_first(conn):
    at = signed_in(conn, "therapist", "app_pages/due.py")
    assert not at.exception
    assert at.title[0].value == "Due and overdue"
    frame = at.dataframe[-1].value
    mine = set(store.list_patient_ids(conn, therapist_id=uid(conn, "therapist")))
    assert len(frame) and set(frame["patient_id"]) <= mine
    assert list(frame["overdue"]) == sorted(frame["overdue"], reverse=True)
    at.toggle(key="due_overdue_only").set_value(True).run()
    assert at.dataframe[-1].value["overdue"].all()


# -- clinic tablet ------------------------------------------------------------------------

def test_the_tablet_hands_over_a_check_in_and_locks_after_it(conn):
    therapist = uid(conn, "therapist")
    patient = store.list_patient_ids(conn, therapist_id=therapist)[1]
    n_before = len(store.load_series(conn, patient))
    at = signed_in(conn, "therapist", "app_pages/tablet.py")
    at.selectbox(key="tablet_patient").set_value(patient).run()
    at.radio(key="tablet_what").set_value("Before the infusion").run()
    at.button(key="tablet_start").click().run()
    assert not at.exception
    assert at.title[0].value == "Check-in"
    assert "sign_out" not in [b.key for b in at.button]  # no way out to the therapist's pages
    for page in ("app_pages/caseload.py", "app_pages/alerts.py", "app_pages/chart.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)
    for _ in range(3):
        if not [b for b in at.button if b.key == "ci_submit"] and not [b for b in at.button if b.key and b.key.startswith("ans_")]:
            break
        ans = [b for b in at.button if b.key and b.key.startswith("ans_") and b.key.endswith("_4")]
        ans[0].click().run()
        at.button(key="ci_submit").click().run()
        if "user_id" not in at.session_state:
            break
    assert not at.exception
    series = store.load_series(conn, patient)
    assert len(series) > n_before and set(series.iloc[n_before:]["context"]) == {"pre_infusion"}
    assert "user_id" not in at.session_state  # the therapist is signed out
    page = texts(at)
    assert "This tablet is locked" in page and patient not in page
    assert not crisis_shown(at)
    events = store.audit_events(conn, patient)
    assert {"tablet.start", "tablet.lock"} <= set(events["action"])


def test_a_positive_item9_on_the_tablet_keeps_the_crisis_panel_on_the_locked_screen(conn):
    therapist = uid(conn, "therapist")
    patient = store.list_patient_ids(conn, therapist_id=therapist)[2]
    alerts_before = len(store.list_alerts(conn, patient_ids=[patient]))
    at = signed_in(conn, "therapist", "app_pages/tablet.py")
    at.selectbox(key="tablet_patient").set_value(patient).run()
    at.button(key="tablet_start").click().run()
    at.session_state["checkin_flow"] = {"queue": [("phq9", "pre_infusion")], "index": 0, "answers": {}}
    at.run()
    answer(at, [(f"phq9_{n}", 0) for n in range(1, 9)])
    answer(at, [("phq9_9", 2)])
    assert crisis_shown(at)
    answer(at, [("phq9_10", 0)])
    at.button(key="ci_submit").click().run()
    assert not at.exception
    alerts = store.list_alerts(conn, patient_ids=[patient])
    assert len(alerts) == alerts_before + 1 and alerts.iloc[0]["severity"] == "high"
    assert "user_id" not in at.session_state
    assert crisis_shown(at) and "This tablet is locked" in texts(at)
    assert patient not in texts(at)


def test_stopping_the_tablet_check_in_locks_without_saving(conn):
    patient = store.list_patient_ids(conn, therapist_id=uid(conn, "therapist"))[3]
    n_before = len(store.load_series(conn, patient))
    at = signed_in(conn, "therapist", "app_pages/tablet.py")
    at.selectbox(key="tablet_patient").set_value(patient).run()
    at.radio(key="tablet_what").set_value("After the infusion").run()
    at.button(key="tablet_start").click().run()
    at.button(key="ci_cancel").click().run()
    assert not at.exception
    assert "user_id" not in at.session_state
    assert "The check-in was stopped" in texts(at) and "This tablet is locked" in texts(at)
    assert len(store.load_series(conn, patient)) == n_before


def test_signing_in_again_after_the_lock_reaches_the_therapist_pages(conn):
    patient = store.list_patient_ids(conn, therapist_id=uid(conn, "therapist"))[3]
    at = signed_in(conn, "therapist", "app_pages/tablet.py")
    at.selectbox(key="tablet_patient").set_value(patient).run()
    at.button(key="tablet_start").click().run()
    at.button(key="ci_cancel").click().run()
    at.text_input(key="signin_user").set_value("therapist")
    at.text_input(key="signin_password").set_value(demo.DEMO_PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["user_id"] == uid(conn, "therapist")
    assert at.title[0].value == "Caseload"


def test_a_broken_escalation_setting_is_named_and_the_alerts_still_show(conn):
    store.set_setting(conn, "alert_escalation_business_days", "one")
    try:
        at = signed_in(conn, "therapist", "app_pages/alerts.py")
        assert not at.exception
        assert any("alert_escalation_business_days" in e.value for e in at.error)
        assert [b for b in at.button if b.key and b.key.startswith("ack_")] or "No alerts" in texts(at)
    finally:
        store.set_setting(conn, "alert_escalation_business_days", "1")


def test_a_tablet_whose_session_ends_mid_check_in_keeps_no_patient_data(conn):
    therapist = uid(conn, "therapist")
    patient = store.list_patient_ids(conn, therapist_id=therapist)[4]
    at = signed_in(conn, "therapist", "app_pages/tablet.py")
    at.selectbox(key="tablet_patient").set_value(patient).run()
    at.button(key="tablet_start").click().run()
    assert at.title[0].value == "Check-in"
    store.update_user(conn, therapist, disabled=1)  # the session ends (as on an idle timeout)
    try:
        at.run()
        assert not at.exception
        assert "tablet_mode" not in at.session_state and "checkin_flow" not in at.session_state
        assert at.title[0].value == "Ketamine clinic progress" and patient not in texts(at)
    finally:
        store.update_user(conn, therapist, disabled=0)
