"""SUSTAIN-1 definitions and the labelled PHQ-9 analogue, on hand-made series [S33]."""

from __future__ import annotations

import pytest

from progress import relapse
from progress.relapse import PHQ9_ANALOGUE as PHQ
from progress.relapse import SUSTAIN1_MADRS as MADRS


def _days(*pairs):
    return [(f"2026-01-{d:02d}T10:00:00Z", x) for d, x in pairs]


def test_the_analogue_is_labelled_as_an_analogue():
    assert "analogue" in PHQ.label and "not validated" in PHQ.label
    assert MADRS.relapse_min == 22 and MADRS.remission_max == 12


@pytest.mark.parametrize(
    ("weeks", "expected"),
    [
        pytest.param([14, 12, 10, 11], True, id="3-of-4-at-or-below-12"),
        pytest.param([14, 13, 10, 11], False, id="only-2-of-4"),
        pytest.param([12, 11], False, id="too-few-weeks"),
    ],
)
def test_stable_remission_madrs(weeks, expected):
    assert relapse.stable_remission(weeks, MADRS) is expected


def test_stable_response_needs_both_last_weeks_halved_and_no_stable_remission():
    assert relapse.stable_response(34, [20, 16, 15], MADRS)  # 53 %, 56 % reduction
    assert not relapse.stable_response(34, [20, 18, 15], MADRS)  # 47 % in the week before last
    assert not relapse.stable_response(34, [12, 10, 11, 9], MADRS)  # stable remission instead


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        pytest.param(_days((1, 23), (8, 24)), ("2026-01-01", "2026-01-08"), id="7-days-apart"),
        pytest.param(_days((1, 23), (4, 24)), None, id="3-days-too-close"),
        pytest.param(_days((1, 23), (17, 24)), None, id="16-days-too-far"),
        pytest.param(_days((1, 23), (6, 21), (12, 25), (19, 22)), ("2026-01-12", "2026-01-19"), id="first-pair-broken"),
    ],
)
def test_relapse_two_consecutive_5_to_15_days(series, expected):
    hit = relapse.relapse_at(series, MADRS)
    assert (hit and (hit[0][:10], hit[1][:10])) == expected if expected else hit is None


def test_durability_from_first_response_to_relapse_and_censoring():
    series = _days((1, 20), (8, 9), (15, 6), (22, 11), (29, 12))
    days, relapsed = relapse.durability_days(series, 20, PHQ)
    assert relapsed and days == pytest.approx(21.0)  # response on day 8, relapse confirmed day 29
    days, relapsed = relapse.durability_days(_days((1, 20), (8, 9), (15, 6)), 20, PHQ)
    assert not relapsed and days == pytest.approx(7.0)
    assert relapse.durability_days(_days((1, 20), (8, 15)), 20, PHQ) is None
