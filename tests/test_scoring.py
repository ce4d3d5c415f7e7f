"""Scoring: every band boundary, the PCL-5 and PEG rules, rejections, proration, properties,
and an exhaustive check of every PHQ-9 and GAD-7 answer vector against an oracle.

Expected values are from clinical-reference.md (section 0 and 1) or hand arithmetic in the
comments; nothing expected is produced by calling the code under test.
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from progress import REGISTRY, get
from progress.errors import UnknownInstrument, ValidationError
from progress.scoring import score, score_total_only


def fill(prefix: str, n_items: int, item_max: int, total: int) -> dict[str, int]:
    """Answers ``prefix_1..prefix_n`` that sum to ``total``, filled greedily from item 1."""
    answers, left = {}, total
    for k in range(1, n_items + 1):
        answers[f"{prefix}_{k}"] = min(item_max, left)
        left -= answers[f"{prefix}_{k}"]
    assert left == 0, "test helper asked for an impossible total"
    return answers


# -- band boundaries ----------------------------------------------------------------------

# clinical-reference.md section 0: PHQ-9 0-4/5-9/10-14/15-19/20-27 [S1][S8];
# GAD-7 0-4/5-9/10-14/15-21 [S11]; pain NRS ePPOC 0-4 mild, 5-6 moderate, 7-10 severe [S23].
BOUNDARIES = [
    ("phq9", 9, 3, 0, "minimal"),
    ("phq9", 9, 3, 4, "minimal"),
    ("phq9", 9, 3, 5, "mild"),
    ("phq9", 9, 3, 9, "mild"),
    ("phq9", 9, 3, 10, "moderate"),
    ("phq9", 9, 3, 14, "moderate"),
    ("phq9", 9, 3, 15, "moderately severe"),
    ("phq9", 9, 3, 19, "moderately severe"),
    ("phq9", 9, 3, 20, "severe"),
    ("phq9", 9, 3, 27, "severe"),
    ("gad7", 7, 3, 0, "minimal"),
    ("gad7", 7, 3, 4, "minimal"),
    ("gad7", 7, 3, 5, "mild"),
    ("gad7", 7, 3, 9, "mild"),
    ("gad7", 7, 3, 10, "moderate"),
    ("gad7", 7, 3, 14, "moderate"),
    ("gad7", 7, 3, 15, "severe"),
    ("gad7", 7, 3, 21, "severe"),
    ("pain_nrs", 1, 10, 0, "mild"),
    ("pain_nrs", 1, 10, 4, "mild"),
    ("pain_nrs", 1, 10, 5, "moderate"),
    ("pain_nrs", 1, 10, 6, "moderate"),
    ("pain_nrs", 1, 10, 7, "severe"),
    ("pain_nrs", 1, 10, 10, "severe"),
    # No bands: PCL-5 ("no empirically derived severity bands" [S15]), the unvalidated
    # momentary ratings, and PEG (its bands are UNCONFIRMED).
    ("pcl5", 20, 4, 0, None),
    ("pcl5", 20, 4, 33, None),
    ("pcl5", 20, 4, 80, None),
    ("mood_nrs", 1, 10, 0, None),
    ("mood_nrs", 1, 10, 10, None),
    ("anxiety_nrs", 1, 10, 0, None),
    ("anxiety_nrs", 1, 10, 10, None),
]


@pytest.mark.parametrize(
    ("instrument", "n_items", "item_max", "total", "band"),
    BOUNDARIES,
    ids=[f"{i}-{t}-{b}" for i, _, _, t, b in BOUNDARIES],
)
def test_total_at_band_boundary_falls_in_the_published_band(instrument, n_items, item_max, total, band):
    result = score(instrument, fill(instrument, n_items, item_max, total))
    assert result.total == total
    assert result.band == band


@pytest.mark.parametrize(
    ("instrument", "n_items", "item_max", "total", "band"),
    BOUNDARIES,
    ids=[f"{i}-{t}-{b}" for i, _, _, t, b in BOUNDARIES],
)
def test_total_only_at_band_boundary_falls_in_the_published_band(instrument, n_items, item_max, total, band):
    assert score_total_only(instrument, total).band == band


# -- PCL-5 subscales and the DSM-5 provisional rule ------------------------------------------

PCL5_ZERO = {f"pcl5_{n}": 0 for n in range(1, 21)}


def pcl5(**values: int) -> dict[str, int]:
    """All 20 PCL-5 items at 0 except those given as ``i<n>=value``."""
    answers = dict(PCL5_ZERO)
    for key, value in values.items():
        answers[f"pcl5_{key[1:]}"] = value
    return answers


def test_pcl5_subscales_sum_the_dsm5_clusters():
    # B items 1-5, C 6-7, D 8-14, E 15-20 [S15]
    answers = {f"pcl5_{n}": (1 if n <= 5 else 2 if n <= 7 else 3 if n <= 14 else 4) for n in range(1, 21)}
    result = score("pcl5", answers)
    assert result.subscales == {"B": 5, "C": 4, "D": 21, "E": 24}  # 5*1, 2*2, 7*3, 6*4
    assert result.total == 54


def test_pcl5_subscales_separate_neighbouring_items():
    # items at each cluster edge: 5 is the last B, 6 the first C, 7 the last C, 8 the first D,
    # 14 the last D, 15 the first E
    result = score("pcl5", pcl5(i5=1, i6=2, i7=3, i8=4, i14=1, i15=2))
    assert result.subscales == {"B": 1, "C": 5, "D": 5, "E": 2}


PCL5_RULE = [
    # exactly 1 B / 1 C / 2 D / 2 E endorsed at "Moderately" (2): positive
    ("minimum-at-moderately", pcl5(i1=2, i6=2, i8=2, i9=2, i15=2, i16=2), True),
    ("minimum-at-higher-values", pcl5(i5=4, i7=3, i13=4, i14=3, i19=4, i20=3), True),
    ("every-item-extreme", {k: 4 for k in PCL5_ZERO}, True),
    # item value 1 ("A little bit") does not count as endorsed
    ("every-item-a-little-bit", {k: 1 for k in PCL5_ZERO}, False),
    ("minimum-but-at-a-little-bit", pcl5(i1=1, i6=1, i8=1, i9=1, i15=1, i16=1), False),
    # one cluster short
    ("missing-one-d", pcl5(i1=2, i6=2, i8=2, i9=1, i15=2, i16=2), False),
    ("no-b", pcl5(i6=2, i8=2, i9=2, i15=2, i16=2), False),
    ("no-c", pcl5(i1=2, i8=2, i9=2, i15=2, i16=2), False),
    ("only-one-e", pcl5(i1=2, i6=2, i8=2, i9=2, i15=2), False),
    # a high total without the cluster pattern is not the DSM-5 rule
    ("high-total-no-c", pcl5(**{f"i{n}": 4 for n in (1, 2, 3, 4, 5, 8, 9, 10, 11, 15, 16, 17)}), False),
]


@pytest.mark.parametrize(("answers", "positive"), [c[1:] for c in PCL5_RULE], ids=[c[0] for c in PCL5_RULE])
def test_pcl5_provisional_ptsd_follows_the_dsm5_cluster_rule(answers, positive):
    result = score("pcl5", answers)
    assert ("pcl5_provisional_ptsd" in result.flags) is positive


# -- PEG mean -------------------------------------------------------------------------------

PEG_CASES = [
    ([5, 6, 7], 6.0),  # 18 / 3
    ([1, 2, 2], 1.67),  # 5 / 3 = 1.666...
    ([1, 1, 2], 1.33),  # 4 / 3 = 1.333...
    ([0, 0, 0], 0.0),
    ([10, 10, 10], 10.0),
    ([0, 0, 1], 0.33),
]


@pytest.mark.parametrize(("answers", "mean"), PEG_CASES, ids=[str(a) for a, _ in PEG_CASES])
def test_peg_score_is_the_mean_of_three_items_to_two_decimals(answers, mean):
    result = score("peg", answers)
    assert result.total == pytest.approx(mean, abs=1e-9)
    assert result.band is None


# -- PHQ-9 item 10, mapping input, flags ---------------------------------------------------

US_CORE_ITEMS = [2, 2, 2, 2, 1, 1, 2, 0, 0]  # the US Core worked example: sum 12


def test_phq9_scores_nine_answers_without_item10():
    result = score("phq9", US_CORE_ITEMS)
    assert (result.total, result.band) == (12, "moderate")
    assert "phq9_10" not in result.answers


@pytest.mark.parametrize("difficulty", [0, 1, 2, 3], ids=["not", "somewhat", "very", "extremely"])
def test_phq9_item10_is_recorded_but_never_added_to_the_total(difficulty):
    result = score("phq9", [*US_CORE_ITEMS, difficulty])
    assert result.total == 12
    assert result.answers["phq9_10"] == difficulty


def test_phq9_item10_out_of_range_is_still_rejected():
    with pytest.raises(ValidationError, match="phq9_10"):
        score("phq9", [*US_CORE_ITEMS, 4])


def test_mapping_input_in_any_order_scores_like_a_list():
    answers = {f"phq9_{k}": v for k, v in reversed(list(enumerate(US_CORE_ITEMS, start=1)))}
    answers["phq9_10"] = 1
    result = score("phq9", answers)
    assert result.total == 12
    assert result.answers == {**{f"phq9_{k}": v for k, v in enumerate(US_CORE_ITEMS, start=1)}, "phq9_10": 1}


def test_mapping_input_may_leave_out_the_unscored_item():
    assert score("phq9", {f"phq9_{k}": 1 for k in range(1, 10)}).total == 9


@pytest.mark.parametrize(("item9", "flagged"), [(0, False), (1, True), (2, True), (3, True)])
def test_phq9_item9_above_zero_raises_the_safety_flag(item9, flagged):
    result = score("phq9", [0] * 8 + [item9])
    assert ("item9_positive" in result.flags) is flagged
    assert result.safety is flagged


def test_gad7_never_raises_the_phq9_safety_flag():
    assert score("gad7", [3] * 7).flags == ()


# -- rejections -----------------------------------------------------------------------------

BAD_TYPES = [
    ("str-3", "3"),
    ("str-3.0", "3.0"),
    ("float-3.0", 3.0),
    ("bool-True", True),
    ("bool-False", False),
    ("numpy-int", np.int64(3)),
]


@pytest.mark.parametrize("value", [v for _, v in BAD_TYPES], ids=[i for i, _ in BAD_TYPES])
def test_non_int_answer_is_rejected_naming_the_item(value):
    answers = [1] * 9
    answers[2] = value
    with pytest.raises(ValidationError, match=r"phq9_3.*not a whole number"):
        score("phq9", answers)


def test_none_in_a_non_safety_item_is_an_incomplete_form():
    answers = [1] * 9
    answers[3] = None
    with pytest.raises(ValidationError, match=r"incomplete.*phq9_4"):
        score("phq9", answers)


def test_none_in_item9_names_the_safety_item():
    with pytest.raises(ValidationError, match=r"phq9_9.*safety item"):
        score("phq9", [1] * 8 + [None])


@pytest.mark.parametrize(
    ("instrument", "position", "value"),
    [("phq9", 0, 4), ("phq9", 8, 4), ("phq9", 0, -1), ("gad7", 6, 4), ("gad7", 0, -1),
     ("pcl5", 19, 5), ("peg", 1, 11), ("pain_nrs", 0, 11), ("mood_nrs", 0, -1)],
    ids=["phq9-4", "phq9_9-4", "phq9-minus1", "gad7-4", "gad7-minus1", "pcl5-5", "peg-11",
         "pain-11", "mood-minus1"],
)
def test_out_of_range_answer_is_rejected_with_the_allowed_range(instrument, position, value):
    inst = get(instrument)
    answers = [0] * len(inst.scored_items)
    answers[position] = value
    item = inst.scored_items[position]
    with pytest.raises(ValidationError, match=rf"{item.id}.*out of range.*{item.min_value}-{item.max_value}"):
        score(instrument, answers)


@pytest.mark.parametrize("n", [0, 1, 8, 11], ids=lambda n: f"{n}-answers")
def test_wrong_number_of_phq9_answers_is_rejected(n):
    with pytest.raises(ValidationError, match=rf"needs 9 .*got {n}"):
        score("phq9", [0] * n)


def test_wrong_number_of_gad7_answers_is_rejected():
    with pytest.raises(ValidationError, match="needs 7 answers; got 9"):
        score("gad7", [0] * 9)


@pytest.mark.parametrize("bad", ["0123", b"012", 5, None], ids=["str", "bytes", "int", "None"])
def test_answers_that_are_neither_a_list_nor_a_mapping_are_rejected(bad):
    with pytest.raises(ValidationError):
        score("gad7", bad)


def test_unknown_item_id_is_rejected_by_name():
    answers = {f"phq9_{k}": 0 for k in range(1, 10)} | {"phq9_11": 0}
    with pytest.raises(ValidationError, match="phq9_11"):
        score("phq9", answers)


def test_item_of_another_instrument_is_rejected():
    with pytest.raises(ValidationError, match="gad7_1"):
        score("phq9", {"gad7_1": 0})


@pytest.mark.parametrize("name", ["phq10", "PHQ9", "", None], ids=["phq10", "upper", "empty", "None"])
def test_unknown_instrument_is_rejected_listing_the_known_ones(name):
    with pytest.raises(UnknownInstrument, match="phq9"):
        score(name, [0] * 9)


def test_unknown_instrument_is_also_a_key_error():
    with pytest.raises(KeyError):
        score("madrs", [0] * 10)


# -- proration (opt-in) ---------------------------------------------------------------------

PRORATION = [
    # sum of answered items * 9 / number answered, rounded
    ("one-missing", [2, 1, 0, 3, 1, 2, 0, None, 1], 11, 1, "moderate"),  # 10*9/8 = 11.25
    ("two-missing", [3, 2, None, 1, None, 2, 1, 0, 2], 14, 2, "moderate"),  # 11*9/7 = 14.14
    ("two-missing-all-3", [3, 3, None, 3, 3, None, 3, 3, 3], 27, 2, "severe"),  # 21*9/7
    # 4*9/8 = 4.5: a half rounds up to 5 (mild), as item-mean substitution gives 4 + 0.5
    ("half-rounds-up", [1, 1, 1, 1, 0, 0, 0, None, 0], 5, 1, "mild"),
    ("half-rounds-up-13.5", [2, 2, 2, 2, 2, 2, None, 0, 0], 14, 1, "moderate"),  # 12*9/8
    ("half-rounds-up-22.5", [3, 3, 3, 3, 3, 3, None, 2, 0], 23, 1, "severe"),  # 20*9/8
]


@pytest.mark.parametrize(
    ("answers", "total", "n_missing", "band"), [c[1:] for c in PRORATION], ids=[c[0] for c in PRORATION]
)
def test_opt_in_proration_scales_one_or_two_missing_phq9_items(answers, total, n_missing, band):
    result = score("phq9", answers, prorate=True)
    assert result.total == total
    assert result.prorated is True
    assert result.n_missing == n_missing
    assert result.band == band
    assert len(result.answers) == 9 - n_missing


def test_complete_form_with_proration_allowed_is_not_marked_prorated():
    result = score("phq9", US_CORE_ITEMS, prorate=True)
    assert (result.total, result.prorated, result.n_missing) == (12, False, 0)


def test_missing_item_without_opt_in_is_not_prorated():
    with pytest.raises(ValidationError, match=r"1 missing, 0 allowed"):
        score("phq9", [2, 1, 0, 3, 1, 2, 0, None, 1])


def test_three_missing_items_fail_even_with_proration():
    with pytest.raises(ValidationError, match=r"3 missing, 2 allowed"):
        score("phq9", [None, None, None, 1, 1, 1, 1, 1, 1], prorate=True)


@pytest.mark.parametrize("others_missing", [0, 1], ids=["alone", "with-another"])
def test_item9_missing_always_fails_even_with_proration(others_missing):
    answers = [1] * 8 + [None]
    if others_missing:
        answers[0] = None
    with pytest.raises(ValidationError, match=r"phq9_9.*safety item"):
        score("phq9", answers, prorate=True)


def test_gad7_has_no_proration_policy():
    with pytest.raises(ValidationError, match=r"1 missing, 0 allowed"):
        score("gad7", [1, 1, 1, None, 1, 1, 1], prorate=True)


# -- properties for every instrument ------------------------------------------------------


def answers_strategy(instrument):
    return st.fixed_dictionaries(
        {item.id: st.sampled_from([o.value for o in item.options]) for item in instrument.scored_items}
    )


def band_rank(instrument, band):
    names = [b.name for b in instrument.bands]
    return -1 if band is None else names.index(band)


ALL_IDS = sorted(REGISTRY)


def for_every_instrument(test):
    """A Hypothesis property run once per registered instrument."""
    prop = given(data=st.data())(test)
    return pytest.mark.parametrize("instrument_id", ALL_IDS)(settings(max_examples=60, deadline=None)(prop))


@for_every_instrument
def test_total_always_lies_within_the_declared_range(instrument_id, data):
    inst = REGISTRY[instrument_id]
    result = score(instrument_id, data.draw(answers_strategy(inst)))
    assert inst.total_min <= result.total <= inst.total_max
    if inst.bands:
        assert result.band is not None


@for_every_instrument
def test_raising_one_item_never_lowers_the_total_or_the_band(instrument_id, data):
    inst = REGISTRY[instrument_id]
    answers = data.draw(answers_strategy(inst))
    item = data.draw(st.sampled_from(inst.scored_items))
    higher = data.draw(st.sampled_from([o.value for o in item.options if o.value >= answers[item.id]]))
    before = score(instrument_id, answers)
    after = score(instrument_id, {**answers, item.id: higher})
    assert after.total >= before.total
    assert band_rank(inst, after.band) >= band_rank(inst, before.band)


@for_every_instrument
def test_band_is_monotone_in_the_total(instrument_id, data):
    inst = REGISTRY[instrument_id]
    a = score(instrument_id, data.draw(answers_strategy(inst)))
    b = score(instrument_id, data.draw(answers_strategy(inst)))
    low, high = sorted((a, b), key=lambda s: s.total)
    assert band_rank(inst, low.band) <= band_rank(inst, high.band)
    if low.total == high.total:
        assert low.band == high.band


# -- exhaustive oracle for PHQ-9 and GAD-7 ---------------------------------------------------

# Written here from clinical-reference.md, independently of the declarations.
PHQ9_CUTS, PHQ9_NAMES = [5, 10, 15, 20], ["minimal", "mild", "moderate", "moderately severe", "severe"]
GAD7_CUTS, GAD7_NAMES = [5, 10, 15], ["minimal", "mild", "moderate", "severe"]


@pytest.mark.parametrize(
    ("instrument", "n_items", "cuts", "names", "safety_column"),
    [("phq9", 9, PHQ9_CUTS, PHQ9_NAMES, 8), ("gad7", 7, GAD7_CUTS, GAD7_NAMES, None)],
    ids=["phq9-4^9", "gad7-4^7"],
)
def test_every_answer_vector_matches_an_independent_oracle(instrument, n_items, cuts, names, safety_column):
    started = time.perf_counter()
    vectors = list(itertools.product(range(4), repeat=n_items))  # plain Python ints
    grid = np.array(vectors, dtype=np.int8)
    want_total = grid.sum(axis=1, dtype=np.int64)
    want_band = np.array(names)[np.searchsorted(cuts, want_total, side="right")]
    want_flag = grid[:, safety_column] > 0 if safety_column is not None else np.zeros(len(grid), bool)

    got_total = np.empty(len(vectors), dtype=np.int64)
    got_band = np.empty(len(vectors), dtype=object)
    got_flag = np.empty(len(vectors), dtype=bool)
    for i, vector in enumerate(vectors):
        result = score(instrument, vector)
        got_total[i] = result.total
        got_band[i] = result.band
        got_flag[i] = "item9_positive" in result.flags
    elapsed = time.perf_counter() - started

    assert len(vectors) == 4**n_items
    for what, got, want in (("total", got_total, want_total), ("band", got_band, want_band),
                            ("item9 flag", got_flag, want_flag)):
        wrong = np.flatnonzero(got != want)
        assert wrong.size == 0, f"{what} wrong for {vectors[wrong[0]]}: {got[wrong[0]]} != {want[wrong[0]]}"
    print(f"\n{instrument}: {len(vectors)} vectors checked in {elapsed:.2f} s")


# -- total-only scores ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument", "total", "expected", "band"),
    [("phq9", 12, 12, "moderate"), ("phq9", 12.0, 12, "moderate"), ("phq9", 0, 0, "minimal"),
     ("phq9", 27, 27, "severe"), ("gad7", 21, 21, "severe"), ("pcl5", 80, 80, None),
     ("peg", 6.67, 6.67, None), ("peg", 0, 0.0, None), ("pain_nrs", 7, 7, "severe")],
    ids=["phq9-12", "phq9-12.0", "phq9-0", "phq9-27", "gad7-21", "pcl5-80", "peg-6.67", "peg-0", "pain-7"],
)
def test_total_only_accepts_a_number_in_range(instrument, total, expected, band):
    result = score_total_only(instrument, total)
    assert result.total == expected
    assert result.band == band
    assert result.answers == {}


def test_total_only_whole_float_for_a_sum_instrument_becomes_an_int():
    assert type(score_total_only("phq9", 12.0).total) is int


@pytest.mark.parametrize(
    ("instrument", "total", "message"),
    [("phq9", -1, "out of range"), ("phq9", 28, "out of range"), ("gad7", 22, "out of range"),
     ("peg", 10.01, "out of range"), ("phq9", math.inf, "out of range"),
     ("phq9", True, "not a number"), ("phq9", False, "not a number"), ("phq9", "12", "not a number"),
     ("phq9", None, "not a number"), ("phq9", math.nan, "not a number"), ("peg", math.nan, "not a number"),
     ("phq9", 12.5, "whole number"), ("pcl5", 40.2, "whole number")],
    ids=["phq9-minus1", "phq9-28", "gad7-22", "peg-10.01", "phq9-inf", "phq9-True", "phq9-False",
         "phq9-str", "phq9-None", "phq9-nan", "peg-nan", "phq9-12.5", "pcl5-40.2"],
)
def test_total_only_rejects_what_is_not_a_valid_total(instrument, total, message):
    with pytest.raises(ValidationError, match=message):
        score_total_only(instrument, total)


def test_total_only_phq9_says_the_safety_item_was_not_seen():
    result = score_total_only("phq9", 3)
    assert result.flags == ("item9_unknown",)
    assert result.safety is False  # unknown is not the same as positive


@pytest.mark.parametrize("instrument", ["gad7", "pcl5", "peg", "pain_nrs"])
def test_total_only_other_instruments_carry_no_item9_flag(instrument):
    assert score_total_only(instrument, 3).flags == ()
