"""The instrument catalogue: invariants every declaration in the registry must keep, and the
LOINC codes of PHQ-9 and GAD-7 checked against clinical-reference.md sections 1.1 and 1.3."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from progress import get
from progress.instruments import REGISTRY
from progress.model import ClusterRule, Instrument, ItemAtLeast

INSTRUMENTS = list(REGISTRY.values())
IDS = list(REGISTRY)
CLINICAL_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "clinical-reference.md"

# ISO 8601 duration (years .. seconds, or weeks), at least one component.
ISO_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
SOURCE_TAG = re.compile(r"\[S\d+[a-z]?\]")


def each(fn):
    return pytest.mark.parametrize("inst", INSTRUMENTS, ids=IDS)(fn)


def each_of(predicate):
    chosen = [i for i in INSTRUMENTS if predicate(i)]
    assert chosen, "no declaration matches; the test would check nothing"
    return pytest.mark.parametrize("inst", chosen, ids=[i.id for i in chosen])


BANDED = each_of(lambda i: bool(i.bands))
UNVALIDATED = each_of(lambda i: not i.validated)


def item_bounds(inst: Instrument) -> tuple[float, float]:
    lows = [i.min_value for i in inst.scored_items]
    highs = [i.max_value for i in inst.scored_items]
    if inst.method == "sum":
        return sum(lows), sum(highs)
    return sum(lows) / len(lows), sum(highs) / len(highs)


def loinc_check_digit_ok(code: str) -> bool:
    """LOINC's mod-10 check digit (the Luhn scheme) over the part before the hyphen."""
    body, digit = code.split("-")
    total = 0
    for pos, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if pos % 2 == 0 else 1)
        total += d // 10 + d % 10
    return (10 - total % 10) % 10 == int(digit)


# -- identity -------------------------------------------------------------------------------


def test_registry_keys_are_the_instrument_ids():
    assert all(key == inst.id for key, inst in REGISTRY.items())
    assert len({inst.id for inst in INSTRUMENTS}) == len(INSTRUMENTS)


def test_short_names_are_unique():
    assert len({inst.short_name for inst in INSTRUMENTS}) == len(INSTRUMENTS)


@each
def test_item_ids_are_unique_and_prefixed_with_the_instrument_id(inst):
    ids = [i.id for i in inst.items]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(rf"{inst.id}_\d+", i) for i in ids), ids


@each
def test_item_ids_are_numbered_in_declaration_order(inst):
    assert [i.id for i in inst.items] == [f"{inst.id}_{n}" for n in range(1, len(inst.items) + 1)]


@each
def test_lookup_by_id_returns_the_declaration(inst):
    assert get(inst.id) is inst


# -- items and answers ----------------------------------------------------------------------


@each
def test_every_item_has_two_or_more_options_with_unique_values_and_labels(inst):
    for item in inst.items:
        values = [o.value for o in item.options]
        labels = [o.label for o in item.options]
        assert len(values) >= 2, item.id
        assert len(values) == len(set(values)), item.id
        assert len(labels) == len(set(labels)), item.id
        assert all(type(v) is int for v in values), item.id
        assert values == sorted(values), f"{item.id} options not in ascending order"


@each
def test_option_values_are_contiguous_integers(inst):
    # the scorer accepts any integer in min..max, so a gap would accept an undeclared answer
    for item in inst.items:
        assert [o.value for o in item.options] == list(range(item.min_value, item.max_value + 1)), item.id


@each
def test_answer_loinc_codes_are_unique_within_an_item(inst):
    for item in inst.items:
        codes = [o.loinc for o in item.options if o.loinc]
        assert len(codes) == len(set(codes)), item.id
        assert codes == [] or len(codes) == len(item.options), f"{item.id}: partly coded answers"


@each
def test_instrument_has_at_least_one_scored_item(inst):
    assert inst.scored_items


# -- range and bands ------------------------------------------------------------------------


@each
def test_total_range_equals_the_bounds_of_the_scored_items(inst):
    assert (inst.total_min, inst.total_max) == pytest.approx(item_bounds(inst))


@BANDED
def test_bands_are_contiguous_and_cover_the_whole_range(inst):
    bands = inst.bands
    assert bands[0].low == inst.total_min
    assert bands[-1].high == inst.total_max
    for band in bands:
        assert band.low <= band.high, band
    for prev, nxt in zip(bands, bands[1:], strict=False):
        if inst.method == "sum":
            assert nxt.low == prev.high + 1, (prev, nxt)
        else:  # mean totals are rounded to 2 decimals
            assert 0 < nxt.low - prev.high <= 0.01 + 1e-9, (prev, nxt)
    names = [b.name for b in bands]
    assert len(names) == len(set(names))


