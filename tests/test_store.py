"""The store: round trips, atomic saves, safety alerts, summaries, the audit chain and
the connection rules (WAL, foreign keys, migrations), on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from progress import store
from progress.errors import NotFound, ValidationError
from progress.model import Score
from progress.scoring import score, score_total_only
from progress.store import Actor

pytestmark = pytest.mark.both_backends

T0 = "2026-01-01T00:00:00Z"
D = "2026-03-{:02d}T09:00:00Z".format
NURSE = Actor(None, "therapist", "tests")


def counts(db) -> dict[str, int]:
    tables = ("assessments", "answers", "alerts", "audit_events", "summaries")
    return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}


EMPTY = {"assessments": 0, "answers": 0, "alerts": 0, "audit_events": 0, "summaries": 0}


@pytest.fixture
def patient(db) -> str:
    store.add_patient(db, "p1", indications=["depression"], created_at=T0)
    return "p1"


@pytest.fixture
def clinician(db) -> Actor:
    uid = store.add_user(db, "dr_lee", "therapist", display_name="Dr Lee", created_at=T0)
    return Actor(uid, "therapist", "alerts page")


def phq9(item9: int = 0, rest: int = 1) -> Score:
    return score("phq9", [rest] * 8 + [item9])


# -- round trip -----------------------------------------------------------------------------


def test_saved_assessment_reads_back_with_its_answers_and_utc_time(db, patient):
    answers = {"phq9_1": 2, "phq9_2": 2, "phq9_3": 2, "phq9_4": 2, "phq9_5": 1, "phq9_6": 1,
               "phq9_7": 2, "phq9_8": 0, "phq9_9": 0, "phq9_10": 1}
    saved = store.save_assessment(
        db, patient, score("phq9", answers), administered_at="2026-03-02T09:30:00-05:00",
        context="pre_infusion",
    )
    series = store.load_series(db, patient, "phq9")
    assert len(series) == 1
    row = series.iloc[0]
    assert row["id"] == saved.assessment_id
    assert row["administered_at"] == "2026-03-02T14:30:00Z"  # 09:30 at -05:00 is 14:30 UTC
    assert (row["total"], row["band"], row["flags"], row["subscales"]) == (12, "moderate", [], {})
    assert (row["context"], row["respondent"], row["recall_period"]) == ("pre_infusion", "self", "P2W")
    assert (row["n_missing"], row["prorated"], row["total_only"]) == (0, 0, 0)
    stored = store.load_answers(db, patient, "phq9")
    assert dict(zip(stored["item_id"], stored["value"], strict=True)) == answers
    assert set(stored["assessment_id"]) == {saved.assessment_id}
    assert saved.alert_id is None


def test_pcl5_subscales_and_flags_round_trip(db, patient):
    answers = [2, 0, 0, 0, 0, 2, 0, 2, 2, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0]
    store.save_assessment(db, patient, score("pcl5", answers), administered_at=D(2), context="intake")
    row = store.load_series(db, patient, "pcl5").iloc[0]
    assert row["subscales"] == {"B": 2, "C": 2, "D": 4, "E": 4}
    assert row["flags"] == ["pcl5_provisional_ptsd"]
    assert (row["total"], row["band"], row["recall_period"]) == (12, None, "P1M")


def test_prorated_and_total_only_scores_keep_their_markers(db, patient):
    store.save_assessment(db, patient, score("phq9", [1, 1, 1, 1, 1, 1, 1, None, 0], prorate=True),
                          administered_at=D(2), context="weekly")
    store.save_assessment(db, patient, score_total_only("phq9", 14), administered_at=D(9),
                          context="weekly", respondent="import", total_only=True)
    series = store.load_series(db, patient, "phq9")
    assert list(series["total"]) == [8, 14]  # 7 * 9 / 8 = 7.875 -> 8
    assert list(series["n_missing"]) == [1, 0]
    assert list(series["prorated"]) == [1, 0]
    assert list(series["total_only"]) == [0, 1]
    assert series.iloc[1]["flags"] == ["item9_unknown"]
    assert len(store.load_answers(db, patient, "phq9")) == 8  # the total-only row has none


def test_series_is_in_time_order_and_filters_by_instrument_and_dates(db, patient):
    for day, inst, answers in [(9, "phq9", [1] * 9), (2, "phq9", [2] * 9), (5, "gad7", [1] * 7)]:
        store.save_assessment(db, patient, score(inst, answers), administered_at=D(day), context="weekly")
    assert list(store.load_series(db, patient, "phq9")["administered_at"]) == [D(2), D(9)]
    assert list(store.load_series(db, patient)["instrument"]) == ["phq9", "gad7", "phq9"]
    assert list(store.load_series(db, patient, since=D(3), until=D(8))["instrument"]) == ["gad7"]


# -- atomic saves ---------------------------------------------------------------------------


def test_failure_at_the_last_step_leaves_nothing_written(db, patient):
    # The audit row is written last; a NOT NULL violation there must undo the assessment,
    # its answers, its safety alert and the summaries written before it.
    broken_actor = Actor(None, "therapist", None)
    before = store.patient_summary(db, patient)
    with pytest.raises(store.IntegrityError):
        store.save_assessment(db, patient, phq9(item9=3), administered_at=D(2), context="weekly",
                              actor=broken_actor)
    assert counts(db) == EMPTY
    assert store.patient_summary(db, patient) == before


def test_failed_answers_insert_rolls_back_the_assessment(db, patient):
    # answers.value is an INTEGER column (STRICT on SQLite): text cannot be stored there
    bad = Score("phq9", 9, "mild", flags=("item9_positive",), answers={"phq9_1": 1, "phq9_9": "x"})
    with pytest.raises(store.DatabaseError, match="(?i)integer|bigint"):
        store.save_assessment(db, patient, bad, administered_at=D(2), context="weekly", actor=NURSE)
    assert counts(db) == EMPTY


def test_saving_after_a_failed_save_still_works(db, patient):
    with pytest.raises(store.IntegrityError):
        store.save_assessment(db, patient, phq9(), administered_at=D(2), context="weekly",
                              actor=Actor(None, None, None))
    store.save_assessment(db, patient, phq9(), administered_at=D(3), context="weekly", actor=NURSE)
    assert counts(db) == {"assessments": 1, "answers": 9, "alerts": 0, "audit_events": 1, "summaries": 1}


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"patient_id": "ghost"}, NotFound, "ghost"),
        ({"context": "lunch"}, ValidationError, "context 'lunch'"),
        ({"respondent": "robot"}, ValidationError, "respondent 'robot'"),
        ({"administered_at": "2026-03-02T09:30:00"}, ValidationError, "no time-zone offset"),
        ({"administered_at": "yesterday"}, ValidationError, "not an ISO 8601"),
        ({"infusion_id": 999}, store.IntegrityError, "(?i)foreign key"),
        ({"entered_by": 999}, store.IntegrityError, "(?i)foreign key"),
    ],
    ids=["unknown-patient", "bad-context", "bad-respondent", "naive-time", "not-a-time",
         "unknown-infusion", "unknown-user"],
)
def test_rejected_save_writes_nothing(db, patient, kwargs, error, message):
    args = {"patient_id": patient, "administered_at": D(2), "context": "weekly", **kwargs}
    pid = args.pop("patient_id")
    with pytest.raises(error, match=message):
        store.save_assessment(db, pid, phq9(item9=2), actor=NURSE, **args)
    assert counts(db) == EMPTY


# -- safety alerts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item9", "severity", "label"),
    [(1, "moderate", "Several days"), (2, "high", "More than half the days"), (3, "high", "Nearly every day")],
)
def test_positive_item9_opens_exactly_one_safety_alert_in_the_same_save(db, patient, item9, severity, label):
    saved = store.save_assessment(db, patient, phq9(item9=item9), administered_at=D(2),
                                  context="weekly", actor=NURSE)
    alerts = store.list_alerts(db, patient_ids=[patient])
    assert len(alerts) == 1
    alert = alerts.iloc[0]
    assert alert["id"] == saved.alert_id
    assert alert["assessment_id"] == saved.assessment_id
    assert (alert["kind"], alert["severity"], alert["status"]) == ("safety", severity, "open")
    assert f"'{label}' ({item9} of 3)" in alert["reason"]
    assert alert["created_at"] == D(2)
    assert store.patient_summary(db, patient)["open_alerts"] == 1
    actions = list(store.audit_events(db, patient)["action"])
    assert sorted(actions) == ["alert.create", "assessment.create"]


def test_item9_zero_opens_no_alert(db, patient):
    saved = store.save_assessment(db, patient, phq9(item9=0, rest=3), administered_at=D(2), context="weekly")
    assert saved.alert_id is None
    assert counts(db)["alerts"] == 0
    assert store.patient_summary(db, patient)["open_alerts"] == 0


def test_gad7_never_opens_a_safety_alert(db, patient):
    store.save_assessment(db, patient, score("gad7", [3] * 7), administered_at=D(2), context="weekly")
    assert counts(db)["alerts"] == 0


def test_acknowledging_an_alert_records_who_and_when(db, patient, clinician):
    saved = store.save_assessment(db, patient, phq9(item9=1), administered_at=D(2), context="weekly")
    store.acknowledge_alert(db, saved.alert_id, clinician, "2026-03-02T11:00:00+01:00")
    row = store.list_alerts(db, patient_ids=[patient]).iloc[0]
    assert (row["status"], row["acknowledged_by"]) == ("acknowledged", clinician.user_id)
    assert row["acknowledged_at"] == "2026-03-02T10:00:00Z"
    assert row["acknowledged_by_name"] == "Dr Lee"
    assert store.patient_summary(db, patient)["open_alerts"] == 0
    events = store.audit_events(db, patient)
    assert list(events["action"]) == ["alert.acknowledge"]
    assert list(events["who"]) == ["Dr Lee"]


def test_an_alert_cannot_be_acknowledged_twice(db, patient, clinician):
    saved = store.save_assessment(db, patient, phq9(item9=2), administered_at=D(2), context="weekly")
    store.acknowledge_alert(db, saved.alert_id, clinician, D(3))
    with pytest.raises(ValidationError, match="already acknowledged"):
        store.acknowledge_alert(db, saved.alert_id, clinician, D(4))
    row = store.list_alerts(db, patient_ids=[patient]).iloc[0]
    assert row["acknowledged_at"] == D(3)  # the first acknowledgement stands
    assert counts(db)["audit_events"] == 1


def test_acknowledging_an_unknown_alert_is_not_found(db, clinician):
    with pytest.raises(NotFound, match="42"):
        store.acknowledge_alert(db, 42, clinician, D(3))


# -- summaries ------------------------------------------------------------------------------


def save_phq9_total(db, patient_id, day, total, context="weekly"):
    answers = [min(3, max(0, total - 3 * k)) for k in range(8)] + [0]
    assert sum(answers) == total
    store.save_assessment(db, patient_id, score("phq9", answers), administered_at=D(day), context=context)


def test_summary_uses_the_last_score_at_or_before_the_first_infusion(db, patient):
    store.add_infusion(db, patient, administered_at=D(3), route="IV", phase="induction", dose_mg_per_kg=0.5)
    for day, total in [(1, 20), (3, 18), (10, 9), (17, 4)]:
        save_phq9_total(db, patient, day, total)
    s = store.instrument_summaries(db, patient).iloc[0]
    assert (s["instrument"], s["n"]) == ("phq9", 4)
    assert (s["baseline_total"], s["baseline_at"]) == (18, D(3))
    assert (s["latest_total"], s["latest_at"], s["latest_band"]) == (4, D(17), "minimal")
    assert (s["nadir_total"], s["nadir_at"]) == (4, D(17))
    assert s["change"] == -14
    assert s["pct_change"] == pytest.approx(-77.7777777778)  # -14 / 18
    assert (s["status"], s["reliable"]) == ("in remission", "improved")


@pytest.mark.parametrize(
    ("baseline", "latest", "status", "reliable"),
    [(20, 10, "responding", "improved"),  # 50 % and -10 points
     (20, 14, "partial response", "improved"),  # 30 % and -6 points
     (20, 15, "partial response", "no reliable change"),  # exactly 25 % but only -5 points
     (20, 16, "not yet responding", "no reliable change"),  # 20 %
     (18, 24, "not yet responding", "deteriorated"),  # +6 points
     (6, 4, "in remission", "no reliable change")],  # below 5
    ids=["50pct", "30pct", "25pct", "20pct", "worse-by-6", "remission"],
)
def test_summary_status_follows_the_metrics_rules(db, patient, baseline, latest, status, reliable):
    save_phq9_total(db, patient, 1, baseline, "intake")
    save_phq9_total(db, patient, 8, latest)
    s = store.instrument_summaries(db, patient).iloc[0]
    assert (s["baseline_total"], s["latest_total"]) == (baseline, latest)
    assert (s["status"], s["reliable"]) == (status, reliable)


def test_summary_without_a_pre_infusion_score_has_no_baseline(db, patient):
    store.add_infusion(db, patient, administered_at=D(1), route="IV", phase="induction")
    save_phq9_total(db, patient, 5, 12)
    s = store.instrument_summaries(db, patient).iloc[0]
    assert pd.isna(s["baseline_total"]) and pd.isna(s["baseline_at"])
    assert s["status"] == "no baseline"


def test_recording_the_first_infusion_refreshes_the_baseline(db, patient):
    # Check-in scores are often saved before the nurse records the infusion they precede.
    save_phq9_total(db, patient, 1, 20, "intake")
    save_phq9_total(db, patient, 3, 18, "pre_infusion")
    store.add_infusion(db, patient, administered_at="2026-03-03T10:00:00Z", route="IV", phase="induction")
    s = store.instrument_summaries(db, patient).iloc[0]
    assert (s["baseline_total"], s["baseline_at"]) == (18, D(3))
    ps = store.patient_summary(db, patient)
    assert (ps["n_infusions"], ps["first_infusion_at"]) == (1, "2026-03-03T10:00:00Z")


def test_patient_summary_tracks_last_assessment_and_infusions(db, patient):
    store.add_infusion(db, patient, administered_at=D(3), route="IV", phase="induction")
    store.add_infusion(db, patient, administered_at=D(20), route="intranasal", phase="booster")
    save_phq9_total(db, patient, 5, 12)
    ps = store.patient_summary(db, patient)
    assert (ps["last_assessment_at"], ps["first_infusion_at"], ps["last_infusion_at"]) == (D(5), D(3), D(20))
    assert (ps["n_infusions"], ps["n_boosters"], ps["phase"], ps["route"]) == (2, 1, "booster", "intranasal")


# -- audit chain ----------------------------------------------------------------------------


def make_events(db, patient, n=3):
    for day in range(1, n + 1):
        store.save_assessment(db, patient, phq9(), administered_at=D(day), context="weekly", actor=NURSE)


def test_audit_chain_verifies_when_untouched(db, patient, clinician):
    make_events(db, patient, 3)
    saved = store.save_assessment(db, patient, phq9(item9=1), administered_at=D(4), context="weekly",
                                  actor=NURSE)
    store.acknowledge_alert(db, saved.alert_id, clinician, D(5))
    assert store.verify_audit_chain(db) == (True, 6, None)  # 4 saves, 1 alert, 1 acknowledgement


def test_empty_audit_chain_verifies(db):
    assert store.verify_audit_chain(db) == (True, 0, None)


def test_audit_events_hold_no_scores_or_answers(db, patient):
    store.save_assessment(db, patient, phq9(item9=3, rest=3), administered_at=D(1), context="weekly",
                          actor=NURSE)
    details = [r[0] for r in db.execute("SELECT detail FROM audit_events")]
    assert all("27" not in d and "phq9_9" not in d for d in details)


@pytest.mark.parametrize("sql", ["UPDATE audit_events SET detail = 'edited'", "DELETE FROM audit_events"],
                         ids=["update", "delete"])
def test_audit_events_are_append_only(db, patient, sql):
    make_events(db, patient, 2)
    with pytest.raises(store.IntegrityError, match="append-only"):
        db.execute(sql)
    assert counts(db)["audit_events"] == 2
    assert store.verify_audit_chain(db)[0] is True


def tamper(target, *statements):
    """Edit the data behind the app's back, as someone with the file (plain sqlite3) or the
    database owner's login (psql, guard triggers switched off) would."""
    if isinstance(target, str):  # a PostgreSQL URL
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
            for sql in statements:
                conn.execute(sql)
        return
    conn = sqlite3.connect(target)
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("DROP TRIGGER audit_no_delete")
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("statements", "broken_id", "checked"),
    [
        (["UPDATE audit_events SET detail = 'gad7' WHERE id = 2"], 2, 1),
        (["UPDATE audit_events SET at = '2026-01-01T00:00:00Z' WHERE id = 3"], 3, 2),
        (["UPDATE audit_events SET user_id = 7 WHERE id = 1"], 1, 0),
        (["DELETE FROM audit_events WHERE id = 2"], 3, 1),
        (["UPDATE audit_events SET hash = prev_hash WHERE id = 2"], 2, 1),
    ],
    ids=["edit-detail", "edit-time", "edit-user", "delete-row", "edit-hash"],
)
def test_tampering_with_the_audit_file_is_detected(db_target, statements, broken_id, checked):
    path = db_target
    db = store.open_db(path)
    store.add_patient(db, "p1", created_at=T0)
    make_events(db, "p1", 4)
    assert store.verify_audit_chain(db) == (True, 4, None)
    db.close()
    tamper(path, *statements)
    db = store.open_db(path)
    try:
        assert store.verify_audit_chain(db) == (False, checked, broken_id)
    finally:
        db.close()


