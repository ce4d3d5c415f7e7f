"""Course records: what they add to the demo build, and what the chart's timeline costs.

Prints figures; asserts nothing. Run: ``.venv/bin/python benchmarks/course.py``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from progress import REGISTRY, demo, demo_course, store, timeline  # noqa: E402
from progress.sessions import Reading, SessionDetails  # noqa: E402

ANCHOR = date(2026, 11, 16)


def build(path: Path, with_course: bool) -> float:
    original = demo_course.add_course_records
    if not with_course:
        demo_course.add_course_records = lambda *a, **k: None
    try:
        db = store.open_db(path)
        started = time.perf_counter()
        demo.build_demo(db, patients=200, seed=7, anchor=ANCHOR)
        elapsed = time.perf_counter() - started
        db.close()
        return elapsed
    finally:
        demo_course.add_course_records = original


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for label, with_course in (("without course records", False), ("with course records", True)):
            times = [build(Path(tmp) / f"{int(with_course)}-{i}.db", with_course) for i in range(3)]
            print(f"Demo clinic, 200 patients, {label}: median {statistics.median(times):.2f} s (3 runs: "
                  + ", ".join(f"{t:.2f}" for t in times) + ")")
        db = store.open_db(Path(tmp) / "1-0.db")
        pid = store.get_user(db, username="patient")["patient_id"]
        runs = []
        for _ in range(20):
            started = time.perf_counter()
            series, sessions = store.load_series(db, pid), store.list_sessions(db, pid)
            events = timeline.course_events(sessions, store.list_followups(db, pid), store.list_alerts(db, patient_ids=[pid]))
            fig = timeline.timeline_figure(series, events, REGISTRY)
            fig.to_json()
            runs.append((time.perf_counter() - started) * 1000)
        print(f"Demo patient timeline ({len(series)} scores, {len(events)} events): read + build + JSON "
              f"median {statistics.median(runs):.1f} ms over 20 runs")
        store.add_patient(db, "BENCH", indications=["depression"], created_at="2026-11-01T00:00:00Z")
        details = SessionDetails(vitals={p: Reading(120, 80, 70) for p in ("before", "during", "discharge")},
                                 side_effects={"dissociation": "mild"}, observation_min=60, driver=True)
        saves = []
        for day in range(1, 101):
            started = time.perf_counter()
            store.record_session(db, "BENCH", administered_at=f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}T10:00:00Z",
                                 route="IV", phase="maintenance", dose_mg_per_kg=0.5, details=details,
                                 actor=store.Actor(None, "therapist", "bench"))
            saves.append((time.perf_counter() - started) * 1000)
        saves.sort()
        print(f"Save one session (infusion, record, follow-up, links, summary, audit; 100 runs): "
              f"median {statistics.median(saves):.2f} ms, p95 {saves[94]:.2f} ms")


if __name__ == "__main__":
    main()
