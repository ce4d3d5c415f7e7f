"""The cohort view kept on write (progress/store/outcomes.py) and its aggregates
(progress/cohort.py view_*) agree with the assessment-level reference functions on a demo
clinic, for every filter; and they stay current when a check-in is saved."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from progress import REGISTRY, charts, cohort, scoring, store, survival

DEMO_PATIENTS = 200
DEMO_SEED = 11
AS_OF = "2030-01-01T00:00:00Z"


def _reference_view(conn, flt: store.CohortFilter) -> pd.DataFrame:
    """The cohort page's old patient-level filtering, in pandas."""
    chosen = store.cohort_patients(conn)
    if flt.first_from is not None:
        chosen = chosen[chosen["first_infusion_at"].between(flt.first_from, flt.first_to)]
    if flt.indication is not None:
        chosen = chosen[chosen["indications"].str.split(",").map(lambda xs: flt.indication in xs)]
    if flt.route is not None:
        chosen = chosen[chosen["route"] == flt.route]
    if flt.clinician is not None:
        chosen = chosen[chosen["clinician"] == flt.clinician]
    return chosen


def _filters(conn) -> list[store.CohortFilter]:
    clinician = store.cohort_clinicians(conn)[0]
    return [
        store.CohortFilter(),
        store.CohortFilter(indication="anxiety"),
        store.CohortFilter(indication="chronic pain", route="IV"),
        store.CohortFilter(route="intranasal"),
        store.CohortFilter(clinician=clinician),
        store.CohortFilter(first_from="2020-01-01T00:00:00Z", first_to=_median_first(conn)),
        store.CohortFilter(indication="depression", route="oral-sublingual", clinician=clinician),
    ]


def _median_first(conn) -> str:
    firsts = store.cohort_patients(conn)["first_infusion_at"].dropna().sort_values()
    return firsts.iloc[len(firsts) // 2]


@pytest.mark.parametrize("instrument_id", ["phq9", "gad7", "peg"])
def test_rates_from_kept_points_equal_the_patient_level_reference(conn, instrument_id):
    inst = REGISTRY[instrument_id]
    scores = store.cohort_scores(conn, instrument_id)
    checked = 0
    for flt in _filters(conn):
        chosen = _reference_view(conn, flt)
        expected = cohort.rates(inst, scores[scores["patient_id"].isin(chosen["patient_id"])], chosen)
        got = cohort.view_rates(inst, store.cohort_view(conn, instrument_id, flt))
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False)
        checked += int(expected["denominator"].sum())
    assert checked > 0  # the comparison saw real denominators


@pytest.mark.parametrize("axis", ["week", "infusion"])
def test_trajectory_from_histogram_equals_the_points_summary(conn, axis):
    scores = store.cohort_scores(conn, "phq9")
    times = store.infusion_times(conn)
    for flt in _filters(conn):
        chosen = _reference_view(conn, flt)
        mine = scores[scores["patient_id"].isin(chosen["patient_id"])]
        if axis == "week":
            points = cohort.trajectory_by_week(mine, chosen)
        else:
            points = cohort.trajectory_by_infusion(mine, times[times["patient_id"].isin(chosen["patient_id"])])
        expected = charts.cohort_summary(points)
        got = cohort.view_trajectory(store.cohort_view(conn, "phq9", flt, axis=axis))
        assert got["x"].tolist() == expected["x"].tolist()
        assert got["n"].tolist() == expected["n"].tolist()
        for col in ("median", "q25", "q75", "mean"):
            assert got[col].tolist() == pytest.approx(expected[col].tolist(), abs=1e-9), (flt, col)
    assert len(cohort.view_trajectory(store.cohort_view(conn, "phq9", None, axis=axis))) > 5