def test_rehashing_one_edited_row_still_breaks_the_next_link(db_target):
    path = db_target
    db = store.open_db(path)
    store.add_patient(db, "p1", created_at=T0)
    make_events(db, "p1", 3)
    row = dict(zip(("at", "user_id", "role", "action", "patient_id", "source", "detail"),
                   db.execute("SELECT at, user_id, role, action, patient_id, source, detail "
                              "FROM audit_events WHERE id = 2").fetchone(), strict=True))
    prev = db.execute("SELECT prev_hash FROM audit_events WHERE id = 2").fetchone()[0]
    db.close()
    row["detail"] = "gad7"
    forged = store._audit_hash(prev, row)
    tamper(path, f"UPDATE audit_events SET detail = 'gad7', hash = '{forged}' WHERE id = 2")
    db = store.open_db(path)
    try:
        assert store.verify_audit_chain(db) == (False, 2, 3)
    finally:
        db.close()


# -- connection rules -----------------------------------------------------------------------


def test_foreign_keys_are_enforced(db):
    with pytest.raises(store.IntegrityError, match="(?i)foreign key"):
        db.execute("INSERT INTO infusions(patient_id, administered_at, route, phase) "
                   "VALUES ('ghost', ?, 'IV', 'induction')", [D(1)])
    with pytest.raises(store.IntegrityError, match="(?i)foreign key"):
        db.execute("INSERT INTO answers(assessment_id, item_id, value) VALUES (999, 'phq9_1', 1)")


