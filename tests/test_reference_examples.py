"""The shared worked examples (../shared/reference-data) scored end to end, and the FHIR
QuestionnaireResponse reader (progress/io_fhir.py) on those files and on variants of them.

Expected totals come from each folder's SOURCE.md (US Core: 12, MII: 27) and from the files
themselves, never from the code under test.
"""

from __future__ import annotations

import copy
import csv
import json
import re

import pytest

from progress import get
from progress.errors import ValidationError
from progress.io_fhir import answers_from_questionnaire_response, check_total
from progress.scoring import score

LOINC = "http://loinc.org"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
# clinical-reference.md 1.1 / 1.3, written out here so the reader is checked against the
# reference rather than against its own declarations
PHQ9_LOINC = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"]
GAD7_LOINC = ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]
FREQUENCY = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}
US_CORE_VALUES = [2, 2, 2, 2, 1, 1, 2, 0, 0]  # SOURCE.md: LA6570-1 x4, LA6569-3 x2, LA6570-1, LA6568-5 x2


def load(folder, name):
    return json.loads((folder / name).read_text(encoding="utf-8"))


@pytest.fixture
def us_core(reference_dir):
    return reference_dir / "us-core-phq9-examples"


@pytest.fixture
def mii(reference_dir):
    return reference_dir / "mii-phq9-examples"


@pytest.fixture
def us_core_qr(us_core):
    return load(us_core, "QuestionnaireResponse-phq-9-example.json")


@pytest.fixture
def mii_qr(mii):
    return load(mii, "QuestionnaireResponse-mii-exa-pro-phq-9-response.json")


SOURCE_TOTAL = {
    "us-core-phq9-examples": r"the sum is \*\*(\d+)\*\*",  # "so the sum is **12**"
    "mii-phq9-examples": r"`valueQuantity\.value = (\d+)`",  # "`valueQuantity.value = 27`"
}


def source_total(folder) -> int:
    """The total stated in the worked example of the folder's SOURCE.md."""
    text = (folder / "SOURCE.md").read_text(encoding="utf-8")
    found = re.search(SOURCE_TOTAL[folder.name], text)
    assert found, f"{folder.name}/SOURCE.md no longer states its total"
    return int(found.group(1))


def item(resource, link_id):
    return next(i for i in resource["item"] if i["linkId"] == link_id)


def coded(code, system=LOINC, **extra):
    coding = {"code": code, **extra}
    if system:
        coding["system"] = system
    return {"valueCoding": coding}


def qr(items, questionnaire=None):
    resource = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": items}
    if questionnaire:
        resource["questionnaire"] = questionnaire
    return resource


# -- US Core worked example -----------------------------------------------------------------


def test_us_core_source_states_a_total_of_12(us_core):
    assert source_total(us_core) == 12


def test_us_core_response_scores_to_12(us_core, us_core_qr):
    instrument, answers, given = answers_from_questionnaire_response(us_core_qr)
    assert instrument == "phq9"
    assert [answers[f"phq9_{k}"] for k in range(1, 10)] == US_CORE_VALUES
    assert given == 12.0
    result = check_total(instrument, answers, given)
    assert result.total == source_total(us_core) == 12
    assert (result.band, result.flags) == ("moderate", ())


def test_us_core_item10_is_recorded_but_not_scored(us_core_qr):
    _, answers, given = answers_from_questionnaire_response(us_core_qr)
    assert answers["phq9_10"] == 1  # LA6573-5 "Somewhat difficult"
    extreme = copy.deepcopy(us_core_qr)
    item(extreme, "/69722-7")["answer"] = [coded("LA6574-3")]  # "Extremely difficult"
    _, answers, _ = answers_from_questionnaire_response(extreme)
    assert answers["phq9_10"] == 3
    assert check_total("phq9", answers, given).total == 12


