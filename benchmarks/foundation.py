"""Foundation figures: demo clinic build time, and one check-in save (with its summary refresh,
alert check and audit row). Prints median and p95; run with `python benchmarks/foundation.py`."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from progress import demo, score, store  # noqa: E402


def p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def main() -> None:
    for n in (200, 1000):
        with tempfile.TemporaryDirectory() as tmp:
            db = store.open_db(Path(tmp) / "demo.db")
            t0 = time.perf_counter()
            report = demo.build_demo(db, patients=n, seed=7)
            print(f"demo {n} patients: {time.perf_counter() - t0:.2f} s "
                  f"({report.assessments} assessments, {report.infusions} infusions)")
            if n == 200:
                pid = report.demo_patient_id
                actor = store.Actor.system("benchmark")
                times = []
                for k in range(200):
                    result = score("phq9", [1, 2, 1, 0, 1, 2, 1, 0, 0])
                    t = time.perf_counter()
                    store.save_assessment(db, pid, result, administered_at=f"2026-11-20T{k // 60:02d}:{k % 60:02d}:00Z",
                                          context="maintenance", actor=actor)
                    times.append((time.perf_counter() - t) * 1000)
                print(f"save one check-in (200 runs): median {statistics.median(times):.2f} ms, p95 {p95(times):.2f} ms")
            db.close()


if __name__ == "__main__":
    main()