@BANDED
def test_every_possible_total_has_exactly_one_band(inst):
    step = 1 if inst.method == "sum" else 0.01
    n_steps = round((inst.total_max - inst.total_min) / step)
    for k in range(n_steps + 1):
        total = round(inst.total_min + k * step, 2)
        assert sum(b.low <= total <= b.high for b in inst.bands) == 1, total


@each
def test_instruments_without_bands_name_no_band(inst):
    if inst.bands:
        assert inst.band_for(inst.total_min) == inst.bands[0].name
    else:
        assert inst.band_for(inst.total_min) is None
        assert inst.band_for(inst.total_max) is None



@each
def test_cutoffs_and_remission_bound_lie_inside_the_range(inst):
    for cutoff in inst.cutoffs:
        assert inst.total_min < cutoff.value <= inst.total_max, cutoff
        assert cutoff.source.strip(), cutoff
    bound = inst.outcomes.remission_below
    if bound is not None:
        assert inst.total_min < bound <= inst.total_max
        assert inst.outcomes.remission_source.strip()
    width = inst.total_max - inst.total_min
    for name in ("reliable_change", "mcid"):
        value = getattr(inst.outcomes, name)
        if value is not None:
            assert 0 < value <= width, name
            assert getattr(inst.outcomes, f"{name}_source").strip(), name


@each
def test_response_fractions_are_between_zero_and_one(inst):
    full = inst.outcomes.response_reduction
    partial = inst.outcomes.partial_response_reduction
    if full is not None:
        assert 0 < full <= 1
        assert inst.outcomes.response_source.strip()
    if partial is not None:
        assert full is not None and 0 < partial < full


# -- flags and subscales --------------------------------------------------------------------


@each
def test_subscales_name_real_scored_items_without_overlap(inst):
    scored = {i.id for i in inst.scored_items}
    seen: set[str] = set()
    for sub in inst.subscales:
        assert sub.items, sub.id
        assert set(sub.items) <= scored, sub.id
        assert not seen & set(sub.items), f"{sub.id} overlaps another subscale"
        seen |= set(sub.items)
    assert len({s.id for s in inst.subscales}) == len(inst.subscales)


@each
def test_flag_rules_name_real_items_and_subscales(inst):
    subs = {s.id: s for s in inst.subscales}
    for rule in inst.flag_rules:
        assert rule.source.strip(), rule.flag
        if isinstance(rule, ItemAtLeast):
            item = inst.item(rule.item)  # raises KeyError for an unknown item
            assert item.min_value < rule.value <= item.max_value, rule
        else:
            assert isinstance(rule, ClusterRule)
            for sub_id, need in rule.minimum:
                assert sub_id in subs, sub_id
                assert 1 <= need <= len(subs[sub_id].items), (sub_id, need)
            for sub_id in {s for s, _ in rule.minimum}:
                for item_id in subs[sub_id].items:
                    item = inst.item(item_id)
                    assert item.min_value < rule.endorsed_at <= item.max_value
    flags = [r.flag for r in inst.flag_rules]
    assert len(flags) == len(set(flags))


@each
def test_never_missing_items_exist_and_are_scored(inst):
    scored = {i.id for i in inst.scored_items}
    assert set(inst.missing.never_missing) <= scored
    assert 0 <= inst.missing.max_prorated < len(inst.scored_items)


@each
def test_safety_rules_are_items_that_may_never_be_missing(inst):
    for rule in inst.flag_rules:
        if isinstance(rule, ItemAtLeast) and rule.safety:
            assert rule.item in inst.missing.never_missing


# -- recall, sources, validation status -----------------------------------------------------


@each
def test_recall_period_is_an_iso8601_duration(inst):
    assert ISO_DURATION.match(inst.recall_period), inst.recall_period


@each
def test_momentary_instruments_ask_about_right_now(inst):
    assert (inst.recall_period == "PT0S") is inst.momentary


@each
def test_sources_are_present_and_are_reference_tags(inst):
    assert inst.sources
    for source in inst.sources:
        assert SOURCE_TAG.fullmatch(source) or source == "DESIGN NOTE", source
    if inst.validated:
        assert all(SOURCE_TAG.fullmatch(s) for s in inst.sources)
    assert inst.licence.strip()