def test_us_core_total_observation_stores_12_as_a_string_that_agrees(us_core, us_core_qr):
    obs = load(us_core, "Observation-PHQ9-item-example-44261-6.json")
    assert obs["code"]["coding"][0]["code"] == get("phq9").total_loinc
    assert obs["valueString"] == "12"  # the quirk SOURCE.md warns about
    assert obs["derivedFrom"] == [{"reference": "QuestionnaireResponse/phq-9-example"}]
    _, answers, _ = answers_from_questionnaire_response(us_core_qr)
    assert check_total("phq9", answers, float(obs["valueString"])).total == 12
    # and the reader takes the same string form when it sits in the response
    as_string = copy.deepcopy(us_core_qr)
    item(as_string, "/44261-6")["answer"] = [{"valueString": obs["valueString"]}]
    assert answers_from_questionnaire_response(as_string)[2] == 12.0


def test_us_core_item_observations_agree_with_the_response(us_core, us_core_qr):
    _, answers, _ = answers_from_questionnaire_response(us_core_qr)
    phq9 = get("phq9")
    for it in phq9.items:
        obs = load(us_core, f"Observation-PHQ9-item-example-{it.loinc}.json")
        assert obs["code"]["coding"][0]["code"] == it.loinc
        code = obs["valueCodeableConcept"]["coding"][0]["code"]
        assert {o.loinc: o.value for o in it.options}[code] == answers[it.id], it.id


def test_us_core_panel_lists_members_in_the_declared_item_order(us_core):
    panel = load(us_core, "Observation-PHQ9-panel-example-44249-1.json")
    members = [re.search(r"(\d+-\d)$", m["reference"]).group(1) for m in panel["hasMember"]]
    assert members == [*PHQ9_LOINC, "44261-6", "69722-7"]
    assert panel["code"]["coding"][0]["code"] == get("phq9").panel_loinc


def test_us_core_questionnaire_ordinal_values_match_the_declared_answers(us_core):
    questionnaire = load(us_core, "Questionnaire-phq-9-example.json")
    phq9 = get("phq9")
    by_link = {i["linkId"]: i for i in questionnaire["item"]}
    assert list(by_link) == [f"/{c}" for c in PHQ9_LOINC] + ["/44261-6", "/69722-7"]
    for it in phq9.scored_items:
        options = by_link[f"/{it.loinc}"]["answerOption"]
        ordinal = {
            o["valueCoding"]["code"]: next(e["valueDecimal"] for e in o["extension"] if e["url"] == ORDINAL)
            for o in options
        }
        assert ordinal == {o.loinc: o.value for o in it.options}, it.id
    # item 10 has no ordinals there; its options are listed in score order
    item10 = [o["valueCoding"]["code"] for o in by_link["/69722-7"]["answerOption"]]
    assert item10 == [o.loinc for o in phq9.item("phq9_10").options]


# -- MII worked example ---------------------------------------------------------------------


def test_mii_source_states_the_maximum_total_of_27(mii):
    assert source_total(mii) == 27


def test_mii_response_scores_to_27_with_the_safety_flag(mii, mii_qr):
    instrument, answers, given = answers_from_questionnaire_response(mii_qr)
    assert instrument == "phq9"
    assert answers == {**{f"phq9_{k}": 3 for k in range(1, 10)}, "phq9_10": 3}  # LA6571-9 x9, LA6574-3
    assert given == 27.0  # valueQuantity
    result = check_total(instrument, answers, given)
    assert result.total == source_total(mii) == 27
    assert result.band == "severe"
    assert result.flags == ("item9_positive",)


def test_mii_score_observation_agrees(mii, mii_qr):
    obs = load(mii, "Observation-mii-exa-pro-phq-9-observation.json")
    _, answers, _ = answers_from_questionnaire_response(mii_qr)
    assert check_total("phq9", answers, obs["valueQuantity"]["value"]).total == 27


