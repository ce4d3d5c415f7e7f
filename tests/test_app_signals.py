"""Signals on the pages: the caseload's column, the chart's reasons with the raising points
ringed, and the lead's durability curve, boosters per patient-year and prompt counts."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from progress import store

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")


DEMO_PATIENTS = 80


def _as(conn, username: str, page: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user_id"] = store.get_user(conn, username=username)["id"]
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    return at.switch_page(page).run()


def _therapist_patient_with(conn, kind: str) -> tuple[str, dict]:
    tid = store.get_user(conn, username="therapist")["id"]
    mine = store.list_patient_ids(conn, therapist_id=tid)
    rows = store.list_signals(conn, patient_ids=mine, active_only=True)
    rows = rows[rows["kind"] == kind]
    assert len(rows), f"the demo gives the therapist no open {kind} signal"
    return rows.iloc[0]["patient_id"], rows.iloc[0].to_dict()


def test_caseload_shows_open_review_prompts(conn):
    pid, _ = _therapist_patient_with(conn, "booster_review")
    at = _as(conn, "therapist", "app_pages/caseload.py")
    table = at.dataframe[0].value.set_index("patient_id")
    assert "booster review suggested" in table.loc[pid, "signals"]
    assert table.loc[pid, "status"] == "signal open"


def test_chart_gives_the_reason_and_rings_the_points_that_raised_it(conn):
    pid, sig = _therapist_patient_with(conn, "booster_review")
    at = _as(conn, "therapist", "app_pages/chart.py", patient=pid)
    assert not at.exception
    infos = [i.value for i in at.info]
    assert any(sig["reason"] in text and "Booster review suggested" in text for text in infos)
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    ringed = [t for s in specs for t in s["data"] if "signal" in (t.get("name") or "").lower()]
    assert ringed, "the points that raised the signal are not marked"


def test_cohort_shows_durability_boosters_and_prompt_counts(conn):
    at = _as(conn, "lead", "app_pages/cohort.py")
    assert not at.exception
    assert at.get("plotly_chart")
    assert any("Kaplan-Meier estimate over" in c.value for c in at.caption)
    metric = next(m for m in at.metric if m.label == "Boosters per patient-year")
    assert float(metric.value) > 0
    counts = at.dataframe[-1].value
    assert set(counts["Open review prompt"]) == {"Booster review suggested", "Reliable deterioration", "Not on track"}
    patients = store.cohort_patients(conn)
    booster_open = patients["signal_kinds"].fillna("").str.contains("booster_review")
    # the default filter keeps first infusions within a year; the count can only be <= the clinic's
    assert counts.set_index("Open review prompt").loc["Booster review suggested", "Patients"] <= booster_open.sum()


def test_cohort_shows_talking_therapies_outcomes_with_denominators(conn):
    at = _as(conn, "lead", "app_pages/cohort.py")
    table = next(d.value for d in at.dataframe if "Outcome" in d.value.columns)
    assert list(table["Outcome"]) == [
        "Recovery (case at start, not a case now)", "Reliable recovery", "Reliable improvement", "Reliable deterioration",
    ]
    num, den = map(int, table.iloc[0]["Patients"].split("/"))
    assert 0 < num <= den
