"""Shape the store's caseload rows (one per patient x instrument) into one row per patient.

Pure: the store reads summaries only (no assessment scan); this module pivots them and works
out days since the last check-in, overdue and the headline status.
"""

from __future__ import annotations

import pandas as pd

from progress.schedule import GRACE_DAYS
from progress.signals import TITLES
from progress.timeutil import days_between

HEADLINE = ("phq9", "gad7", "pcl5", "peg")
SIGNAL_OPEN = "signal open"

OVERDUE_AFTER_DAYS = 7 + GRACE_DAYS  # weekly measures, plus the grace period


def caseload_table(rows: pd.DataFrame, *, as_of: str) -> pd.DataFrame:
    """One row per patient with latest score, band, change and status per headline instrument."""
    columns = [
        "patient_id", "indications", "phase", "infusions", "days_since_checkin", "overdue",
        "open_alerts", "signals", "status",
    ]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    # Plain dicts, not a groupby with iterrows: a caseload of 200 shapes in milliseconds.
    patients: dict[str, dict] = {}
    for r in rows.to_dict("records"):
        record = patients.get(r["patient_id"])
        if record is None:
            last = r["last_assessment_at"]
            days = None if last is None or pd.isna(last) else int(days_between(last, as_of))
            record = patients[r["patient_id"]] = {
                "patient_id": r["patient_id"],
                "indications": (r["indications"] or "").replace(",", ", "),
                "phase": r["phase"] if isinstance(r["phase"], str) else "not started",
                "infusions": int(0 if r["n_infusions"] is None or pd.isna(r["n_infusions"]) else r["n_infusions"]),
                "days_since_checkin": days,
                "overdue": days is None or days > OVERDUE_AFTER_DAYS,
                "open_alerts": int(0 if r["open_alerts"] is None or pd.isna(r["open_alerts"]) else r["open_alerts"]),
                "signals": _signal_text(r.get("signal_kinds")),
                **{f"{inst}{suffix}": None for inst in HEADLINE for suffix in ("", "_band", "_change", "_status")},
            }
        inst = r["instrument"]
        if isinstance(inst, str) and inst in HEADLINE:
            record[inst] = r["latest_total"]
            record[f"{inst}_band"] = r["latest_band"]
            record[f"{inst}_change"] = r["change"]
            record[f"{inst}_status"] = r["status"]
    out = []
    for pid in sorted(patients):
        record = patients[pid]
        main = next((record[f"{i}_status"] for i in HEADLINE if record[f"{i}_status"]), "no scores yet")
        record["status"] = SIGNAL_OPEN if record["open_alerts"] or record["signals"] else main
        out.append(record)
    return pd.DataFrame(out)


def _signal_text(kinds: object) -> str:
    """'booster review suggested, not on track' from the summary's comma-separated kinds."""
    if not isinstance(kinds, str) or not kinds:
        return ""
    present = set(kinds.split(","))
    return ", ".join(title.lower() for kind, title in TITLES.items() if kind in present)
