"""Kaplan-Meier against the Freireich 6-MP remission data, the textbook example whose
product-limit estimates are printed in every survival-analysis text."""

from __future__ import annotations

import pytest

from progress.survival import kaplan_meier, median_time

TIMES = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]


def test_freireich_6mp_estimates():
    curve = kaplan_meier(TIMES, [bool(e) for e in EVENT])
    assert list(curve["time"]) == [6, 7, 10, 13, 16, 22, 23]
    assert list(curve["at_risk"]) == [21, 17, 15, 12, 11, 7, 6]
    assert [round(s, 3) for s in curve["survival"]] == [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448]
    assert curve["lower"].iloc[0] == pytest.approx(0.620, abs=1e-3)
    assert curve["upper"].iloc[0] == pytest.approx(0.952, abs=1e-3)
    assert median_time(curve) == 23


def test_no_events_gives_an_empty_curve_and_no_median():
    curve = kaplan_meier([5, 8], [False, False])
    assert curve.empty and median_time(curve) is None


def test_lengths_must_match():
    with pytest.raises(ValueError):
        kaplan_meier([1, 2], [True])