def test_mii_questionnaire_linkids_are_read_too(mii, mii_qr):
    # The MII Questionnaire names its items PHQ-9.1 .. PHQ-9.10 and PHQ-9.Score, while the
    # example response uses PHQ.1 .. PHQ.Score; both must map to the same items.
    questionnaire = load(mii, "Questionnaire-mii-qst-pro-phq-9.json")
    codes = {i["linkId"]: i["code"][0]["code"] for i in questionnaire["item"] if "code" in i}
    assert [codes[f"PHQ-9.{k}"] for k in range(1, 10)] == PHQ9_LOINC
    assert (codes["PHQ-9.Score"], codes["PHQ-9.10"]) == ("44261-6", "69722-7")
    renamed = copy.deepcopy(mii_qr)
    for it in renamed["item"]:
        it["linkId"] = it["linkId"].replace("PHQ.", "PHQ-9.")
    renamed["questionnaire"] = questionnaire["url"]
    assert answers_from_questionnaire_response(renamed) == answers_from_questionnaire_response(mii_qr)


def test_mii_style_without_a_questionnaire_url_is_detected_by_prefix(mii_qr):
    anonymous = copy.deepcopy(mii_qr)
    del anonymous["questionnaire"]
    assert answers_from_questionnaire_response(anonymous)[0] == "phq9"


# -- reader: totals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [{"valueDecimal": 12}, {"valueDecimal": 12.0}, {"valueInteger": 12},
     {"valueQuantity": {"value": 12, "system": "http://unitsofmeasure.org", "code": "{score}"}},
     {"valueString": "12"}, {"valueString": " 12 "}, {"valueString": "12.0"}],
    ids=["decimal", "decimal-float", "integer", "quantity", "string", "string-padded", "string-decimal"],
)
def test_total_is_read_from_every_numeric_form(us_core_qr, answer):
    item(us_core_qr, "/44261-6")["answer"] = [answer]
    _, answers, given = answers_from_questionnaire_response(us_core_qr)
    assert given == 12.0
    assert check_total("phq9", answers, given).total == 12


@pytest.mark.parametrize(
    "answer",
    [{"valueString": "twelve"}, {"valueString": ""}, {"valueString": "nan"}, {"valueBoolean": True},
     {"valueDecimal": True}, {"valueQuantity": {"unit": "{score}"}}, {"valueCoding": {"code": "12"}}],
    ids=["word", "empty", "nan", "boolean", "decimal-bool", "quantity-no-value", "coding"],
)
def test_a_total_that_is_not_a_number_is_rejected_naming_its_linkid(us_core_qr, answer):
    item(us_core_qr, "/44261-6")["answer"] = [answer]
    with pytest.raises(ValidationError, match="/44261-6"):
        answers_from_questionnaire_response(us_core_qr)


@pytest.mark.parametrize("stated", [13, 11, 12.5, 0], ids=["13", "11", "12.5", "0"])
def test_a_stated_total_that_disagrees_with_the_items_is_rejected(us_core_qr, stated):
    item(us_core_qr, "/44261-6")["answer"] = [{"valueDecimal": stated}]
    instrument, answers, given = answers_from_questionnaire_response(us_core_qr)
    with pytest.raises(ValidationError, match=r"disagrees.*sum to 12"):
        check_total(instrument, answers, given)


def test_a_response_without_a_total_is_scored_from_its_items(us_core_qr):
    us_core_qr["item"] = [i for i in us_core_qr["item"] if i["linkId"] != "/44261-6"]
    instrument, answers, given = answers_from_questionnaire_response(us_core_qr)
    assert given is None
    assert check_total(instrument, answers, given).total == 12


@pytest.mark.parametrize("stated", [True, "12", float("nan")], ids=["bool", "str", "nan"])
def test_check_total_rejects_a_stated_total_that_is_not_a_number(stated):
    with pytest.raises(ValidationError, match="not a number"):
        check_total("phq9", dict(zip([f"phq9_{k}" for k in range(1, 10)], US_CORE_VALUES, strict=True)), stated)


