"""Plan versus actual for a patient's treatment course ("4 of 6 induction infusions, day 9 of 21")."""

from __future__ import annotations

import pandas as pd

from progress.timeutil import days_between


def plan_progress(course: dict | None, infusions: pd.DataFrame, *, as_of: str) -> str:
    """One line comparing the induction plan with the infusions given so far."""
    n_induction = int((infusions["phase"] == "induction").sum()) if len(infusions) else 0
    if course is None:
        return f"{n_induction} induction infusions (no plan recorded)"
    planned, window = course["planned_induction"], course["induction_window_days"]
    later = infusions[infusions["phase"] != "induction"] if len(infusions) else infusions
    if len(later):
        n_m = int((later["phase"] == "maintenance").sum())
        n_b = int((later["phase"] == "booster").sum())
        return (
            f"Induction done: {n_induction} of {planned} planned; since then {n_m} maintenance "
            f"and {n_b} booster infusion{'s' if n_b != 1 else ''}"
        )
    if n_induction == 0:
        return f"Induction not started: 0 of {planned} planned over {window} days"
    day = int(days_between(infusions["administered_at"].iloc[0], as_of)) + 1
    return f"{n_induction} of {planned} induction infusions, day {min(day, 999)} of {window}"
