"""The audit trail: the chain under concurrent writers, export and access logs, and
``python -m progress audit verify``."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
from pathlib import Path

import pytest

from progress import store
from progress.__main__ import main
from progress.errors import ValidationError
from progress.store import Actor

pytestmark = pytest.mark.both_backends

T0 = "2026-01-01T00:00:00Z"
THERAPIST = Actor(7, "therapist", "chart")


def _append_events(path: str, n: int, errors) -> None:
    try:
        db = store.open_db(path)
        for i in range(n):
            store.record_event(db, Actor(None, "system", "worker"), "record.view", T0, "p1", detail=str(i))
        db.close()
    except Exception as exc:  # reported to the parent, which names it in the failure
        errors.put(f"{type(exc).__name__}: {exc}")
        raise


def test_chain_stays_linear_when_processes_append_at_once(db_target):
    path = db_target
    db = store.open_db(path)
    store.add_patient(db, "p1", created_at=T0)
    ctx = mp.get_context("fork")
    errors = ctx.Queue()
    workers = [ctx.Process(target=_append_events, args=(str(path), 40, errors)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    reported = [errors.get() for _ in range(errors.qsize())] if not errors.empty() else []
    assert [w.exitcode for w in workers] == [0, 0, 0], reported
    assert store.verify_audit_chain(db) == (True, 120, None)
    forks = db.execute("SELECT COUNT(*) - COUNT(DISTINCT prev_hash) FROM audit_events").fetchone()[0]
    assert forks == 0


def test_event_joins_the_callers_transaction_and_rolls_back_with_it(db):
    store.add_patient(db, "p1", created_at=T0)
    with pytest.raises(RuntimeError), db.atomic():
        store.record_event(db, THERAPIST, "record.view", T0, "p1")
        raise RuntimeError("the caller's write failed")
    assert store.verify_audit_chain(db) == (True, 0, None)


@pytest.mark.parametrize(
    ("kind", "expected"), [("assessments", ["p1"]), ("infusions", [])], ids=["assessments", "infusions-none"]
)
def test_export_logs_one_event_per_exported_patient(db, kind, expected):
    from progress.scoring import score

    for pid in ("p1", "p2"):
        store.add_patient(db, pid, created_at=T0)
    store.save_assessment(db, "p1", score("phq9", [1] * 9), administered_at=T0, context="weekly")
    assert store.record_export(db, Actor.system("cli"), kind, T0) == len(expected)
    exported = store.audit_events(db, actions=["record.export"])
    assert sorted(exported["patient_id"]) == expected


def test_export_of_an_unknown_kind_is_refused(db):
    with pytest.raises(ValidationError, match="not one of"):
        store.record_export(db, Actor.system("cli"), "answers; DROP TABLE users", T0)


def test_access_log_lists_reads_not_writes_with_who_and_why(db):
    uid = store.add_user(db, "dr_kim", "therapist", display_name="Dr Kim", created_at=T0)
    store.add_patient(db, "p1", created_at=T0)
    actor = Actor(uid, "therapist", "chart")
    store.record_event(db, actor, "record.view", T0, "p1")
    store.record_event(db, actor, "record.break_glass", T0, "p1", detail="covering for Dr Lee")
    store.record_event(db, actor, "alert.acknowledge", T0, "p1", detail="alert 1")
    log = store.record_access_log(db, "p1")
    assert list(log["action"]) == ["record.break_glass", "record.view"]
    assert set(log["who"]) == {"Dr Kim"}
    assert log.iloc[0]["detail"] == "covering for Dr Lee"


# -- audit verify ----------------------------------------------------------------------


def _demo_file(path: Path | str) -> Path | str:
    db = store.open_db(path)
    store.add_patient(db, "p1", created_at=T0)
    for i in range(3):
        store.record_event(db, THERAPIST, "record.view", T0, "p1", detail=str(i))
    db.close()
    return path


def _tamper(target: Path | str, sql: str) -> None:
    """Edit behind the app's back: plain sqlite3 on the file, or psql-like as the database owner."""
    if isinstance(target, str):
        import psycopg

        with psycopg.connect(target, autocommit=True) as raw:
            raw.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
            raw.execute(sql)
        return
    raw = sqlite3.connect(target)
    raw.executescript("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;" + sql)
    raw.close()


def test_verify_reports_an_intact_chain_with_exit_0(db_target, capsys):
    path = _demo_file(db_target)
    assert main(["audit", "verify", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.strip() == "Audit chain intact: 3 event(s) checked."


@pytest.mark.parametrize(
    ("sql", "broken_at"),
    [
        ("UPDATE audit_events SET detail = 'edited' WHERE id = 2;", 2),
        ("DELETE FROM audit_events WHERE id = 2;", 3),
        ("UPDATE audit_events SET user_id = 99 WHERE id = 3;", 3),
    ],
    ids=["edited-detail", "deleted-row", "changed-user"],
)
def test_verify_names_the_first_broken_event_with_exit_1(db_target, capsys, sql, broken_at):
    path = _demo_file(db_target)
    _tamper(path, sql)
    assert main(["audit", "verify", "--db", str(path)]) == 1
    out = capsys.readouterr().out.strip()
    assert out.startswith(f"Audit chain BROKEN at event {broken_at}")
    assert len(out.splitlines()) == 1


def test_verify_of_a_missing_file_fails_without_creating_it(tmp_path, capsys):
    missing = tmp_path / "nope.db"
    assert main(["audit", "verify", "--db", str(missing)]) == 2
    assert not missing.exists()
    assert "No database file" in capsys.readouterr().err
