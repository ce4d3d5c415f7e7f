"""The course pages in AppTest as a therapist: intake and plan, infusion sessions, the chart's
timeline; and one whole course for one patient, from screening to a booster, whose every
score, side effect and alert must sit on the chart's timeline."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from progress import store

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
TIMEOUT = 60
T0 = date.today() - timedelta(days=45)


@pytest.fixture
def clinic(tmp_path, monkeypatch):
    """An empty clinic: one therapist (a physician may review), one new patient."""
    path = tmp_path / "course.db"
    conn = store.open_db(path)
    uid = store.add_user(conn, "drlee", "therapist", display_name="Dr. Lee", created_at="2026-01-01T00:00:00Z")
    store.add_patient(conn, "KC-9001", indications=["depression", "anxiety"], therapist_id=uid,
                      created_at="2026-01-01T00:00:00Z")
    monkeypatch.setenv("PROGRESS_DB", str(path))
    yield conn, uid
    conn.close()


def open_page(uid: int, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["user_id"] = uid
    at.run()
    return at.switch_page(page).run()


def click(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "error", "warning", "info", "success") for e in getattr(at, kind))


def record_checkin(at: AppTest, instrument: str, context: str, day: date, hour: int, answers: dict[str, int]) -> None:
    at.switch_page("app_pages/record.py").run()
    at.selectbox(key="rec_instrument").set_value(instrument).run()
    at.selectbox(key="rec_context").set_value(context)
    at.date_input(key="rec_date").set_value(day)
    at.time_input(key="rec_time").set_value(time(hour, 0))
    for item, value in answers.items():
        at.radio(key=f"rec_{item}").set_value(value)
    click(at, "Save check-in")
    assert not at.exception and "Saved" in texts(at), texts(at)


def record_session(at: AppTest, phase: str, day: date, *, during=(128, 84, 80), effects=None, driver=True) -> None:
    at.switch_page("app_pages/session.py").run()
    at.selectbox(key="sess_phase").set_value(phase).run()
    at.date_input(key="sess_date").set_value(day)
    at.time_input(key="sess_time").set_value(time(10, 0))
    for point, (s, d, h) in (("before", (120, 80, 72)), ("during", during), ("discharge", (122, 80, 74))):
        at.number_input(key=f"sess_{point}_sys").set_value(s)
        at.number_input(key=f"sess_{point}_dia").set_value(d)
        at.number_input(key=f"sess_{point}_hr").set_value(h)
    for box in at.selectbox:
        if box.key and box.key.startswith("sess_fx_"):
            box.set_value((effects or {}).get(box.key.removeprefix("sess_fx_"), "—"))
    at.checkbox(key="sess_driver").set_value(driver)
    click(at, "Save session")
    assert not at.exception and "Session saved" in texts(at), texts(at)


PHQ9_HIGH = {f"phq9_{i}": 2 for i in range(1, 9)} | {"phq9_9": 0, "phq9_10": 1}
GAD7_HIGH = {f"gad7_{i}": 2 for i in range(1, 8)}


def test_intake_screening_shows_review_flags_and_records_the_reviewer(clinic):
    conn, uid = clinic
    at = open_page(uid, "app_pages/intake.py")
    assert at.title[0].value == "Intake and plan"
    at.multiselect(key="intake_contra").set_value(["psychosis", "hyperthyroidism"])
    at.multiselect(key="intake_meds").set_value(["benzodiazepine"])
    at.number_input(key="intake_bzd").set_value(10.0)
    at.radio(key="intake_misuse_past_sud").set_value("yes")
    click(at, "Save screening")
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert sum("Needs physician review" in w for w in warnings) == 5  # 2 contra, bzd, its dose, misuse
    assert any("[S41]" in w for w in warnings) and any("not confirmed" in w for w in warnings)
    assert "needs physician review" in texts(at)
    sid = int(store.list_screenings(conn, "KC-9001")["id"].iloc[0])
    at.text_input(key=f"intake_review_note_{sid}").set_value("Psychiatry letter on file")
    at.button(key=f"intake_review_{sid}").click().run()
    row = store.list_screenings(conn, "KC-9001").iloc[0]
    assert (row["reviewed_by"], row["review_note"]) == (uid, "Psychiatry letter on file")
    assert "reviewed by Dr. Lee" in texts(at)


def test_intake_refuses_a_benzodiazepine_without_its_dose(clinic):
    conn, uid = clinic
    at = open_page(uid, "app_pages/intake.py")
    at.multiselect(key="intake_meds").set_value(["benzodiazepine"])
    click(at, "Save screening")
    assert "Not saved" in at.error[0].value and "diazepam" in at.error[0].value
    assert store.list_screenings(conn, "KC-9001").empty


def test_plan_is_saved_and_shown_as_plan_versus_actual(clinic):
    conn, uid = clinic
    at = open_page(uid, "app_pages/intake.py")
    at.number_input(key="plan_induction").set_value(6)
    at.number_input(key="plan_window").set_value(21)
    at.number_input(key="plan_every").set_value(28)
    click(at, "Save plan")
    assert not at.exception
    course = store.latest_course(conn, "KC-9001")
    assert (course["planned_induction"], course["maintenance_every_days"]) == (6, 28)
    assert "Induction not started: 0 of 6 planned over 21 days" in texts(at)


def test_esketamine_session_needs_a_lot_and_lists_rems_gaps(clinic):
    conn, uid = clinic
    at = open_page(uid, "app_pages/session.py")
    at.selectbox(key="sess_route").set_value("intranasal").run()
    click(at, "Save session")
    assert "lot" in at.error[0].value and conn["infusions"].count == 0
    at.text_input(key="sess_lot").set_value("LOT-42")
    at.number_input(key="sess_observation").set_value(90)
    click(at, "Save session")
    assert not at.exception
    rems = [w.value for w in at.warning if w.value.startswith("REMS form")]
    assert any("[S30]" in w for w in rems) and any("[S30b]" in w for w in rems)
    assert store.list_sessions(conn, "KC-9001").iloc[0]["dose_mg"] == 56.0
    download = at.get("download_button")
    assert len(download) == 1


def test_marking_a_followup_done_on_the_session_page(clinic):
    conn, uid = clinic
    at = open_page(uid, "app_pages/session.py")
    click(at, "Save session")
    fid = int(store.list_followups(conn, "KC-9001")["id"].iloc[0])
    at.button(key=f"sess_fu_done_{fid}").click().run()
    f = store.list_followups(conn, "KC-9001").iloc[0]
    assert f["done_by"] == uid and isinstance(f["done_at"], str)


def test_whole_course_for_one_patient_sits_on_the_chart_timeline(clinic):
    conn, uid = clinic
    at = open_page(uid, "app_pages/intake.py")
    at.multiselect(key="intake_meds").set_value(["stimulant"])
    click(at, "Save screening")
    sid = int(store.list_screenings(conn, "KC-9001")["id"].iloc[0])
    at.button(key=f"intake_review_{sid}").click().run()
    at.number_input(key="plan_every").set_value(28)
    click(at, "Save plan")

    record_checkin(at, "phq9", "intake", T0, 9, PHQ9_HIGH)
    record_checkin(at, "gad7", "intake", T0, 9, GAD7_HIGH)
    induction_days = [T0 + timedelta(days=d) for d in (1, 3, 5, 8, 10, 12)]
    for n, day in enumerate(induction_days):
        if n < 2:
            record_checkin(at, "mood_nrs", "pre_infusion", day, 9, {"mood_nrs_1": 7})
        record_session(
            at, "induction", day,
            during=(175, 92, 96) if n == 2 else (128, 84, 80),  # +55 mmHg: a vitals flag [S31]
            effects={"nausea or vomiting": "mild", "dissociation": "moderate"} if n == 0 else (
                {"hallucinations or delirium": "severe"} if n == 4 else None),
        )
        if n < 2:
            record_checkin(at, "mood_nrs", "post_infusion", day, 13, {"mood_nrs_1": 4})
            at.switch_page("app_pages/session.py").run()
            click(at, "Link today's check-ins to the latest session")
            assert "1 check-in(s) linked." in texts(at)
    record_checkin(at, "phq9", "weekly", T0 + timedelta(days=14), 9,
                   {f"phq9_{i}": 1 for i in range(1, 9)} | {"phq9_9": 1, "phq9_10": 1})  # item 9: safety alert
    at.switch_page("app_pages/session.py").run()
    assert at.selectbox(key="sess_phase").value == "maintenance"  # the planned 6 induction infusions are done
    record_session(at, "maintenance", T0 + timedelta(days=30))
    record_session(at, "booster", T0 + timedelta(days=40))
    record_checkin(at, "phq9", "booster", T0 + timedelta(days=40), 9, PHQ9_HIGH)

    at.switch_page("app_pages/chart.py").run()
    assert not at.exception, at.exception
    header = texts(at)
    assert "Induction done: 6 of 6 planned; since then 1 maintenance and 1 booster infusion" in header
    assert "Boosters: 1 given" in header
    assert not any("Course timeline" in c.proto.spec for c in at.get("plotly_chart"))  # tabs run lazily
    at.session_state["chart_tab"] = "Course timeline"  # the therapist opens the tab
    at.run()
    spec = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                if "Course timeline" in json.dumps(json.loads(c.proto.spec)["layout"].get("title", "")))
    by_meta: dict[str, list[str]] = {}
    for trace in spec["data"]:
        by_meta.setdefault(trace["meta"], []).extend(trace["text"])

    series = store.load_series(conn, "KC-9001")
    assert len(series) == 8 and len(by_meta["score"]) == len(series)  # every score
    sessions = store.list_sessions(conn, "KC-9001")
    assert len(by_meta["Infusions"]) == len(sessions) == 8
    assert sorted(by_meta["Side effects"]) == sorted(
        ["#1: nausea or vomiting (mild)", "#1: dissociation (moderate)", "#5: hallucinations or delirium (severe)"])
    alerts = store.list_alerts(conn, patient_ids=["KC-9001"])
    assert set(alerts["kind"]) == {"vitals", "side_effect", "safety"}
    assert len(by_meta["Alerts"]) == len(alerts) == 3  # every alert
    assert len(by_meta["Vitals flags"]) == 1 and "[S31]" in by_meta["Vitals flags"][0]
    assert len(by_meta["Psychotherapy"]) == 8
    assert (sessions["n_pre"].sum(), sessions["n_post"].sum()) == (2, 2)  # check-ins linked to their sessions
    at.session_state["chart_tab"] = "Sessions"
    at.run()
    table = next(d.value for d in at.dataframe if "BP·HR before" in d.value.columns)
    assert list(table["phase"]) == ["induction"] * 6 + ["maintenance", "booster"]
    actions = set(store.audit_events(conn, "KC-9001")["action"])
    assert {"screening.create", "screening.review", "course.create", "session.create", "alert.create"} <= actions


def test_booking_a_followup_time_on_the_session_page(clinic):
    conn, uid = clinic
    at = open_page(uid, "app_pages/session.py")
    at.date_input(key="sess_date").set_value(T0)
    click(at, "Save session")
    fid = int(store.list_followups(conn, "KC-9001")["id"].iloc[0])
    at.date_input(key=f"sess_fu_date_{fid}").set_value(T0 + timedelta(days=1))
    at.time_input(key=f"sess_fu_time_{fid}").set_value(time(16, 30))
    at.button(key=f"sess_fu_book_{fid}").click().run()
    f = store.list_followups(conn, "KC-9001").iloc[0]
    assert f["scheduled_at"] == f"{(T0 + timedelta(days=1)).isoformat()}T16:30:00Z"
    assert "followup.schedule" in set(store.audit_events(conn, "KC-9001")["action"])
    assert "booked" in texts(at)
