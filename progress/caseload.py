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
    out = []
    for pid, group in rows.groupby("patient_id", sort=True):
        first = group.iloc[0]
        last = first["last_assessment_at"]
        days = None if pd.isna(last) or last is None else int(days_between(last, as_of))
        record = {
            "patient_id": pid,
            "indications": (first["indications"] or "").replace(",", ", "),
            "phase": first["phase"] if isinstance(first["phase"], str) else "not started",
            "infusions": int(first["n_infusions"] or 0),
            "days_since_checkin": days,
            "overdue": days is None or days > OVERDUE_AFTER_DAYS,
            "open_alerts": int(first["open_alerts"] or 0),
            "signals": _signal_text(first.get("signal_kinds")),
        }
        by_inst = {r["instrument"]: r for _, r in group.iterrows() if isinstance(r["instrument"], str)}
        for inst in HEADLINE:
            r = by_inst.get(inst)
            record[f"{inst}"] = None if r is None else r["latest_total"]
            record[f"{inst}_band"] = None if r is None else r["latest_band"]
            record[f"{inst}_change"] = None if r is None else r["change"]
            record[f"{inst}_status"] = None if r is None else r["status"]
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