# -- reader: answers ------------------------------------------------------------------------


def test_ordinal_value_maps_an_answer_from_another_code_system(us_core_qr):
    item(us_core_qr, "/44250-9")["answer"] = [
        coded("often", system="http://example.org/cs", extension=[{"url": ORDINAL, "valueDecimal": 2}])
    ]
    _, answers, _ = answers_from_questionnaire_response(us_core_qr)
    assert answers["phq9_1"] == 2


def test_ordinal_value_on_the_answer_itself_is_read(us_core_qr):
    answer = coded("n", system="http://example.org/cs")
    answer["extension"] = [{"url": ORDINAL, "valueInteger": 3}]
    item(us_core_qr, "/44253-3")["answer"] = [answer]
    _, answers, given = answers_from_questionnaire_response(us_core_qr)
    assert answers["phq9_8"] == 3
    assert check_total("phq9", answers, None).total == 15  # 12 with item 8 raised from 0 to 3
    with pytest.raises(ValidationError, match="disagrees"):
        check_total("phq9", answers, given)


def test_loinc_code_with_a_matching_ordinal_is_accepted(us_core_qr):
    item(us_core_qr, "/44250-9")["answer"] = [coded("LA6570-1", extension=[{"url": ORDINAL, "valueDecimal": 2}])]
    assert answers_from_questionnaire_response(us_core_qr)[1]["phq9_1"] == 2


@pytest.mark.parametrize(
    ("link_id", "answer"),
    [
        ("/44250-9", coded("LA6570-1", extension=[{"url": ORDINAL, "valueDecimal": 3}])),  # disagree
        ("/44250-9", coded("x", system="http://example.org/cs", extension=[{"url": ORDINAL, "valueDecimal": 2.5}])),
        ("/44250-9", coded("x", system="http://example.org/cs", extension=[{"url": ORDINAL, "valueDecimal": 4}])),
        ("/44250-9", coded("LA9999-9")),  # not a LL358-3 code
        ("/44250-9", coded("LA6575-0")),  # an item-10 code on a frequency item
        ("/44260-8", coded("LA6574-3")),  # ... on the safety item
        ("/44250-9", coded("x", system="http://example.org/cs")),  # no ordinal
        ("/44255-8", {"valueInteger": 2}),
        ("/44255-8", {"valueString": "2"}),
        ("/44255-8", {"valueCoding": "LA6570-1"}),
        ("/69722-7", coded("LA6570-1")),  # a frequency code on the difficulty item
    ],
    ids=["ordinal-disagrees", "ordinal-fraction", "ordinal-out-of-range", "unknown-code",
         "item10-code-on-item1", "item10-code-on-item9", "foreign-code-no-ordinal", "integer",
         "string", "coding-not-object", "frequency-code-on-item10"],
)
def test_an_unmappable_answer_is_rejected_naming_its_linkid(us_core_qr, link_id, answer):
    item(us_core_qr, link_id)["answer"] = [answer]
    with pytest.raises(ValidationError, match=re.escape(repr(link_id))):
        answers_from_questionnaire_response(us_core_qr)


def test_an_item_with_two_answers_is_rejected(us_core_qr):
    item(us_core_qr, "/44250-9")["answer"].append(coded("LA6568-5"))
    with pytest.raises(ValidationError, match=r"'/44250-9' has 2 answers"):
        answers_from_questionnaire_response(us_core_qr)


def test_an_item_given_twice_is_rejected(us_core_qr):
    us_core_qr["item"].append(copy.deepcopy(item(us_core_qr, "/44259-0")))
    with pytest.raises(ValidationError, match=r"/44259-0.*phq9_3.*more than once"):
        answers_from_questionnaire_response(us_core_qr)


