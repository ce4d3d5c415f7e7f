"""Online backup and restore: a sound copy while writers run, checks that refuse a bad copy."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import time

import pytest

from progress import store
from progress.__main__ import main
from progress.errors import ValidationError
from progress.scoring import score

T0 = "2026-12-03T09:00:00Z"


def _writer(path: str, seconds: float) -> None:
    db = store.open_db(path)
    end, i = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        store.save_assessment(db, "p1", score("phq9", [1] * 8 + [i % 2]), administered_at=T0,
                              context="weekly", actor=store.Actor.system("writer"), idempotency_key=f"w{i}")
        i += 1


@pytest.fixture
def live(tmp_path):
    path = tmp_path / "live.db"
    db = store.open_db(path)
    store.add_patient(db, "p1", created_at=T0)
    yield path, db
    db.close()


def test_backup_while_a_writer_runs_is_a_sound_snapshot(live, tmp_path):
    path, db = live
    writer = mp.get_context("fork").Process(target=_writer, args=(str(path), 1.5))
    writer.start()
    time.sleep(0.5)
    before = db.execute("SELECT COUNT(*) FROM assessments").fetchone()[0]
    check = store.backup_to(db, tmp_path / "b.db")
    writer.join(30)
    assert writer.exitcode == 0
    assert check.ok and check.integrity == "ok"
    assert check.counts["assessments"] >= before > 0
    assert check.counts["answers"] == 9 * check.counts["assessments"]  # no half-written check-in
    restored = store.restore_from(tmp_path / "b.db", tmp_path / "r.db")
    assert restored.counts == check.counts and restored.ok


def test_existing_targets_are_never_overwritten(live, tmp_path):
    _, db = live
    (tmp_path / "b.db").write_text("precious")
    with pytest.raises(ValidationError, match="already exists"):
        store.backup_to(db, tmp_path / "b.db")
    assert (tmp_path / "b.db").read_text() == "precious"


def test_a_tampered_backup_is_not_restored(live, tmp_path):
    _, db = live
    store.record_event(db, store.Actor.system("t"), "record.view", T0, "p1")
    store.backup_to(db, tmp_path / "b.db")
    raw = sqlite3.connect(tmp_path / "b.db")
    raw.executescript("DROP TRIGGER audit_no_update; UPDATE audit_events SET detail = 'x';")
    raw.close()
    with pytest.raises(ValidationError, match="audit chain broken"):
        store.restore_from(tmp_path / "b.db", tmp_path / "r.db")
    assert not (tmp_path / "r.db").exists()


def test_backup_and_restore_commands(live, tmp_path, capsys):
    path, _ = live
    assert main(["backup", "--db", str(path), "--out", str(tmp_path / "b.db")]) == 0
    assert "integrity ok, audit chain intact" in capsys.readouterr().out
    assert main(["restore", str(tmp_path / "b.db"), "--db", str(tmp_path / "r.db")]) == 0
    assert main(["restore", str(tmp_path / "b.db"), "--db", str(tmp_path / "r.db")]) == 2  # exists
    assert main(["backup", "--db", str(tmp_path / "none.db"), "--out", str(tmp_path / "c.db")]) == 2
