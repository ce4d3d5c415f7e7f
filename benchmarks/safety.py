"""Safety-workflow figures: the due list of a whole clinic, the reminder plan, escalation, and
an alert's acknowledge + resolve. Prints median and p95; run with `python benchmarks/safety.py`."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from progress import alerts, demo, remind, schedule, score, store  # noqa: E402

ANCHOR = date(2026, 12, 3)
AS_OF = "2026-12-03T15:00:00Z"


def p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def timed(fn, runs: int) -> tuple[float, float, object]:
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), p95(times), out


def main() -> None:
    for n in (200, 1000):
        with tempfile.TemporaryDirectory() as tmp:
            db = store.open_db(Path(tmp) / "demo.db")
            demo.build_demo(db, patients=n, seed=7, anchor=ANCHOR)
            therapist = store.get_user(db, username="therapist")["id"]
            for user in store.list_users(db):
                store.set_user_email(db, user["id"], f"{user['username']}@example.org")
            med, hi, due = timed(lambda: schedule.caseload_due(store.caseload(db, None), as_of=AS_OF), 20)
            print(f"{n} patients: due list, whole clinic: median {med:.1f} ms, p95 {hi:.1f} ms "
                  f"({len(due)} measures due, {int(due['overdue'].sum())} overdue)")
            med, hi, mine = timed(lambda: schedule.caseload_due(store.caseload(db, therapist), as_of=AS_OF), 20)
            print(f"{n} patients: due list, one therapist's caseload: median {med:.1f} ms, p95 {hi:.1f} ms ({len(mine)} rows)")
            med, hi, planned = timed(lambda: remind.plan(db, as_of=AS_OF), 10)
            print(f"{n} patients: reminder plan: median {med:.1f} ms, p95 {hi:.1f} ms ({len(planned)} reminders)")
            t = time.perf_counter()
            escalated = store.escalate_due_alerts(db, as_of=AS_OF, actor=store.Actor.system("benchmark"))
            print(f"{n} patients: escalate overdue alerts: {(time.perf_counter() - t) * 1000:.1f} ms ({len(escalated)} escalated)")
            med, hi, listed = timed(lambda: store.list_alerts(db, escalated=True), 20)
            print(f"{n} patients: list escalated alerts: median {med:.1f} ms, p95 {hi:.1f} ms ({len(listed)} alerts)")
            if n == 200:
                actor = store.Actor(therapist, "therapist", "benchmark")
                note = alerts.Resolution("clinical interview", "low", True, True, "routine follow-up", "benchmark")
                pid = store.list_patient_ids(db, therapist_id=therapist)[0]
                times = []
                for k in range(100):
                    saved = store.save_assessment(db, pid, score("phq9", [1] * 8 + [1]), administered_at=AS_OF,
                                                  context="maintenance", actor=actor)
                    t = time.perf_counter()
                    store.acknowledge_alert(db, saved.alert_id, actor, AS_OF)
                    store.resolve_alert(db, saved.alert_id, actor, AS_OF, note)
                    times.append((time.perf_counter() - t) * 1000)
                    del k
                print(f"acknowledge + resolve one alert (100 runs): median {statistics.median(times):.2f} ms, p95 {p95(times):.2f} ms")
            db.close()


if __name__ == "__main__":
    main()
