"""A resubmitted check-in (double tap, retry, two tabs, two processes) is saved exactly once."""

from __future__ import annotations

import multiprocessing as mp

import pytest

from progress import store
from progress.errors import ValidationError
from progress.scoring import score
from progress.store import Actor

pytestmark = pytest.mark.both_backends

T0 = "2026-12-03T09:00:00Z"
ACTOR = Actor(None, "patient", "checkin")


def counts(db) -> tuple[int, int, int, int]:
    q = lambda t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: E731
    return q("assessments"), q("answers"), q("alerts"), q("audit_events")


@pytest.fixture
def patient(db) -> str:
    store.add_patient(db, "p1", created_at=T0)
    store.add_patient(db, "p2", created_at=T0)
    return "p1"


def save(db, pid: str, key: str | None, item9: int = 2):
    return store.save_assessment(db, pid, score("phq9", [1] * 8 + [item9]), administered_at=T0,
                                 context="weekly", actor=ACTOR, idempotency_key=key)


def test_a_repeat_returns_the_first_save_and_writes_nothing(db, patient):
    first = save(db, patient, "sub-1")
    after_first = counts(db)
    assert save(db, patient, "sub-1") == first
    assert counts(db) == after_first == (1, 9, 1, 2)  # one check-in, 9 answers, its alert, 2 audit rows


def test_without_a_key_each_call_is_a_new_submission(db, patient):
    save(db, patient, None)
    save(db, patient, None)
    assert counts(db)[0] == 2


def test_a_key_reused_for_another_patient_is_refused(db, patient):
    save(db, patient, "sub-1")
    with pytest.raises(ValidationError, match="another patient"):
        save(db, "p2", "sub-1")
    assert counts(db)[0] == 1


@pytest.mark.parametrize("key", ["", "k" * 201, 42], ids=["empty", "too-long", "number"])
def test_malformed_keys_are_refused_before_writing(db, patient, key):
    with pytest.raises(ValidationError, match="idempotency key"):
        save(db, patient, key)
    assert counts(db) == (0, 0, 0, 0)


def _resubmit(path: str, keys: list[str]) -> None:
    db = store.open_db(path)
    for key in keys:
        save(db, "p1", key, item9=0)
    db.close()


def test_processes_racing_on_the_same_keys_save_each_once(db_target):
    path = db_target
    db = store.open_db(path)
    store.add_patient(db, "p1", created_at=T0)
    keys = [f"sub-{i}" for i in range(30)]
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_resubmit, args=(str(path), keys)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * 4
    assert counts(db)[:2] == (30, 270)
    dupes = db.execute("SELECT COUNT(*) FROM (SELECT idempotency_key FROM assessments "
                       "GROUP BY idempotency_key HAVING COUNT(*) > 1) AS d").fetchone()[0]
    assert dupes == 0
