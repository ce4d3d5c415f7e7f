"""Clinic-network scale (issue 9): the save path, every page's server run and a full recompute
on a clinic of ``--patients`` patients with two years of weekly check-ins, each next to the
naive way on the same database, as a ratio.

    .venv/bin/python benchmarks/scale.py --patients 10000          # the issue's size
    .venv/bin/python benchmarks/scale.py --patients 1000 --runs 10
    .venv/bin/python benchmarks/scale.py --patients 1000 --database-url postgresql://...  # PostgreSQL

The database is built once with the demo generator (``build_demo(..., years=2)``) and reused
if it exists (``--db``). Before measuring, the first 200 patients are put on ``therapist``'s
caseload (the issue's caseload of 200); the demo ``patient`` has two years of data and is the
chart's patient. Pages run headless through AppTest as the right role, in one session per
page: the first run is not counted, then ``--runs`` reruns are timed (a server compiles each
page once, so reruns are what a user waits for). Figures are medians and p95, plus the peak of
Python allocations (tracemalloc) during one run of each page.
"""

from __future__ import annotations

import argparse
import inspect
import os
import statistics
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from progress import REGISTRY, charts, cohort, demo, metrics, scoring, store  # noqa: E402

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
CASELOAD = 200


def _ms(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered) * 1000, ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000


def _stats(times: list[float]) -> str:
    med, p95 = _ms(times)
    return f"median {med:.0f} ms, p95 {p95:.0f} ms"


def _time(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def _ratio(ours: list[float], naive: list[float]) -> str:
    return f"naive {_stats(naive)}; naive/ours = {statistics.median(naive) / statistics.median(ours):.1f}x"


def _page(uid: int, page: str, runs: int, query: dict, state: dict) -> tuple[list[float], float]:
    """Time ``runs`` reruns of ``page`` in one signed-in session; peak MB of one run."""
    at = AppTest.from_file(APP, default_timeout=600)
    at.session_state["user_id"] = uid
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page).run()
    for k, v in state.items():
        at.session_state[k] = v
    at.run()  # warm: the page's first run in this session (compiles it, audits the view)
    assert not at.exception, at.exception
    times = _time(at.run, runs)
    tracemalloc.start()
    at.run()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    assert not at.exception, at.exception
    return times, peak