@each
def test_cited_source_tags_exist_in_the_clinical_reference(inst):
    if not CLINICAL_REFERENCE.exists():
        pytest.skip("../shared/clinical-reference.md is not beside this checkout")
    text = CLINICAL_REFERENCE.read_text(encoding="utf-8")
    references = text[text.index("## References"):]
    cited = set(inst.sources)
    cited |= {c.source for c in inst.cutoffs} | {r.source for r in inst.flag_rules}
    tags = {t for s in cited for t in SOURCE_TAG.findall(s)}
    missing = sorted(t for t in tags if f"- {t} " not in references)
    assert not missing, f"{inst.id} cites tags absent from the reference list: {missing}"


@UNVALIDATED
def test_unvalidated_instruments_claim_no_bands_cutoffs_or_outcomes(inst):
    assert inst.bands == ()
    assert inst.cutoffs == ()
    o = inst.outcomes
    assert (o.reliable_change, o.mcid, o.response_reduction, o.partial_response_reduction,
            o.remission_below) == (None, None, None, None, None)
    assert inst.note.strip()


# -- LOINC codes ----------------------------------------------------------------------------

PHQ9_LOINC = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"]
GAD7_LOINC = ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]


def test_phq9_item_loinc_codes_follow_the_us_core_order():
    phq9 = get("phq9")
    assert [i.loinc for i in phq9.scored_items] == PHQ9_LOINC
    assert phq9.item("phq9_10").loinc == "69722-7"
    assert (phq9.panel_loinc, phq9.total_loinc) == ("44249-1", "44261-6")


def test_gad7_item_loinc_codes_match_the_reference():
    gad7 = get("gad7")
    assert [i.loinc for i in gad7.items] == GAD7_LOINC
    assert (gad7.panel_loinc, gad7.total_loinc) == ("69737-5", "70274-6")


def test_gad7_does_not_use_the_wrong_69726_series():
    # reference 1.3: 69726-8..69731-8 are wrong GAD-7 codes seen in public samples [S6][S14]
    wrong = {f"6972{n}" for n in range(6, 10)} | {f"6973{n}" for n in range(0, 2)}
    assert not any(i.loinc.split("-")[0] in wrong for i in get("gad7").items)


@pytest.mark.parametrize("instrument", ["phq9", "gad7"])
def test_frequency_answers_carry_the_ll358_3_codes(instrument):
    expected = [(0, "Not at all", "LA6568-5"), (1, "Several days", "LA6569-3"),
                (2, "More than half the days", "LA6570-1"), (3, "Nearly every day", "LA6571-9")]
    for item in get(instrument).scored_items:
        assert [(o.value, o.label, o.loinc) for o in item.options] == expected, item.id


def test_phq9_item10_answer_codes_keep_the_non_sequential_very_and_extremely():
    options = {o.loinc: (o.value, o.label) for o in get("phq9").item("phq9_10").options}
    assert options == {
        "LA6572-7": (0, "Not difficult at all"),
        "LA6573-5": (1, "Somewhat difficult"),
        "LA6575-0": (2, "Very difficult"),
        "LA6574-3": (3, "Extremely difficult"),
    }


def test_phq9_item10_is_recorded_but_unscored_and_optional():
    item10 = get("phq9").item("phq9_10")
    assert (item10.scored, item10.required) == (False, False)


def test_phq9_band_interpretation_codes_match_ll382_3():
    assert [(b.low, b.high, b.loinc) for b in get("phq9").bands] == [
        (0, 4, "LA6708-7"), (5, 9, "LA6709-5"), (10, 14, "LA6710-3"), (15, 19, "LA6711-1"), (20, 27, "LA6712-9"),
    ]


@each
def test_every_term_loinc_code_has_a_valid_check_digit(inst):
    codes = [c for c in (inst.panel_loinc, inst.total_loinc, *(i.loinc for i in inst.items)) if c]
    for code in codes:
        assert re.fullmatch(r"\d{1,7}-\d", code), code
        assert loinc_check_digit_ok(code), code


def test_check_digit_helper_rejects_a_typo():
    assert loinc_check_digit_ok("44250-9")
    assert not loinc_check_digit_ok("44250-8")
    assert not loinc_check_digit_ok("44205-9")