def test_strict_tables_reject_wrong_types(db, patient):
    with pytest.raises(store.DatabaseError, match="(?i)real|double precision"):
        db.execute("INSERT INTO infusions(patient_id, administered_at, route, phase, dose_mg_per_kg) "
                   "VALUES (?, ?, 'IV', 'induction', 'lots')", [patient, D(1)])


def test_migrate_is_idempotent(db, patient):
    tables = store.schema_shape(db)["tables"]
    assert "assessments" in tables and "audit_events" in tables
    assert store.migrate(db) == store.SCHEMA_VERSION
    assert store.migrate(db) == store.SCHEMA_VERSION
    assert store.schema_version(db) == store.SCHEMA_VERSION == len(store.MIGRATIONS)
    assert store.schema_shape(db)["tables"] == tables
    assert store.patient_exists(db, patient)


def test_migrate_refuses_a_newer_database(db, backend):
    if backend == "postgresql":
        db.execute("UPDATE schema_version SET version = ?", [store.SCHEMA_VERSION + 1])
    else:
        db.execute(f"PRAGMA user_version = {store.SCHEMA_VERSION + 1}")
    with pytest.raises(ValidationError, match="newer"):
        store.migrate(db)


@pytest.mark.sqlite_only  # WAL and PRAGMAs are SQLite's
def test_file_database_uses_wal_and_foreign_keys_and_keeps_data(tmp_path):
    path = tmp_path / "sub" / "clinic.db"
    db = store.open_db(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        store.add_patient(db, "p1", created_at=T0)
    finally:
        db.close()
    db = store.open_db(path)  # reopening migrates nothing and loses nothing
    try:
        assert store.schema_version(db) == store.SCHEMA_VERSION
        assert store.list_patient_ids(db) == ["p1"]
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    finally:
        db.close()


@pytest.mark.sqlite_only  # PostgreSQL always enforces foreign keys (test_foreign_keys_are_enforced)
def test_in_memory_fixture_has_foreign_keys_on(db):
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_assign_patients_moves_a_caseload_whole_or_not_at_all(db):
    from progress.errors import NotFound

    a = store.add_user(db, "t1", "therapist", created_at="2026-01-01T00:00:00Z")
    b = store.add_user(db, "t2", "therapist", created_at="2026-01-01T00:00:00Z")
    lead = store.add_user(db, "l1", "lead", created_at="2026-01-01T00:00:00Z")
    for pid in ("P1", "P2", "P3"):
        store.add_patient(db, pid, therapist_id=a, created_at="2026-01-01T00:00:00Z")
    assert store.assign_patients(db, ["P1", "P2"], b) == 2
    assert store.list_patient_ids(db, b) == ["P1", "P2"]
    with pytest.raises(NotFound):
        store.assign_patients(db, ["P3", "NOPE"], b)  # one unknown id: nothing moves
    assert store.list_patient_ids(db, a) == ["P3"]
    with pytest.raises(NotFound):
        store.assign_patients(db, ["P3"], lead)
