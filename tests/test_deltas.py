"""Before/after-infusion deltas and pre-to-pre change for momentary ratings.

Every expected value below is worked by hand from the small frames built in each test.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from progress.deltas import (
    PRE_TO_PRE_COLUMNS,
    PREPOST_COLUMNS,
    pre_to_pre_change,
    prepost_deltas,
)
from progress.errors import UnknownInstrument, ValidationError
from progress.instruments import MOOD_NRS

INFUSION_TIMES = ["2026-01-05T15:00:00Z", "2026-01-07T15:00:00Z", "2026-01-09T15:00:00Z"]


def infusions(times=INFUSION_TIMES, phases=None) -> pd.DataFrame:
    n = len(times)
    return pd.DataFrame(
        {
            "id": [101 + k for k in range(n)],
            "administered_at": list(times),
            "route": ["IV"] * n,
            "dose_mg_per_kg": [0.5] * n,
            "dose_mg": [35.0] * n,
            "phase": phases or ["induction"] * n,
            "side_effects": [[] for _ in range(n)],
            "number": list(range(1, n + 1)),
        }
    )


def ratings(rows, instrument="mood_nrs") -> pd.DataFrame:
    """rows: (id, administered_at, context, infusion_id or None, total)."""
    return pd.DataFrame(
        [
            {
                "id": i,
                "instrument": instrument,
                "administered_at": at,
                "context": ctx,
                "infusion_id": inf,
                "respondent": "self",
                "total": float(total),
            }
            for i, at, ctx, inf, total in rows
        ]
    )


def row(df: pd.DataFrame, number: int) -> pd.Series:
    return df[df["number"] == number].iloc[0]


def test_pairs_by_infusion_id_whatever_the_time():
    series = ratings(
        [
            (1, "2026-01-05T14:30:00Z", "pre_infusion", 101, 7),
            (2, "2026-01-05T16:00:00Z", "post_infusion", 101, 3),
            # linked ratings entered the next day still pair with infusion 102
            (3, "2026-01-07T14:00:00Z", "pre_infusion", 102, 6),
            (4, "2026-01-08T09:00:00Z", "post_infusion", 102, 4),
        ]
    )
    out = prepost_deltas(series, infusions(), "mood_nrs")
    assert list(out.columns) == PREPOST_COLUMNS
    assert list(out["number"]) == [1, 2, 3]
    first, second = row(out, 1), row(out, 2)
    assert (first["pre"], first["post"], first["delta"]) == (7.0, 3.0, -4.0)
    assert (first["pre_id"], first["post_id"], first["paired_by"]) == (1, 2, "infusion_id")
    assert (second["pre"], second["post"], second["delta"]) == (6.0, 4.0, -2.0)
    assert first["phase"] == "induction"
    assert first["administered_at"] == "2026-01-05T15:00:00Z"
    assert first["infusion_id"] == 101


def test_several_linked_ratings_take_the_one_nearest_the_infusion():
    series = ratings(
        [
            (1, "2026-01-05T13:00:00Z", "pre_infusion", 101, 9),
            (2, "2026-01-05T14:45:00Z", "pre_infusion", 101, 8),  # latest pre wins
            (3, "2026-01-05T15:40:00Z", "post_infusion", 101, 2),  # earliest post wins
            (4, "2026-01-05T18:00:00Z", "post_infusion", 101, 5),
        ]
    )
    first = row(prepost_deltas(series, infusions(), "mood_nrs"), 1)
    assert (first["pre_id"], first["post_id"], first["delta"]) == (2, 3, -6.0)


def test_same_day_fallback_pairs_unlinked_ratings_around_the_infusion_time():
    series = ratings(
        [
            (1, "2026-01-05T09:00:00Z", "pre_infusion", None, 8),
            (2, "2026-01-05T14:50:00Z", "pre_infusion", None, 7),  # nearest before: used
            (3, "2026-01-05T15:30:00Z", "post_infusion", None, 4),  # nearest after: used
            (4, "2026-01-05T20:00:00Z", "post_infusion", None, 5),
        ]
    )
    first = row(prepost_deltas(series, infusions(), "mood_nrs"), 1)
    assert (first["pre"], first["post"], first["delta"]) == (7.0, 4.0, -3.0)
    assert (first["pre_id"], first["post_id"], first["paired_by"]) == (2, 3, "same_day")


def test_same_day_fallback_respects_the_side_of_the_infusion_time():
    series = ratings(
        [
            (1, "2026-01-05T15:00:00Z", "pre_infusion", None, 6),  # at the infusion time: pre
            (2, "2026-01-05T14:00:00Z", "post_infusion", None, 2),  # "post" before it: ignored
            (3, "2026-01-07T16:00:00Z", "pre_infusion", None, 5),  # "pre" after it: ignored
        ]
    )
    out = prepost_deltas(series, infusions(), "mood_nrs")
    assert row(out, 1)["pre"] == 6.0
    assert math.isnan(row(out, 1)["post"])
    assert math.isnan(row(out, 2)["pre"])


def test_same_day_fallback_needs_the_same_utc_day():
    series = ratings(
        [
            (1, "2026-01-04T23:30:00Z", "pre_infusion", None, 7),  # the evening before
            (2, "2026-01-06T00:10:00Z", "post_infusion", None, 3),  # just after UTC midnight
        ]
    )
    first = row(prepost_deltas(series, infusions(), "mood_nrs"), 1)
    assert math.isnan(first["pre"]) and math.isnan(first["post"]) and math.isnan(first["delta"])
    assert first["paired_by"] is None


def test_one_side_linked_and_the_other_same_day_is_mixed():
    series = ratings(
        [
            (1, "2026-01-05T14:30:00Z", "pre_infusion", 101, 7),
            (2, "2026-01-05T16:00:00Z", "post_infusion", None, 4),
        ]
    )
    first = row(prepost_deltas(series, infusions(), "mood_nrs"), 1)
    assert (first["pre_id"], first["post_id"], first["paired_by"]) == (1, 2, "mixed")
    assert first["delta"] == -3.0


def test_a_linked_rating_beats_a_same_day_one_and_serves_only_its_infusion():
    series = ratings(
        [
            (1, "2026-01-05T14:30:00Z", "pre_infusion", 101, 7),
            (2, "2026-01-05T16:00:00Z", "post_infusion", None, 4),
            # linked to 101 although entered on 102's day
            (3, "2026-01-07T16:00:00Z", "post_infusion", 101, 1),
        ]
    )
    out = prepost_deltas(series, infusions(), "mood_nrs")
    assert (row(out, 1)["post_id"], row(out, 1)["paired_by"]) == (3, "infusion_id")
    assert math.isnan(row(out, 2)["post"])


def test_two_infusions_on_one_day_each_get_their_own_ratings():
    times = ["2026-01-05T09:00:00Z", "2026-01-05T15:00:00Z"]
    series = ratings(
        [
            (1, "2026-01-05T08:30:00Z", "pre_infusion", None, 8),
            (2, "2026-01-05T10:00:00Z", "post_infusion", None, 5),
            (3, "2026-01-05T16:00:00Z", "post_infusion", None, 3),
        ]
    )
    out = prepost_deltas(series, infusions(times), "mood_nrs")
    first, second = row(out, 1), row(out, 2)
    assert (first["pre_id"], first["post_id"]) == (1, 2)
    # no pre between the two infusions, and rating 1 is already used
    assert math.isnan(second["pre"])
    assert second["post_id"] == 3


def test_infusions_without_ratings_get_nan():
    series = ratings([(1, "2026-01-05T14:30:00Z", "pre_infusion", 101, 7)])
    out = prepost_deltas(series, infusions(), "mood_nrs")
    assert len(out) == 3
    assert out["pre"].isna().tolist() == [False, True, True]
    assert out["post"].isna().all() and out["delta"].isna().all()
    assert out["post_id"].isna().all()


def test_other_instruments_and_contexts_are_ignored():
    series = pd.concat(
        [
            ratings([(1, "2026-01-05T14:30:00Z", "pre_infusion", 101, 7)]),
            ratings([(2, "2026-01-05T16:00:00Z", "post_infusion", 101, 2)], "anxiety_nrs"),
            ratings([(3, "2026-01-05T16:10:00Z", "weekly", None, 1)]),
        ]
    )
    first = row(prepost_deltas(series, infusions(), "mood_nrs"), 1)
    assert first["pre"] == 7.0
    assert math.isnan(first["post"])


def test_series_without_infusion_id_column_uses_same_day_pairing():
    series = ratings(
        [
            (1, "2026-01-05T14:30:00Z", "pre_infusion", None, 7),
            (2, "2026-01-05T16:00:00Z", "post_infusion", None, 2),
        ]
    ).drop(columns=["infusion_id", "instrument"])
    first = row(prepost_deltas(series, infusions(), MOOD_NRS), 1)
    assert first["delta"] == -5.0


def test_infusions_without_number_are_numbered_in_time_order():
    inf = infusions().drop(columns=["number"]).iloc[::-1]
    out = prepost_deltas(ratings([]), inf, "mood_nrs")
    assert list(out["number"]) == [1, 2, 3]
    assert list(out["infusion_id"]) == [101, 102, 103]


def test_no_infusions_gives_an_empty_frame_with_the_columns():
    out = prepost_deltas(ratings([]), infusions([]), "mood_nrs")
    assert out.empty and list(out.columns) == PREPOST_COLUMNS
    out = pre_to_pre_change(ratings([]), None, "pain_nrs")
    assert out.empty and list(out.columns) == PRE_TO_PRE_COLUMNS


@pytest.mark.parametrize(
    ("instrument_id", "recall"),
    [("phq9", "P2W"), ("gad7", "P2W"), ("pcl5", "P1M"), ("peg", "P1W")],
    ids=["phq9-2-weeks", "gad7-2-weeks", "pcl5-past-month", "peg-past-week"],
)
@pytest.mark.parametrize("function", [prepost_deltas, pre_to_pre_change], ids=lambda f: f.__name__)
def test_non_momentary_instruments_are_refused(function, instrument_id, recall):
    with pytest.raises(ValidationError, match=recall) as caught:
        function(ratings([]), infusions(), instrument_id)
    assert instrument_id in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("instrument_id", ["mood_nrs", "anxiety_nrs", "pain_nrs"])
def test_momentary_instruments_are_accepted(instrument_id):
    series = ratings([(1, "2026-01-05T14:30:00Z", "pre_infusion", 101, 4)], instrument_id)
    assert row(prepost_deltas(series, infusions(), instrument_id), 1)["pre"] == 4.0


def test_unknown_instrument_raises():
    with pytest.raises(UnknownInstrument):
        prepost_deltas(ratings([]), infusions(), "nope")


def test_pre_to_pre_change_compares_each_pre_with_the_next_infusions_pre():
    series = ratings(
        [
            (1, "2026-01-05T14:30:00Z", "pre_infusion", 101, 8),
            (2, "2026-01-05T16:00:00Z", "post_infusion", 101, 3),
            (3, "2026-01-07T14:30:00Z", "pre_infusion", 102, 6),
            (4, "2026-01-09T14:30:00Z", "pre_infusion", None, 6.5),
        ]
    )
    out = pre_to_pre_change(series, infusions(), "mood_nrs")
    assert list(out.columns) == PRE_TO_PRE_COLUMNS
    assert out["pre"].tolist() == [8.0, 6.0, 6.5]
    assert out["next_pre"].tolist()[:2] == [6.0, 6.5]
    assert out["change"].tolist()[:2] == [-2.0, 0.5]
    assert out["days_to_next"].tolist()[:2] == [2.0, 2.0]
    assert math.isnan(out["next_pre"].iloc[2]) and math.isnan(out["change"].iloc[2])


def test_pre_to_pre_change_does_not_skip_over_a_missing_pre():
    series = ratings(
        [
            (1, "2026-01-05T14:30:00Z", "pre_infusion", 101, 8),
            (3, "2026-01-09T14:30:00Z", "pre_infusion", 103, 5),
        ]
    )
    out = pre_to_pre_change(series, infusions(), "mood_nrs")
    # infusion 2 has no pre: 1 -> 2 and 2 -> 3 are unknown, not 1 -> 3
    assert out["change"].isna().all()
