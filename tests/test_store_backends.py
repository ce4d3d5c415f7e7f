"""SQLite and PostgreSQL behind the same store: the same schema, chosen by a setting, migrated
once when app servers start together, bulk ids that later inserts do not collide with, and
the SQL translation kept to placeholders."""

from __future__ import annotations

import multiprocessing as mp

import numpy as np
import pytest

from progress import store
from progress.errors import ValidationError
from progress.scoring import score
from progress.store import pg
from progress.store.schema_pg import PG_MIGRATIONS

pytestmark = pytest.mark.both_backends

T0 = "2026-01-01T00:00:00Z"


def test_every_migration_has_its_postgresql_twin():
    assert len(PG_MIGRATIONS) == len(store.MIGRATIONS) == store.SCHEMA_VERSION, (
        "append the PostgreSQL twin of the new migration to PG_MIGRATIONS in progress/store/schema_pg.py"
    )


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_both_backends_build_the_same_tables_columns_indexes_and_triggers(db):
    sqlite = store.open_db(memory=True)
    try:
        want = store.schema_shape(sqlite)
    finally:
        sqlite.close()
    got = store.schema_shape(db)
    assert got["tables"] == want["tables"]
    assert got["indexes"] == want["indexes"]
    # PostgreSQL also refuses TRUNCATE, which its row triggers would not see.
    assert got["triggers"] - want["triggers"] == {"audit_no_truncate", "alerts_no_truncate"}
    assert want["triggers"] <= got["triggers"]


@pytest.mark.parametrize(
    ("sql", "named", "expected"),
    [
        ("SELECT * FROM t WHERE a = ? AND b = ?", False, "SELECT * FROM t WHERE a = %s AND b = %s"),
        ("SELECT 1 WHERE x LIKE 'alert.%' AND y = ?", False, "SELECT 1 WHERE x LIKE 'alert.%%' AND y = %s"),
        ("SELECT '?', 'it''s ?' WHERE a = ?", False, "SELECT '?', 'it''s ?' WHERE a = %s"),
        ("SELECT :p, x::text FROM t WHERE y = :p", True, "SELECT %(p)s, x::text FROM t WHERE y = %(p)s"),
        ("SELECT ':p' -- why? 100%\nFROM t", True, "SELECT ':p' -- why? 100%%\nFROM t"),
    ],
    ids=["qmarks", "percent-in-literal", "qmark-in-literal", "named", "comment"],
)
def test_translation_touches_placeholders_and_percent_signs_only(sql, named, expected):
    assert pg.translate(sql, named) == expected


def test_a_url_setting_wins_over_the_file_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("PROGRESS_DB", str(tmp_path / "clinic.db"))
    monkeypatch.delenv(store.DATABASE_URL_ENV, raising=False)
    assert store.default_target() == tmp_path / "clinic.db"
    monkeypatch.setenv(store.DATABASE_URL_ENV, "postgresql://app:s3cret@db.example:5432/progress")
    assert store.default_target() == "postgresql://app:s3cret@db.example:5432/progress"
    assert store.describe_target() == "postgresql://app:***@db.example:5432/progress"
    assert store.describe_target(tmp_path / "x.db") == str(tmp_path / "x.db")


def test_open_db_follows_the_setting(db_target, monkeypatch, backend):
    monkeypatch.setenv("PROGRESS_DB" if backend == "sqlite" else store.DATABASE_URL_ENV, str(db_target))
    db = store.open_db()
    try:
        assert store.is_postgres(db) is (backend == "postgresql")
        store.add_patient(db, "p1", created_at=T0)
    finally:
        db.close()
    again = store.open_db(db_target)
    try:
        assert store.list_patient_ids(again) == ["p1"]
    finally:
        again.close()


def _open_and_add(target: str, name: str, errors) -> None:
    try:
        db = store.open_db(target)
        store.add_user(db, name, "therapist", created_at=T0)
        db.close()
    except Exception as exc:  # reported to the parent, which names it in the failure
        errors.put(f"{type(exc).__name__}: {exc}")
        raise


