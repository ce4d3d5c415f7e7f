"""Change, response, remission and reliable change (progress/metrics.py).

Thresholds from clinical-reference.md sections 2.1-2.2: response >= 50 % reduction, partial
response 25-49 % [S50][S52]; PHQ-9 remission < 5 [S50][S51]; reliable change PHQ-9 >= 6,
GAD-7 >= 4 points [S48]. Expected values are hand arithmetic.
"""

from __future__ import annotations

import pytest

from progress import get
from progress.metrics import (
    STATUS_NO_BASELINE,
    STATUS_NOT_YET,
    STATUS_PARTIAL,
    STATUS_REMISSION,
    STATUS_RESPONSE,
    is_remission,
    percent_change,
    reliable_change,
    response_status,
    summarize,
)

PHQ9, GAD7, PEG, PCL5, MOOD = get("phq9"), get("gad7"), get("peg"), get("pcl5"), get("mood_nrs")


@pytest.mark.parametrize(
    ("baseline", "value", "expected"),
    [(20, 10, -50.0), (20, 25, 25.0), (12, 12, 0.0), (18, 4, -77.77777777777777), (3, 0, -100.0),
     (6.0, 1.5, -75.0)],
    ids=["halved", "worse", "same", "18-to-4", "to-zero", "floats"],
)
def test_percent_change_is_signed_relative_to_baseline(baseline, value, expected):
    assert percent_change(baseline, value) == pytest.approx(expected)


def test_percent_change_from_a_zero_baseline_is_undefined():
    assert percent_change(0, 5) is None


@pytest.mark.parametrize(
    ("baseline", "latest", "status"),
    [
        (20, 10, STATUS_RESPONSE),  # exactly 50 %
        (12, 6, STATUS_RESPONSE),  # exactly 50 %
        (20, 11, STATUS_PARTIAL),  # 45 %
        (20, 15, STATUS_PARTIAL),  # exactly 25 %
        (12, 9, STATUS_PARTIAL),  # exactly 25 %
        (20, 16, STATUS_NOT_YET),  # 20 %
        (13, 10, STATUS_NOT_YET),  # 23 %
        (20, 24, STATUS_NOT_YET),  # worse
        (20, 5, STATUS_RESPONSE),  # 75 % but 5 is not < 5
        (20, 4, STATUS_REMISSION),  # < 5
        (6, 4, STATUS_REMISSION),  # remission outranks a 33 % reduction
        (4, 4, STATUS_NOT_YET),  # already below 5 at baseline: no change, not "remission"
        (0, 0, STATUS_NOT_YET),  # no division by zero
        (None, 4, STATUS_NO_BASELINE),
    ],
    ids=["50pct", "50pct-12", "45pct", "25pct", "25pct-12", "20pct", "23pct", "worse", "at-5",
         "below-5", "remission-beats-partial", "baseline-in-remission", "zero", "no-baseline"],
)
def test_phq9_response_status_thresholds(baseline, latest, status):
    assert response_status(PHQ9, baseline, latest) == status


@pytest.mark.parametrize(("baseline", "latest", "status"), [(10, 7, STATUS_RESPONSE), (10, 8, STATUS_NOT_YET),
                                                            (10, 0, STATUS_RESPONSE)],
                         ids=["30pct", "20pct-no-partial-tier", "to-zero-no-remission-bound"])
def test_peg_response_is_a_30_percent_reduction(baseline, latest, status):
    assert response_status(PEG, baseline, latest) == status


def test_unvalidated_rating_never_reports_a_response():
    assert response_status(MOOD, 10, 0) == STATUS_NOT_YET


@pytest.mark.parametrize(("instrument", "total", "expected"),
                         [(PHQ9, 4, True), (PHQ9, 5, False), (PHQ9, 0, True), (GAD7, 4, True),
                          (GAD7, 5, False), (PCL5, 32, True), (PCL5, 33, False), (PEG, 0, False)],
                         ids=["phq9-4", "phq9-5", "phq9-0", "gad7-4", "gad7-5", "pcl5-32", "pcl5-33",
                              "peg-no-bound"])
def test_remission_is_strictly_below_the_bound(instrument, total, expected):
    assert is_remission(instrument, total) is expected


