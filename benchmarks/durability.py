"""Durability measured: concurrent writers, SIGKILL mid-save, online backup while writing.

Prints figures (copied into benchmarks/README.md); asserts nothing about time. Each part has a
negative control, a deliberately broken variant that the same checks must catch, so a clean
result means the harness can see what it claims to rule out.

    .venv/bin/python benchmarks/durability.py            # all three, full size
    .venv/bin/python benchmarks/durability.py --part crash --iterations 50

Workers are forked from this process (which holds no open database at fork time), so each
one opens its own connection exactly as a Streamlit session or a CLI process does, and saves
through the real ``store.save_assessment``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from progress import store  # noqa: E402
from progress.scoring import score  # noqa: E402
from progress.store import assessments as store_assessments  # noqa: E402
from progress.timeutil import parse_instant, to_iso  # noqa: E402

T0 = parse_instant("2026-12-03T09:00:00Z")
ACTOR = store.Actor(None, "patient", "benchmark")
CTX = mp.get_context("fork")


def when(i: int) -> str:
    return to_iso(T0 + timedelta(seconds=i))


def phq9(item9: int):
    return score("phq9", [1, 2, 1, 0, 1, 2, 1, 0, item9])


def new_db(folder: Path, name: str, patients: int) -> Path:
    path = folder / name
    db = store.open_db(path)
    for p in range(patients):
        store.add_patient(db, f"p{p}", created_at="2026-01-01T00:00:00Z")
    db.close()
    return path


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


# -- 1. concurrent writers ---------------------------------------------------------------


def _writer(path: str, w: int, n: int, use_keys: bool, out) -> None:
    db = store.open_db(path)
    latencies, locked, other = [], 0, []
    for i in range(n):
        key = f"w{w}-s{i}" if use_keys else None
        item9 = 2 if i % 10 == 0 else 0  # every 10th raises a safety alert in the same save
        sends = 2 if i % 5 == 0 else 1  # every 5th is sent twice (a double tap or a retry)
        for attempt in range(sends):
            started = time.perf_counter()
            try:
                store.save_assessment(db, f"p{w}", phq9(item9), administered_at=when(w * 100_000 + i),
                                      context="weekly", actor=ACTOR, idempotency_key=key)
            except sqlite3.OperationalError as exc:
                locked += "locked" in str(exc)
                other += [] if "locked" in str(exc) else [str(exc)]
            except Exception as exc:  # noqa: BLE001 - every failure is a finding here
                other.append(f"{type(exc).__name__}: {exc}")
            else:
                if attempt == 0:
                    latencies.append(time.perf_counter() - started)
    out.put((latencies, locked, other))
    db.close()


def concurrent(folder: Path, workers: int, per_worker: int, use_keys: bool) -> dict:
    path = new_db(folder, f"concurrent-{'keys' if use_keys else 'nokeys'}.db", workers)
    out = CTX.Queue()
    procs = [CTX.Process(target=_writer, args=(str(path), w, per_worker, use_keys, out)) for w in range(workers)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [out.get(timeout=900) for _ in procs]
    for p in procs:
        p.join()
    wall = time.perf_counter() - started
    db = store.open_db(path)
    found = db.execute("SELECT COUNT(*) FROM assessments").fetchone()[0]
    dupes = db.execute(
        "SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM assessments "
        "GROUP BY patient_id, administered_at HAVING n > 1)").fetchone()[0]
    partial = _half_written(db)
    chain = store.verify_audit_chain(db)
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    lat = [x for r in results for x in r[0]]
    return {
        "expected": workers * per_worker, "found": found, "duplicates": dupes,
        "locked": sum(r[1] for r in results), "other_errors": [e for r in results for e in r[2]][:3],
        "p50_ms": 1000 * pct(lat, 50), "p99_ms": 1000 * pct(lat, 99), "wall_s": wall,
        "saves_per_s": len(lat) / wall, "half_written": partial, "chain_ok": chain[0],
        "integrity": integrity,
    }


# -- checks shared by the crash and backup parts ---------------------------------------------


def _half_written(db) -> int:
    """Check-ins missing part of what one save writes: all 9 answers; an alert when item 9 > 0;
    the alert's audit row; one assessment.create audit row per check-in."""
    missing_answers = db.execute(
        "SELECT COUNT(*) FROM assessments a WHERE (SELECT COUNT(*) FROM answers x "
        "WHERE x.assessment_id = a.id) != 9").fetchone()[0]
    missing_alert = db.execute(
        "SELECT COUNT(*) FROM assessments a JOIN answers x ON x.assessment_id = a.id "
        "AND x.item_id = 'phq9_9' AND x.value > 0 WHERE NOT EXISTS "
        "(SELECT 1 FROM alerts l WHERE l.assessment_id = a.id)").fetchone()[0]
    missing_alert_audit = db.execute(
        "SELECT COUNT(*) FROM alerts l WHERE NOT EXISTS (SELECT 1 FROM audit_events e "
        "WHERE e.action = 'alert.create' AND e.detail = 'alert ' || l.id)").fetchone()[0]
    n_assess = db.execute("SELECT COUNT(*) FROM assessments").fetchone()[0]
    n_audit = db.execute("SELECT COUNT(*) FROM audit_events WHERE action = 'assessment.create'").fetchone()[0]
    return missing_answers + missing_alert + missing_alert_audit + abs(n_assess - n_audit)


