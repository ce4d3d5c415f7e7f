"""Demo generator at scale: build a clinic into a file and print the time per step.

    python benchmarks/demo_build.py /tmp/progress-scale-10000.db 10000 --years 2 [--anchor today]

Prints the wall time split into simulate / insert / course records / alerts / refresh_all,
the counts, the file size and the process's peak RSS. No test asserts a time.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from progress import demo, store  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db", type=Path)
    ap.add_argument("patients", type=int)
    ap.add_argument("--years", type=int, default=1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--anchor", default="today")
    args = ap.parse_args()
    anchor = date.today() if args.anchor == "today" else date.fromisoformat(args.anchor)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    db = store.open_db(args.db)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    report = demo.build_demo(db, patients=args.patients, seed=args.seed, anchor=anchor,
                             years=args.years, timings=timings)
    wall = time.perf_counter() - started
    answers = db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    long_span = db.execute(
        "SELECT COUNT(*), MIN(administered_at), MAX(administered_at) FROM assessments "
        "WHERE patient_id = ? AND instrument = 'phq9'", [report.long_patient_id]
    ).fetchone()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size_mb = Path(args.db).stat().st_size / 1e6
    print(f"{args.patients} patients, years={args.years}, seed={args.seed}, anchor={anchor}")
    print(f"wall {wall:.1f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    print(f"{report.assessments:,} assessments ({report.assessments / args.patients:.0f} per "
          f"patient), {answers:,} answer rows, {report.infusions:,} infusions, "
          f"{report.alerts:,} alerts ({report.open_alerts} open)")
    print(f"long patient {report.long_patient_id}: {long_span[0]} PHQ-9 from {long_span[1]} "
          f"to {long_span[2]}")
    print(f"file {size_mb:.0f} MB, peak RSS {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