@pytest.mark.parametrize(
    ("instrument", "baseline", "latest", "expected"),
    [(PHQ9, 20, 14, "improved"), (PHQ9, 20, 15, "no reliable change"), (PHQ9, 10, 16, "deteriorated"),
     (PHQ9, 10, 15, "no reliable change"), (PHQ9, 10, 10, "no reliable change"),
     (GAD7, 10, 6, "improved"), (GAD7, 10, 7, "no reliable change"), (GAD7, 6, 10, "deteriorated"),
     (PEG, 10, 0, None), (PHQ9, None, 3, None)],
    ids=["phq9-minus6", "phq9-minus5", "phq9-plus6", "phq9-plus5", "phq9-same", "gad7-minus4",
         "gad7-minus3", "gad7-plus4", "peg-no-value", "no-baseline"],
)
def test_reliable_change_at_exactly_the_published_points(instrument, baseline, latest, expected):
    assert reliable_change(instrument, baseline, latest) == expected


# -- summarize ------------------------------------------------------------------------------

D = "2026-03-{:02d}T09:00:00Z".format


def test_summary_without_infusions_uses_the_first_score_as_baseline():
    s = summarize(PHQ9, [(D(1), 18), (D(8), 12), (D(15), 8)], None)
    assert (s.n, s.baseline_total, s.baseline_at) == (3, 18, D(1))
    assert (s.latest_total, s.latest_at, s.latest_band) == (8, D(15), "mild")
    assert s.change == -10
    assert s.pct_change == pytest.approx(-55.5555555556)  # -10 / 18
    assert (s.status, s.reliable) == (STATUS_RESPONSE, "improved")
    assert (s.nadir_total, s.nadir_at) == (8, D(15))


def test_baseline_is_the_last_score_at_or_before_the_first_infusion():
    series = [(D(1), 20), (D(3), 18), (D(10), 9), (D(17), 4)]
    s = summarize(PHQ9, series, D(3))  # the D(3) score was taken at the infusion time itself
    assert (s.baseline_total, s.baseline_at) == (18, D(3))
    assert s.change == -14
    assert s.pct_change == pytest.approx(-77.7777777778)
    assert (s.status, s.reliable) == (STATUS_REMISSION, "improved")


def test_score_just_after_the_first_infusion_is_not_the_baseline():
    series = [(D(1), 20), ("2026-03-03T09:00:01Z", 11)]
    s = summarize(PHQ9, series, D(3))
    assert (s.baseline_total, s.baseline_at) == (20, D(1))


def test_nadir_ignores_scores_before_the_baseline():
    series = [(D(1), 6), (D(3), 18), (D(10), 12), (D(17), 14)]
    s = summarize(PHQ9, series, "2026-03-04T00:00:00Z")
    assert s.baseline_total == 18
    assert (s.nadir_total, s.nadir_at) == (12, D(10))


def test_nadir_tie_keeps_the_earliest_score():
    s = summarize(PHQ9, [(D(1), 15), (D(5), 7), (D(9), 7), (D(12), 9)], None)
    assert (s.nadir_total, s.nadir_at) == (7, D(5))


def test_summary_without_a_pre_infusion_score_has_no_baseline():
    series = [(D(10), 14), (D(17), 9)]
    s = summarize(PHQ9, series, D(3))
    assert (s.baseline_total, s.baseline_at) == (None, None)
    assert (s.change, s.pct_change, s.reliable) == (None, None, None)
    assert s.status == STATUS_NO_BASELINE
    assert (s.latest_total, s.nadir_total, s.nadir_at) == (9, 9, D(17))


def test_single_score_is_its_own_baseline_with_no_change():
    s = summarize(GAD7, [(D(1), 11)], None)
    assert (s.n, s.baseline_total, s.latest_total, s.change, s.pct_change) == (1, 11, 11, 0, 0.0)
    assert (s.status, s.reliable, s.latest_band) == (STATUS_NOT_YET, "no reliable change", "moderate")


def test_summary_of_an_empty_series_is_an_error():
    with pytest.raises(ValueError, match="at least one"):
        summarize(PHQ9, [], None)


def test_infusions_to_first_response_counts_infusions_given_by_then():
    from progress import instruments
    from progress.metrics import infusions_to_first_response

    phq9 = instruments.get("phq9")
    infusions = ["2026-01-05T10:00:00Z", "2026-01-07T10:00:00Z", "2026-01-09T10:00:00Z", "2026-01-12T10:00:00Z"]
    series = [("2026-01-04T10:00:00Z", 20), ("2026-01-08T10:00:00Z", 12), ("2026-01-10T10:00:00Z", 10)]
    assert infusions_to_first_response(phq9, series, infusions) == 3  # 50 % on day 10, after 3
    assert infusions_to_first_response(phq9, series[:2], infusions) is None  # 40 %: not yet
    assert infusions_to_first_response(phq9, series[1:], infusions) is None  # no baseline
    assert infusions_to_first_response(phq9, series, []) is None