@pytest.mark.parametrize("link_id", ["/12345-6", "/44262-4", "PHQ.11", "PHQ.foo", "PHQ-9", "GAD-7", ""],
                         ids=["unknown-loinc", "deprecated-interpretation", "item-11", "word",
                              "phq9-panel-name", "gad7-panel-name", "empty"])
def test_an_unknown_linkid_is_rejected_by_name(us_core_qr, link_id):
    us_core_qr["item"].append({"linkId": link_id, "answer": [coded("LA6568-5")]})
    with pytest.raises(ValidationError, match=re.escape(repr(link_id))):
        answers_from_questionnaire_response(us_core_qr)


def test_unanswered_items_are_left_out_and_scoring_then_refuses_the_form(us_core_qr):
    item(us_core_qr, "/44255-8").pop("answer")
    item(us_core_qr, "/44259-0")["answer"] = []
    _, answers, given = answers_from_questionnaire_response(us_core_qr)
    assert "phq9_2" not in answers and "phq9_3" not in answers
    with pytest.raises(ValidationError, match=r"incomplete.*phq9_2, phq9_3"):
        check_total("phq9", answers, given)


def test_an_unanswered_safety_item_is_refused_by_name(us_core_qr):
    us_core_qr["item"] = [i for i in us_core_qr["item"] if i["linkId"] != "/44260-8"]
    _, answers, given = answers_from_questionnaire_response(us_core_qr)
    with pytest.raises(ValidationError, match=r"phq9_9.*safety item"):
        check_total("phq9", answers, given)


def test_items_nested_in_groups_are_found(us_core_qr):
    nested = copy.deepcopy(us_core_qr)
    nested["item"] = [{"linkId": "/44249-1", "text": "PHQ-9", "item": us_core_qr["item"]}]
    assert answers_from_questionnaire_response(nested) == answers_from_questionnaire_response(us_core_qr)


def test_path_style_and_bare_loinc_linkids_are_read(us_core_qr):
    variant = copy.deepcopy(us_core_qr)
    for n, it in enumerate(variant["item"]):
        code = it["linkId"].lstrip("/")
        it["linkId"] = f"/44249-1/{code}" if n % 2 else code
    assert answers_from_questionnaire_response(variant) == answers_from_questionnaire_response(us_core_qr)


# -- reader: instrument detection -----------------------------------------------------------


def test_detected_by_item_codes_without_a_questionnaire_url(us_core_qr):
    del us_core_qr["questionnaire"]
    assert answers_from_questionnaire_response(us_core_qr)[0] == "phq9"


def test_url_naming_another_instrument_is_rejected(us_core_qr):
    us_core_qr["questionnaire"] = "http://example.org/Questionnaire/gad-7"
    with pytest.raises(ValidationError, match=r"gad7.*phq9"):
        answers_from_questionnaire_response(us_core_qr)


def test_a_response_mixing_two_instruments_is_rejected_naming_the_linkids(us_core_qr):
    us_core_qr["item"].append({"linkId": "/69725-0", "answer": [coded("LA6568-5")]})
    with pytest.raises(ValidationError, match=r"mixes.*'/69725-0'"):
        answers_from_questionnaire_response(us_core_qr)


@pytest.mark.parametrize(
    "resource",
    [{"resourceType": "Observation"}, {"item": []}, [], "QuestionnaireResponse"],
    ids=["observation", "no-type", "list", "string"],
)
def test_something_other_than_a_questionnaire_response_is_rejected(resource):
    with pytest.raises(ValidationError, match="QuestionnaireResponse"):
        answers_from_questionnaire_response(resource)


def test_a_response_with_nothing_to_identify_it_is_rejected():
    with pytest.raises(ValidationError, match="Cannot tell which instrument"):
        answers_from_questionnaire_response(qr([], "http://example.org/Questionnaire/mood"))


# -- reader: GAD-7 --------------------------------------------------------------------------

GAD7_VALUES = [3, 2, 2, 1, 0, 1, 2]  # sum 11 -> moderate (10-14) [S11]