def build(path, patients: int) -> None:
    db = store.open_db(path)
    kwargs = {"years": 2} if "years" in inspect.signature(demo.build_demo).parameters else {}
    t = time.perf_counter()
    report = demo.build_demo(db, patients=patients, seed=7, anchor=date.today(), **kwargs)
    print(f"build: {patients} patients ({kwargs or 'one year'}) in {time.perf_counter() - t:.0f} s: "
          f"{report.assessments} assessments, {report.infusions} infusions, {report.alerts} alerts")
    db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--skip-recompute", action="store_true")
    parser.add_argument("--only", default=None, help="run only the pages whose label contains this text")
    parser.add_argument("--database-url", default=None,
                        help="run on PostgreSQL (a database of its own: the demo is built there if empty)")
    args = parser.parse_args(argv)
    if args.database_url:
        path = args.database_url
        os.environ[store.DATABASE_URL_ENV] = path
        probe = store.open_db(path)
        empty = store.is_empty(probe)
        probe.close()
    else:
        path = args.db or Path(f"/tmp/progress-scale-{args.patients}.db")
        os.environ["PROGRESS_DB"] = str(path)
        os.environ.pop(store.DATABASE_URL_ENV, None)
        empty = not path.exists()
    if empty:
        build(path, args.patients)

    db = store.open_db(path)  # migrates (and recomputes once) a database built by an older release
    n_assess = db.execute("SELECT COUNT(*) FROM assessments").fetchone()[0]
    n_patients = db.execute("SELECT COUNT(*) FROM patients").fetchone()[0]
    if store.is_postgres(db):
        size = db.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    else:
        size = path.stat().st_size
    print(f"database: {store.describe_target(path)} ({size / 2**20:.0f} MB): {n_patients} patients, {n_assess} assessments")
    therapist = store.get_user(db, username="therapist")["id"]
    others = store.get_user(db, username="therapist002")["id"]
    first = store.list_patient_ids(db)[:CASELOAD]
    store.assign_patients(db, [p for p in store.list_patient_ids(db, therapist) if p not in set(first)], others)
    store.assign_patients(db, first, therapist)  # exactly the first CASELOAD patients
    pid = store.get_user(db, username="patient")["patient_id"]
    span = db.execute("SELECT MIN(administered_at), MAX(administered_at), COUNT(*) FROM assessments WHERE patient_id = ?", [pid]).fetchone()
    print(f"chart patient {pid}: {span[2]} assessments from {span[0][:10]} to {span[1][:10]}; caseload of {len(store.list_patient_ids(db, therapist))}")

    if not args.only:  # the save path, the reads beside their naive twins, the recompute
        saver = first[2]  # saves go to another patient, so the chart patient keeps its 336 scores
        sc = scoring.score("phq9", [1, 1, 1, 1, 1, 1, 1, 1, 0])
        k = [0]

        def save() -> None:
            k[0] += 1
            minute = k[0]
            store.save_assessment(db, saver, sc, administered_at=f"2026-11-{21 + minute // 1440:02d}T{minute // 60 % 24:02d}:{minute % 60:02d}:00Z", context="weekly")

        def naive_refresh() -> None:  # what keeping views current without summaries costs per write
            db.execute("SELECT patient_id, instrument, COUNT(*), MAX(administered_at) FROM assessments GROUP BY 1, 2").fetchall()

        saves = _time(save, args.runs * 5)
        tracemalloc.start()
        save()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        naive = [s + g for s, g in zip(saves, _time(naive_refresh, len(saves)), strict=False)]
        print(f"save one check-in (with summary, signals, cohort points): {_stats(saves)}, peak {peak:.1f} MB; "
              f"save + GROUP BY refresh: {_ratio(saves, naive)}")

        caseload_read = _time(lambda: store.caseload(db, therapist), args.runs)
        ids = store.list_patient_ids(db, therapist)
        marks = ",".join("?" * len(ids))
        def naive_caseload() -> None:  # without summaries: their series, summarised on every run
            rows = db.execute(
                f"SELECT patient_id, instrument, administered_at, total FROM assessments "
                f"WHERE patient_id IN ({marks}) ORDER BY patient_id, instrument, administered_at", ids).fetchall()
            firsts = dict(db.execute(
                f"SELECT patient_id, MIN(administered_at) FROM infusions WHERE patient_id IN ({marks}) GROUP BY 1", ids).fetchall())
            series: dict = {}
            for pid_, inst_, at, total in rows:
                series.setdefault((pid_, inst_), []).append((at, total))
            for (pid_, inst_), points in series.items():
                metrics.summarize(REGISTRY[inst_], points, firsts.get(pid_))

        naive_times = _time(naive_caseload, args.runs)
        group_by = _time(lambda: db.execute(
            f"SELECT patient_id, instrument, COUNT(*), MAX(administered_at), MIN(total) FROM assessments "
            f"WHERE patient_id IN ({marks}) GROUP BY 1, 2", ids).fetchall(), args.runs)
        print(f"caseload read ({len(ids)} patients): summaries {_stats(caseload_read)} vs their series summarised per run: "
              f"{_ratio(caseload_read, naive_times)}; a bare GROUP BY (no baseline, change or status): {_stats(group_by)}")

        inst = REGISTRY["phq9"]
        flt = store.CohortFilter()

        def cohort_reads() -> None:  # what the cohort page computes, 2,000 patients at a time
            cohort.totals(store.cohort_chunks(db, "phq9", flt), inst, "week", store.INDICATIONS,
                          as_of="2026-12-03T00:00:00Z").trajectory()

        def naive_cohort() -> None:  # the patient-level way: every PHQ-9 in the clinic into pandas
            patients = store.cohort_patients(db)
            scores = store.cohort_scores(db, "phq9")
            cohort.rates(inst, scores, patients)
            charts.cohort_summary(cohort.trajectory_by_week(scores, patients))

        ours = _time(cohort_reads, args.runs)
        tracemalloc.start()
        cohort_reads()
        ours_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        naive_runs = max(2, args.runs // 5)
        naive_times = _time(naive_cohort, naive_runs)
        tracemalloc.start()
        naive_cohort()
        naive_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(f"cohort figures (all of the page's numbers): chunked view {_stats(ours)}, peak {ours_peak:.1f} MB vs patient-level "
              f"pandas {_ratio(ours, naive_times)}, peak {naive_peak:.0f} MB")
        full_load = _time(lambda: pd.DataFrame(db.execute("SELECT * FROM assessments").fetchall()), 1)
        print(f"naive full load of every assessment into pandas: {full_load[0]:.1f} s")

        if not args.skip_recompute:
            t = time.perf_counter()
            n = store.refresh_all(db)
            print(f"full recompute of summaries, signals and cohort points: {n} patients in {time.perf_counter() - t:.1f} s")
    db.close()

    db = store.open_db(path)
    users = {u: store.get_user(db, username=u)["id"] for u in ("patient", "therapist", "lead")}
    clinician = store.cohort_clinicians(db)[1]
    db.close()
    pages = (
        ("patient check-in", "patient", "app_pages/checkin.py", {}, {}),
        ("my progress", "patient", "app_pages/my_progress.py", {}, {}),
        (f"caseload ({CASELOAD})", "therapist", "app_pages/caseload.py", {}, {}),
        ("chart, two-year patient", "therapist", "app_pages/chart.py", {"patient": pid}, {}),
        ("cohort, default view (first infusion in the last year)", "lead", "app_pages/cohort.py", {}, {}),
        ("cohort, whole clinic (all dates)", "lead", "app_pages/cohort.py", {}, {"co_period": (date(2000, 1, 1), date.today())}),
        ("cohort, indication", "lead", "app_pages/cohort.py", {}, {"co_indication": "anxiety"}),
        ("cohort, route + clinician", "lead", "app_pages/cohort.py", {}, {"co_route": "IV", "co_clinician": clinician}),
        ("cohort, by infusion number", "lead", "app_pages/cohort.py", {}, {"co_align": "Infusion number", "co_instrument": "gad7"}),
        ("alerts (therapist)", "therapist", "app_pages/alerts.py", {}, {}),
        ("alerts (lead, escalated)", "lead", "app_pages/alerts.py", {}, {}),
    )
    for label, username, page, query, state in pages:
        if args.only and args.only not in label:
            continue
        times, peak = _page(users[username], page, args.runs, query, state)
        print(f"page {label}: {_stats(times)}, peak {peak:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