def test_headline_counts_tt_and_durability_equal_the_reference(conn):
    for flt in _filters(conn):
        chosen = _reference_view(conn, flt)
        rows = store.cohort_view(conn, "phq9", flt, active_since="2026-01-01")
        assert len(rows) == len(chosen)
        for ind in store.INDICATIONS:
            assert len(cohort.with_indication(rows, ind)) == int(chosen["indications"].str.split(",").map(lambda xs, i=ind: i in xs).sum())
        view = cohort.view_overview(rows)
        assert view["patients"] == len(chosen)
        assert view["active"] == int((chosen["last_assessment_at"] >= "2026-01-01").sum())
        assert view["completed_induction"] == int((chosen["n_induction"] >= 4).sum())
        assert view["boosters"] == int(chosen["n_boosters"].fillna(0).sum())
        assert view["open_alerts"] == int(chosen["open_alerts"].fillna(0).sum())
        kinds = chosen["signal_kinds"].fillna("").str.split(",")
        for kind, n in view["open_prompts"].items():
            assert n == int(kinds.map(lambda ks, k=kind: k in ks).sum())

        expected_tt = cohort.talking_therapies_rates(store.paired_scores(conn), chosen)
        pd.testing.assert_frame_equal(cohort.view_talking_therapies(rows), expected_tt, check_dtype=False)

        given, years = cohort.boosters_per_patient_year(chosen, as_of=AS_OF)
        got_given, got_years = cohort.view_follow_up(rows, as_of=AS_OF)
        assert (got_given, got_years) == (given, pytest.approx(years, rel=1e-9))

        times = cohort.relapse_times(chosen, as_of=AS_OF)
        whole_days = cohort.view_durability(rows)
        assert len(whole_days) == len(times)
        assert int(whole_days["relapsed"].sum()) == int(times["relapsed"].sum())
        if len(times):  # whole days: the curve's median moves by less than a day
            exact = survival.median_time(survival.kaplan_meier(times["days"].tolist(), times["relapsed"].tolist()))
            whole = survival.median_time(survival.kaplan_meier(whole_days["days"].tolist(), whole_days["relapsed"].tolist()))
            assert (exact is None) == (whole is None)
            if exact is not None:
                assert math.isclose(whole, exact, abs_tol=1.0)
    # the filters above really selected different patients, TT cases and responders
    assert len({len(_reference_view(conn, f)) for f in _filters(conn)}) >= 4


def test_counts_per_distinct_value_give_the_same_curve():
    days, events = [3, 3, 5, 8, 8, 8, 12], [True, False, True, True, True, False, False]
    weighted = survival.kaplan_meier([3, 3, 5, 8, 8, 12], [True, False, True, True, False, False], [1, 1, 1, 2, 1, 1])
    pd.testing.assert_frame_equal(weighted, survival.kaplan_meier(days, events))


def test_points_stay_current_when_a_check_in_is_saved(conn):
    pid = conn.execute(
        "SELECT patient_id FROM patient_summaries WHERE first_infusion_at IS NOT NULL ORDER BY patient_id LIMIT 1"
    ).fetchone()[0]
    first = store.patient_summary(conn, pid)["first_infusion_at"]
    before = cohort.view_trajectory(store.cohort_view(conn, "phq9"))
    week30 = pd.Timestamp(first) + pd.Timedelta(days=7 * 20 + 1)
    at = week30.strftime("%Y-%m-%dT%H:%M:%SZ")
    store.save_assessment(conn, pid, scoring.score("phq9", [3] * 9), administered_at=at, context="weekly")
    after = cohort.view_trajectory(store.cohort_view(conn, "phq9"))
    weeks = np.frombuffer(conn.execute(
        "SELECT weeks FROM cohort_points WHERE patient_id = ? AND instrument = 'phq9'", [pid]
    ).fetchone()[0], dtype="<f8")
    assert not np.isnan(weeks[20 + 1]) and weeks[20 + 1] >= 27 / 2  # the new 27 is in the week-20 mean
    assert int(after["n"].sum()) >= int(before["n"].sum())
    assert not after.equals(before)