@pytest.mark.parametrize(
    ("style", "total_link", "url"),
    [("/{code}", "/70274-6", "http://example.org/fhir/Questionnaire/gad-7"),
     ("GAD-7.{n}", "GAD-7.Score", None),
     ("GAD.{n}", "GAD.Score", None),
     ("{code}", "70274-6", "Questionnaire/mii-qst-pro-gad-7")],
    ids=["us-core-style", "mii-gad-7-prefix", "mii-gad-prefix", "bare-loinc"],
)
def test_gad7_response_is_detected_and_scored(style, total_link, url):
    items = [
        {"linkId": style.format(code=code, n=n), "answer": [coded(FREQUENCY[v])]}
        for n, (code, v) in enumerate(zip(GAD7_LOINC, GAD7_VALUES, strict=True), start=1)
    ]
    items.append({"linkId": total_link, "answer": [{"valueInteger": 11}]})
    instrument, answers, given = answers_from_questionnaire_response(qr(items, url))
    assert instrument == "gad7"
    assert answers == {f"gad7_{n}": v for n, v in enumerate(GAD7_VALUES, start=1)}
    assert given == 11.0
    result = check_total(instrument, answers, given)
    assert (result.total, result.band, result.flags) == (11, "moderate", ())


def test_gad7_with_the_phq9_difficulty_item_is_rejected_naming_it():
    # The GAD-7 difficulty item's LOINC code is UNCONFIRMED (reference 1.3); 69722-7 is the
    # PHQ-9 one, so it is refused rather than guessed.
    items = [{"linkId": f"/{c}", "answer": [coded("LA6568-5")]} for c in GAD7_LOINC]
    items.append({"linkId": "/69722-7", "answer": [coded("LA6573-5")]})
    with pytest.raises(ValidationError, match="'/69722-7'"):
        answers_from_questionnaire_response(qr(items, "http://example.org/Questionnaire/gad-7"))


def test_gad7_item_8_does_not_exist():
    items = [{"linkId": f"GAD-7.{n}", "answer": [coded("LA6568-5")]} for n in range(1, 9)]
    with pytest.raises(ValidationError, match="'GAD-7.8'"):
        answers_from_questionnaire_response(qr(items))


# -- NHANES 2017-2018 DPQ_J codebook --------------------------------------------------------


@pytest.fixture
def nhanes_rows(reference_dir):
    path = reference_dir / "nhanes-dpq-j-frequencies" / "dpq_j_codebook_frequencies.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_nhanes_answer_anchors_match_the_declared_labels(nhanes_rows):
    phq9 = get("phq9")
    checked = 0
    for row in nhanes_rows:
        if row["code"] not in {"0", "1", "2", "3"}:
            continue
        n = int(row["variable"][3:5])  # DPQ010 -> 1 ... DPQ100 -> 10
        item_ = phq9.item(f"phq9_{n}")
        nhanes_label = row["value_description"].rstrip(",")
        if n == 10 and row["code"] == "0":
            # NHANES prints "Not at all difficult"; LOINC LA6572-7 reads "Not difficult at all"
            assert nhanes_label == "Not at all difficult"
            continue
        assert item_.label_for(int(row["code"])) == nhanes_label, row
        checked += 1
    assert checked == 9 * 4 + 3


@pytest.mark.parametrize("code", [7, 9], ids=["refused", "dont-know"])
def test_nhanes_refused_and_dont_know_codes_are_not_scores(nhanes_rows, code):
    # SOURCE.md: codes 7 and 9 share the answer columns; summing them would overcount.
    assert any(r["code"] == str(code) and r["variable"] == "DPQ090" for r in nhanes_rows)
    for position in range(9):
        answers = [0] * 9
        answers[position] = code
        with pytest.raises(ValidationError, match=rf"phq9_{position + 1}: {code} is out of range"):
            score("phq9", answers)
