"""NHS Talking Therapies paired outcomes, hand-worked from the definitions [S48]."""

from __future__ import annotations

import pytest

from progress import talking_therapies as tt


@pytest.mark.parametrize(
    ("scores", "case"),
    [
        pytest.param({"phq9": 10, "gad7": 2}, True, id="phq9-at-10"),
        pytest.param({"phq9": 9, "gad7": 8}, True, id="gad7-at-8"),
        pytest.param({"phq9": 9, "gad7": 7}, False, id="both-below"),
        pytest.param({"phq9": None, "gad7": 7}, False, id="missing-phq9"),
    ],
)
def test_caseness_cutoffs(scores, case):
    assert tt.is_case(scores) is case


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        # recovered, reliable improvement (PHQ-9 -8), reliable recovery
        pytest.param({"phq9": 16, "gad7": 9}, {"phq9": 8, "gad7": 6}, (True, True, True, False, True), id="reliable-recovery"),
        # recovered but change below the RCI on both measures
        pytest.param({"phq9": 11, "gad7": 8}, {"phq9": 7, "gad7": 6}, (True, True, False, False, False), id="recovered-not-reliable"),
        # not a case at start: recovery not defined
        pytest.param({"phq9": 8, "gad7": 5}, {"phq9": 2, "gad7": 1}, (False, None, True, False, None), id="not-a-case"),
        # reliable deterioration on GAD-7 (+4), still a case
        pytest.param({"phq9": 12, "gad7": 9}, {"phq9": 12, "gad7": 13}, (True, False, False, True, False), id="deteriorated"),
    ],
)
def test_paired_outcomes(first, last, expected):
    o = tt.paired_outcome(first, last)
    assert (o.case_at_start, o.recovered, o.reliable_improvement, o.reliable_deterioration, o.reliable_recovery) == expected


def test_strict_clause_when_one_measure_improves_and_the_other_worsens():
    first, last = {"phq9": 18, "gad7": 6}, {"phq9": 10, "gad7": 12}
    loose, strict = tt.paired_outcome(first, last), tt.paired_outcome(first, last, strict=True)
    assert loose.reliable_improvement and loose.reliable_deterioration
    assert not strict.reliable_improvement and not strict.reliable_deterioration


def test_recovery_rate_counts_only_cases_at_start():
    outcomes = [
        tt.paired_outcome({"phq9": 15}, {"phq9": 4}),
        tt.paired_outcome({"phq9": 15}, {"phq9": 12}),
        tt.paired_outcome({"phq9": 6}, {"phq9": 2}),
    ]
    assert tt.recovery_rate(outcomes) == (1, 2)


def test_cohort_rates_use_finished_courses_and_cases_for_recovery():
    import pandas as pd

    from progress import cohort

    paired = pd.DataFrame(
        [("A", "phq9", 16, 4), ("A", "gad7", 9, 3), ("B", "phq9", 8, 15), ("C", "phq9", 20, 5), ("D", "phq9", 18, 2)],
        columns=["patient_id", "instrument", "baseline_total", "latest_total"],
    )
    patients = pd.DataFrame({"patient_id": ["A", "B", "C", "D"], "n_infusions": [6, 6, 3, 1]})
    rates = cohort.talking_therapies_rates(paired, patients).set_index("label")
    assert tuple(rates.loc["Recovery (case at start, not a case now)"]) == (2, 2)  # A and C; D unfinished
    assert tuple(rates.loc["Reliable deterioration"]) == (1, 3)  # B: +7 on PHQ-9
    assert tuple(rates.loc["Reliable improvement"]) == (2, 3)


def test_cohort_rates_with_no_scores_are_zero_over_zero_not_an_error():
    import pandas as pd

    from progress import cohort, instruments

    scores = pd.DataFrame(columns=["patient_id", "administered_at", "total"])
    patients = pd.DataFrame(
        {"patient_id": ["A"], "first_infusion_at": ["2026-01-01T10:00:00Z"], "last_induction_at": ["2026-01-12T10:00:00Z"]}
    )
    table = cohort.rates(instruments.get("phq9"), scores, patients)
    assert len(table) == 6 and table["denominator"].sum() == 0
