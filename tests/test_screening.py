"""Intake screening: the questions carry sources, and answers become review flags, never decisions."""

from __future__ import annotations

import pytest

from progress import screening
from progress.errors import ValidationError

ALL = (*screening.INDICATIONS, *screening.PRIOR_TREATMENTS, *screening.CONTRAINDICATIONS,
       *screening.MEDICINES, *screening.MISUSE_QUESTIONS)


@pytest.mark.parametrize("q", ALL, ids=[q.id for q in ALL])
def test_every_question_names_its_source(q):
    assert "[S" in q.source or "§3.3" in q.source or q.source == screening.SOURCE_DOCS
    if q.source == screening.SOURCE_DOCS:
        assert not q.confirmed  # only the reference confirms


@pytest.mark.parametrize(
    ("item", "source"),
    [("aneurysmal_vascular_disease", "[S30g]"), ("arteriovenous_malformation", "[S30g]"),
     ("intracerebral_haemorrhage", "[S30g]"), ("pregnancy_breastfeeding", "[S30]")],
    ids=["aneurysm", "avm", "haemorrhage", "pregnancy"],
)
def test_esketamine_label_contraindications_are_confirmed_from_the_label(item, source):
    q = screening.question(item)
    assert q.confirmed and source in q.source


@pytest.mark.parametrize("item", ["hyperthyroidism", "kidney_disease", "ketamine_negative_response"])
def test_unconfirmed_items_say_so_in_their_flag(item):
    flags = screening.review_flags({"contraindications": [item]})
    assert len(flags) == 1 and "not confirmed" in flags[0].text


@pytest.mark.parametrize(
    ("dose", "flagged"),
    [(8.0, False), (8.5, True), (2.0, False), (20.0, True)],
    ids=["at-8mg", "above-8mg", "low", "high"],
)
def test_benzodiazepine_dose_above_8mg_diazepam_equivalent_is_flagged_S41(dose, flagged):
    assert screening.BENZODIAZEPINE_REVIEW_MG == 8.0  # [S41]
    flags = screening.review_flags({"medicines": ["benzodiazepine"], "benzodiazepine_mg": dose})
    ids = [f.item for f in flags]
    assert "benzodiazepine" in ids
    assert ("benzodiazepine_dose" in ids) is flagged


def test_a_benzodiazepine_needs_its_dose():
    with pytest.raises(ValidationError, match="diazepam equivalents"):
        screening.validate({"medicines": ["benzodiazepine"]})


@pytest.mark.parametrize(
    "record",
    [{"contraindications": ["flu"]}, {"medicines": ["aspirin"]}, {"antidepressant_trials": -1},
     {"antidepressant_trials": 2.5}, {"benzodiazepine_mg": 5}],
    ids=["unknown-contra", "unknown-medicine", "negative-trials", "fractional-trials", "dose-without-bzd"],
)
def test_broken_records_are_refused_with_the_value_named(record):
    with pytest.raises(ValidationError):
        screening.validate(record)


def test_clean_record_has_no_flags_and_lists_come_back_in_form_order():
    clean = screening.validate({"indications": ["PTSD", "depression", "PTSD"], "antidepressant_trials": 3})
    assert clean["indications"] == ["depression", "PTSD"]
    assert screening.review_flags(clean) == []


def test_misuse_answers_are_flagged_and_labelled_as_not_validated():
    flags = screening.review_flags({"misuse": ["past_sud", "current_use"]})
    assert [f.item for f in flags] == ["current_use", "past_sud"]
    assert "not a validated" in screening.MISUSE_LABEL


def test_esketamine_only_items_are_still_flagged_for_racemic_ketamine():
    flags = screening.review_flags({"contraindications": ["arteriovenous_malformation"], "esketamine": False})
    assert "esketamine label" in flags[0].text
