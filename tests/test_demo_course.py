"""The demo clinic's course records: complete, deterministic, and plausible against [S46]/[S30]."""

from __future__ import annotations

from datetime import date

import pytest

from progress import course, demo, store

ANCHOR = date(2026, 11, 16)


@pytest.fixture(scope="module")
def clinic():
    db = store.open_db(memory=True)
    report = demo.build_demo(db, patients=120, seed=7, anchor=ANCHOR)
    yield db, report
    db.close()


def test_every_patient_has_a_reviewed_screening_and_every_infusion_a_record_and_followup(clinic):
    db, report = clinic
    assert db["screenings"].count == report.patients
    assert db.execute("SELECT COUNT(*) FROM screenings WHERE reviewed_at IS NULL OR reviewed_by IS NULL").fetchone()[0] == 0
    assert db["session_records"].count == db["followups"].count == report.infusions


def test_esketamine_sessions_carry_rems_fields_S30(clinic):
    db, _ = clinic
    rows = db.execute(
        "SELECT r.lot, r.observation_min, r.sedation FROM session_records r JOIN infusions i ON i.id = r.infusion_id "
        "WHERE i.route = 'intranasal'"
    ).fetchall()
    assert rows and all(lot and obs >= 120 and sedation for lot, obs, sedation in rows)


def test_vitals_flags_are_rare_and_each_raised_an_alert(clinic):
    db, report = clinic
    flagged = db.execute("SELECT COUNT(*) FROM session_records WHERE flags != '[]'").fetchone()[0]
    assert 0 < flagged < 0.05 * report.infusions  # about 1 % of sessions surge [S46]
    assert db.execute("SELECT COUNT(*) FROM alerts WHERE kind = 'vitals'").fetchone()[0] == flagged


def test_demo_patient_has_a_full_course_on_the_timeline_and_only_safety_alerts(clinic):
    db, report = clinic
    pid = report.demo_patient_id
    sessions = store.list_sessions(db, pid)
    assert set(sessions["phase"]) == {"induction", "maintenance", "booster"}
    assert all(sessions["vitals"].map(len) == 3)
    assert set(store.list_alerts(db, patient_ids=[pid])["kind"]) == {"safety"}
    lines = course.plan_lines(store.latest_course(db, pid), store.list_infusions(db, pid), as_of="2026-11-16T00:00:00Z")
    assert lines[0].startswith("Induction done") and lines[1].startswith("Maintenance:")


def test_followups_before_the_anchor_are_mostly_done_and_none_after(clinic):
    db, _ = clinic
    done, total = db.execute(
        "SELECT SUM(done_at IS NOT NULL), COUNT(*) FROM followups WHERE due_until < '2026-11-15'"
    ).fetchone()
    assert 0.85 < done / total < 1.0
    assert db.execute("SELECT COUNT(*) FROM followups WHERE done_at >= '2026-11-16'").fetchone()[0] == 0


def test_course_records_are_deterministic():
    def snapshot():
        db = store.open_db(memory=True)
        demo.build_demo(db, patients=20, seed=3, anchor=ANCHOR)
        return [db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in ("screenings", "session_records", "followups")]
    assert snapshot() == snapshot()