# -- 2. SIGKILL in the middle of saving --------------------------------------------------


def _broken_save(db, pid: str, key: str, at: str) -> None:
    """The negative control: the check-in and its alert in two transactions."""
    s = phq9(2)
    with db.atomic():
        aid = store_assessments._insert_assessment(db, pid, s, at, "weekly", "self", None, None, False, key)
        store.record_event(db, ACTOR, "assessment.create", at, pid, detail="phq9")
    time.sleep(0.002)  # the window a crash can fall into
    with db.atomic():
        alert = store.create_alert(db, pid, kind="safety", severity="high", reason="item 9", at=at, assessment_id=aid)
        store.record_event(db, ACTOR, "alert.create", at, pid, detail=f"alert {alert}")


def _crash_child(path: str, it: int, wfd: int, broken: bool) -> None:
    db = store.open_db(path)
    os.write(wfd, b"ready\n")
    i = 0
    while True:
        key = f"it{it}-s{i}"
        if broken:
            _broken_save(db, "p0", key, when(it * 10_000 + i))
        else:
            store.save_assessment(db, "p0", phq9(2), administered_at=when(it * 10_000 + i),
                                  context="weekly", actor=ACTOR, idempotency_key=key)
        os.write(wfd, key.encode() + b"\n")  # reported only after the save returned (committed)
        i += 1


def crash(folder: Path, iterations: int, broken: bool, seed: int = 7) -> dict:
    path = new_db(folder, f"crash-{'broken' if broken else 'real'}.db", 1)
    rng = random.Random(seed)
    reported_total = lost = bad_iterations = not_ok = half_before = 0
    for it in range(iterations):
        rfd, wfd = os.pipe()
        child = CTX.Process(target=_crash_child, args=(str(path), it, wfd, broken))
        child.start()
        os.close(wfd)
        reader = os.fdopen(rfd)
        assert reader.readline().strip() == "ready"
        time.sleep(rng.uniform(0.005, 0.25))
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        reported = [line.strip() for line in reader if line.strip()]
        reader.close()
        reported_total += len(reported)
        db = store.open_db(path)
        if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok" or not store.verify_audit_chain(db)[0]:
            not_ok += 1
        if reported:
            marks = ",".join("?" * len(reported))
            present = db.execute(f"SELECT COUNT(*) FROM assessments WHERE idempotency_key IN ({marks})", reported).fetchone()[0]
            lost += len(reported) - present
        half_now = _half_written(db)
        bad_iterations += half_now > half_before  # this kill left something half-written
        half_before = half_now
        db.close()
    db = store.open_db(path)
    total = db.execute("SELECT COUNT(*) FROM assessments").fetchone()[0]
    db.close()
    return {"iterations": iterations, "reported_saved": reported_total, "rows": total, "lost": lost,
            "iterations_with_half_written": bad_iterations, "integrity_or_chain_failures": not_ok}


# -- 3. online backup while writers run --------------------------------------------------


def _steady_writer(path: str, w: int, seconds: float, wfd: int) -> None:
    db = store.open_db(path)
    end, i = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        key = f"b{w}-s{i}"
        store.save_assessment(db, f"p{w}", phq9(2 if i % 10 == 0 else 0), administered_at=when(w * 100_000 + i),
                              context="weekly", actor=ACTOR, idempotency_key=key)
        os.write(wfd, f"{time.monotonic():.6f} {key}\n".encode())
        i += 1