def test_app_servers_starting_together_migrate_exactly_once(db_target):
    ctx = mp.get_context("fork")
    errors = ctx.Queue()
    procs = [ctx.Process(target=_open_and_add, args=(str(db_target), f"u{i}", errors)) for i in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    reported = [errors.get() for _ in range(errors.qsize())] if not errors.empty() else []
    assert [p.exitcode for p in procs] == [0] * 6, reported
    db = store.open_db(db_target)
    try:
        assert store.schema_version(db) == store.SCHEMA_VERSION
        assert sorted(u["username"] for u in store.list_users(db)) == [f"u{i}" for i in range(6)]
        if store.is_postgres(db):
            assert db.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
    finally:
        db.close()


def test_inserts_after_a_bulk_load_get_fresh_ids(db):
    store.add_patient(db, "p1", created_at=T0)
    with db.atomic():
        ids = store.bulk_insert_infusions(db, [
            {"patient_id": "p1", "administered_at": f"2026-01-0{d}T10:00:00Z", "route": "IV", "phase": "induction"}
            for d in (2, 3, 4)
        ])
        store.bulk_insert_assessments(db, [("p1", score("phq9", [1] * 9), T0, "intake", "self", None, False)])
    assert ids == [1, 2, 3]
    new_infusion = store.add_infusion(db, "p1", administered_at="2026-01-05T10:00:00Z", route="IV", phase="induction")
    saved = store.save_assessment(db, "p1", score("phq9", [2] * 9), administered_at="2026-01-06T10:00:00Z",
                                  context="weekly")
    assert new_infusion == 4 and saved.assessment_id == 2
    assert db.execute("SELECT COUNT(*) FROM infusions").fetchone()[0] == 4


def test_lastrowid_is_the_new_rows_id(db):
    store.add_patient(db, "p1", created_at=T0)
    first = store.add_user(db, "a", "therapist", created_at=T0)
    second = store.add_user(db, "b", "therapist", created_at=T0)
    assert (first, second) == (1, 2)
    assert store.get_user(db, user_id=second)["username"] == "b"


def test_a_failed_statement_inside_a_transaction_rolls_back_to_its_savepoint(db):
    store.add_patient(db, "p1", created_at=T0)
    with db.atomic():
        store.add_user(db, "kept", "therapist", created_at=T0)
        with pytest.raises(store.IntegrityError), db.atomic():
            db.execute("INSERT INTO infusions(patient_id, administered_at, route, phase) "
                       "VALUES ('ghost', ?, 'IV', 'induction')", [T0])
        store.add_user(db, "also kept", "therapist", created_at=T0)  # the transaction goes on
    assert [u["username"] for u in store.list_users(db)] == ["also kept", "kept"]


def test_bool_parameters_are_stored_as_integer_flags(db):
    uid = store.add_user(db, "a", "therapist", created_at=T0, is_demo=True)
    store.update_user(db, uid, disabled=True)
    row = store.get_user(db, user_id=uid)
    assert (row["is_demo"], row["disabled"]) == (1, 1)


def test_backup_says_what_to_use_on_each_backend(db, backend, tmp_path):
    store.add_patient(db, "p1", created_at=T0)
    if backend == "postgresql":
        with pytest.raises(ValidationError, match="pg_dump"):
            store.backup_to(db, tmp_path / "b.db")
        assert not (tmp_path / "b.db").exists()
    else:
        assert store.backup_to(db, tmp_path / "b.db").counts["patients"] == 1


def test_the_cli_takes_a_url_or_a_file(db_target, capsys):
    from progress.__main__ import main

    db = store.open_db(db_target)
    store.record_event(db, store.Actor.system("test"), "record.view", T0)
    db.close()
    assert main(["audit", "verify", "--db", str(db_target)]) == 0
    assert capsys.readouterr().out.strip() == "Audit chain intact: 1 event(s) checked."


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_demo_clinic_reads_back_the_same_on_both_backends(db):
    """The whole write path (bulk loads, sessions, screenings, alerts, summaries, signals, the
    audit chain) on PostgreSQL, every clinic-wide read compared with the same clinic on SQLite."""
    from datetime import date

    from progress import demo

    sqlite = store.open_db(memory=True)
    try:
        reports = [demo.build_demo(d, patients=20, seed=3, anchor=date(2026, 12, 1)) for d in (db, sqlite)]
        assert reports[0] == reports[1] and reports[0].assessments > 0
        for read in (lambda d: store.caseload(d, None), store.cohort_patients, store.signal_counts,
                     lambda d: store.list_alerts(d), lambda d: store.audit_events(d, limit=500),
                     # signals are rewritten on every save: SQLite reuses the freed ids, a
                     # PostgreSQL sequence never does, so only their ids differ
                     lambda d: store.list_signals(d).drop(columns="id"),
                     lambda d: store.list_sessions(d, reports[0].demo_patient_id)):
            pg_rows, sqlite_rows = read(db), read(sqlite)
            assert len(pg_rows) == len(sqlite_rows)
            assert pg_rows.astype(str).equals(sqlite_rows.astype(str))
        from progress import cohort
        for axis in ("week", "infusion"):  # the cohort view: numbers, flags and the points matrix
            flt = store.CohortFilter(indication="depression")
            views = [store.cohort_view(d, "phq9", flt, axis=axis, active_since="2026-11-01") for d in (db, sqlite)]
            assert len(views[0]) == len(views[1]) > 0
            assert views[0].cols.keys() == views[1].cols.keys()
            for name, values in views[0].cols.items():
                np.testing.assert_array_equal(values, views[1].cols[name], err_msg=name)
            assert (views[0].points.tobytes() == views[1].points.tobytes())
            assert cohort.view_trajectory(views[0]).equals(cohort.view_trajectory(views[1]))
        assert store.exchange_assessments(db) == store.exchange_assessments(sqlite)
        assert store.verify_audit_chain(db) == store.verify_audit_chain(sqlite)
        assert store.verify_audit_chain(db)[0] is True
    finally:
        sqlite.close()