def test_migrating_an_older_database_fills_the_points(tmp_path):
    """A clinic upgrading from schema 5 gets its cohort points computed once on open."""
    from datetime import date

    from progress import demo
    from progress.store import connection

    path = tmp_path / "old.db"
    db = store.open_db(path)
    demo.build_demo(db, patients=20, seed=3, anchor=date(2026, 11, 16))
    expected = db.execute("SELECT COUNT(*), SUM(LENGTH(weeks)) FROM cohort_points").fetchone()
    # Wind the file back to the schema before the cohort tables, as an older release left it.
    db.execute("DROP TABLE cohort_points")
    for column in ("last_induction_at", "n_induction", "response_days", "follow_days", "tt_case",
                   "tt_recovered", "tt_reliable_recovery", "tt_improved", "tt_deteriorated",
                   "prompt_flags", "indication_flags"):
        db.execute(f"ALTER TABLE patient_summaries DROP COLUMN {column}")
    db.execute("DROP INDEX IF EXISTS audit_detail")
    db.execute("PRAGMA user_version=5")
    db.close()
    db = store.open_db(path)
    assert connection.schema_version(db) == store.SCHEMA_VERSION
    assert expected[0] > 0
    assert db.execute("SELECT COUNT(*), SUM(LENGTH(weeks)) FROM cohort_points").fetchone() == expected
    db.close()


@pytest.mark.parametrize("axis", ["week", "infusion"])
def test_chunked_totals_equal_the_whole_view(conn, axis):
    """The page reads the view 2,000 patients at a time; with chunks of 7 every figure is the
    same as from the whole view at once (sums, and quartiles from counts per value)."""
    inst = REGISTRY["phq9"]
    for flt in _filters(conn):
        whole = store.cohort_view(conn, "phq9", flt, axis=axis, active_since="2026-01-01")
        chunks = list(store.cohort_chunks(conn, "phq9", flt, axis=axis, active_since="2026-01-01", size=7))
        assert sum(len(c) for c in chunks) == len(whole)
        t = cohort.totals(chunks, inst, axis, store.INDICATIONS, as_of=AS_OF)
        assert t.overview == cohort.view_overview(whole)
        pd.testing.assert_frame_equal(t.rates, cohort.view_rates(inst, whole), check_dtype=False)
        pd.testing.assert_frame_equal(t.tt, cohort.view_talking_therapies(whole), check_dtype=False)
        assert (t.boosters, t.years) == (cohort.view_follow_up(whole, as_of=AS_OF)[0], pytest.approx(cohort.view_follow_up(whole, as_of=AS_OF)[1]))
        expected = cohort.view_trajectory(whole)
        got = t.trajectory()
        assert got["x"].tolist() == expected["x"].tolist() and got["n"].tolist() == expected["n"].tolist()
        for col in ("median", "q25", "q75", "mean"):
            assert got[col].tolist() == pytest.approx(expected[col].tolist(), abs=1e-9)
        d = cohort.view_durability(whole)
        days, relapsed, weights = t.durability()
        pd.testing.assert_frame_equal(
            survival.kaplan_meier(days, relapsed, weights),
            survival.kaplan_meier(d["days"].tolist(), d["relapsed"].tolist()),
        )
        for ind in store.INDICATIONS:
            sub = cohort.with_indication(whole, ind)
            assert t.by_indication[ind]["patients"] == len(sub)
            if len(sub):
                pd.testing.assert_frame_equal(t.indication_rates(ind), cohort.view_rates(inst, sub), check_dtype=False)


def test_quantiles_from_counts_match_numpy():
    rng = np.random.default_rng(3)
    sample = rng.integers(0, 28, size=501) / rng.choice([1, 2, 3], size=501)
    values, counts = np.unique(sample, return_counts=True)
    qs = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
    assert cohort.quantiles_from_histogram(values.tolist(), counts.tolist(), qs) == pytest.approx(np.quantile(sample, qs).tolist(), abs=1e-12)