def backup(folder: Path, writers: int, seconds: float, naive: bool) -> dict:
    path = new_db(folder, f"live-{'naive' if naive else 'api'}.db", writers)
    rfd, wfd = os.pipe()
    procs = [CTX.Process(target=_steady_writer, args=(str(path), w, seconds, wfd)) for w in range(writers)]
    for p in procs:
        p.start()
    os.close(wfd)
    time.sleep(seconds / 2)
    out = folder / f"backup-{'naive' if naive else 'api'}.db"
    started = time.monotonic()
    if naive:  # the broken variant: copy the file, ignoring what is still in the WAL
        import shutil

        shutil.copyfile(path, out)
        cli = "file copy"
    else:
        r = subprocess.run([sys.executable, "-m", "progress", "backup", "--db", str(path), "--out", str(out)],
                           cwd=ROOT, capture_output=True, text=True)
        cli = r.stdout.strip() or r.stderr.strip()
    took = time.monotonic() - started
    for p in procs:
        p.join()
    with os.fdopen(rfd) as reader:
        committed = [line.split() for line in reader if line.strip()]
    before = [key for t, key in committed if float(t) < started]
    restored = folder / f"restored-{'naive' if naive else 'api'}.db"
    r = subprocess.run([sys.executable, "-m", "progress", "restore", str(out), "--db", str(restored)],
                       cwd=ROOT, capture_output=True, text=True)
    check = store.check_copy(out)
    conn = sqlite3.connect(out)
    have = {row[0] for row in conn.execute("SELECT idempotency_key FROM assessments")}
    half = _half_written(sqlite_db(conn))
    conn.close()
    return {
        "committed_during_run": len(committed), "committed_before_backup": len(before),
        "missing_from_backup": sum(k not in have for k in before), "backup_s": took,
        "integrity": check.integrity, "chain_ok": check.chain_ok, "half_written": half,
        "restore_exit": r.returncode, "counts": check.counts, "command": cli,
    }


def sqlite_db(conn):
    import sqlite_utils

    return sqlite_utils.Database(conn)


# -- main --------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("concurrent", "crash", "backup", "all"), default="all")
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--per-worker", type=int, default=250)
    ap.add_argument("--iterations", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="durability-") as tmp:
        folder = Path(tmp)
        if args.part in ("concurrent", "all"):
            r = concurrent(folder, args.workers, args.per_worker, use_keys=True)
            print(f"concurrent {args.workers}x{args.per_worker} (every 5th sent twice): expected {r['expected']}, "
                  f"found {r['found']}, duplicates {r['duplicates']}, 'database is locked' {r['locked']}, "
                  f"other errors {r['other_errors'] or 0}, half-written {r['half_written']}, "
                  f"integrity {r['integrity']}, chain {'ok' if r['chain_ok'] else 'BROKEN'}; commit latency "
                  f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms; {r['saves_per_s']:.0f} saves/s, {r['wall_s']:.1f} s")
            c = concurrent(folder, 4, 50, use_keys=False)
            print(f"  negative control, no idempotency key (4x50): expected {c['expected']}, found {c['found']}, "
                  f"duplicates {c['duplicates']} -> {'caught' if c['duplicates'] > 0 else 'NOT CAUGHT'}")
        if args.part in ("crash", "all"):
            r = crash(folder, args.iterations, broken=False)
            print(f"crash, {r['iterations']} SIGKILLs mid-save: {r['reported_saved']} reported saved, {r['lost']} lost, "
                  f"{r['iterations_with_half_written']} iterations with a half-written check-in, "
                  f"{r['integrity_or_chain_failures']} integrity/chain failures ({r['rows']} rows in all)")
            n = max(20, args.iterations // 4)
            c = crash(folder, n, broken=True)
            print(f"  negative control, alert in a second transaction ({n} kills): "
                  f"{c['iterations_with_half_written']} iterations with a half-written check-in -> "
                  f"{'caught' if c['iterations_with_half_written'] > 0 else 'NOT CAUGHT'}")
        if args.part in ("backup", "all"):
            r = backup(folder, 4, 6.0, naive=False)
            print(f"backup while 4 writers run: {r['command']}")
            print(f"  {r['committed_before_backup']} committed before it started, {r['missing_from_backup']} missing, "
                  f"half-written {r['half_written']}, integrity {r['integrity']}, chain {'ok' if r['chain_ok'] else 'BROKEN'}, "
                  f"restore exit {r['restore_exit']}, took {r['backup_s']:.2f} s")
            c = backup(folder, 4, 6.0, naive=True)
            print(f"  negative control, plain file copy: {c['missing_from_backup']} of {c['committed_before_backup']} "
                  f"committed check-ins missing, integrity {c['integrity']} -> "
                  f"{'caught' if c['missing_from_backup'] > 0 or c['integrity'] != 'ok' else 'NOT CAUGHT'}")


if __name__ == "__main__":
    main()
