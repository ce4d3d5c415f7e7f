"""Clinic-network scale: how the save path, every page's server run and a full recompute
behave as the clinic grows, each next to the naive way on the same database.

    .venv/bin/python benchmarks/scale.py --patients 10000      # the issue's size (minutes)
    .venv/bin/python benchmarks/scale.py --patients 2000 --runs 5
    .venv/bin/python benchmarks/scale.py --patients 500 --database-url postgresql://...  # PostgreSQL

Figures are medians and p95 over ``--runs`` repeats, plus the peak memory (tracemalloc) of
one page run. Pages run headless through AppTest as the right role; the database is built
once with the demo generator and reused (``--db``) if it already exists.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from streamlit.testing.v1 import AppTest  # noqa: E402

from progress import demo, scoring, store  # noqa: E402

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")


def _stats(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"median {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"


def _time(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def _page(db_path: Path | str, username: str, page: str, runs: int, **query) -> tuple[list[float], float]:
    conn = store.open_db(db_path)
    uid = store.get_user(conn, username=username)["id"]
    conn.close()
    times, peak = [], 0.0
    for i in range(runs + 1):  # the first run warms imports and is not counted
        at = AppTest.from_file(APP, default_timeout=600)
        at.session_state["user_id"] = uid
        for k, v in query.items():
            at.query_params[k] = v
        at.run()
        if i == runs:
            tracemalloc.start()
        t = time.perf_counter()
        at.switch_page(page).run()
        if i:
            times.append(time.perf_counter() - t)
        if i == runs:
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        assert not at.exception, at.exception
    return times, peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--database-url", default=None,
                        help="run on PostgreSQL (a database or schema of its own: the demo is built there if empty)")
    args = parser.parse_args(argv)
    import os

    if args.database_url:
        path = args.database_url
        os.environ[store.DATABASE_URL_ENV] = path
    else:
        path = args.db or Path(f"/tmp/progress-scale-{args.patients}.db")
        os.environ["PROGRESS_DB"] = str(path)
        os.environ.pop(store.DATABASE_URL_ENV, None)
    db = store.open_db(path)
    if store.is_empty(db):
        t = time.perf_counter()
        report = demo.build_demo(db, patients=args.patients, seed=7, anchor=date.today())
        print(f"build: {args.patients} patients in {time.perf_counter() - t:.0f} s ({report})")
    n_assess = db.execute("SELECT COUNT(*) FROM assessments").fetchone()[0]
    if store.is_postgres(db):
        size = db.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    else:
        size = Path(path).stat().st_size
    print(f"database: {store.describe_target(path)} ({size / 2**20:.0f} MB), {n_assess} assessments")

    pid = store.get_user(db, username="patient")["patient_id"]
    sc = scoring.score("phq9", [1, 1, 1, 1, 1, 1, 1, 1, 0])
    k = [0]

    def save() -> None:
        k[0] += 1
        store.save_assessment(db, pid, sc, administered_at=f"2026-11-21T{k[0] // 60 % 24:02d}:{k[0] % 60:02d}:00Z", context="weekly")

    print(f"save one check-in (with summary and signals): {_stats(_time(save, args.runs * 10))}")
    naive = _time(lambda: db.execute("SELECT patient_id, instrument, COUNT(*), MAX(administered_at) FROM assessments GROUP BY 1, 2").fetchall(), args.runs)
    summaries = _time(lambda: store.caseload(db, None), args.runs)
    print(f"caseload read, whole clinic: summaries {_stats(summaries)} vs naive GROUP BY {_stats(naive)}")

    t = time.perf_counter()
    n = store.refresh_all(db)
    print(f"full recompute of summaries and signals: {n} patients in {time.perf_counter() - t:.1f} s")
    db.close()

    for username, page, query in (
        ("patient", "app_pages/checkin.py", {}),
        ("patient", "app_pages/my_progress.py", {}),
        ("therapist", "app_pages/caseload.py", {}),
        ("therapist", "app_pages/chart.py", {"patient": pid}),
        ("lead", "app_pages/cohort.py", {}),
        ("therapist", "app_pages/alerts.py", {}),
    ):
        times, peak = _page(path, username, page, args.runs, **query)
        print(f"page {page} as {username}: {_stats(times)}, peak {peak:.0f} MB (Python allocations)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
