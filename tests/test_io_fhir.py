"""FHIR export (progress/fhir_build.py through io_fhir.export_bundle) and import (import_fhir).

Every exported resource is validated with the R4 models of ``fhir.resources`` (the R4B
package; its default models are R5). Expected totals for the shared examples come from their
SOURCE.md (US Core 12, MII 27), not from the code under test.
"""

from __future__ import annotations

import copy
import json
from collections import Counter

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from progress import demo, fhir_build, instruments, io_fhir, scoring, store
from progress.errors import ImportRejected, NotFound

LOINC = "http://loinc.org"
AT = "2026-12-03T10:00:00Z"


@pytest.fixture(scope="module")
def clinic():
    database = store.open_db(memory=True)
    demo.build_demo(database, patients=3, seed=11, anchor=demo.DEFAULT_ANCHOR)
    yield database
    database.close()


@pytest.fixture(scope="module")
def exported(clinic):
    return io_fhir.export_bundle(clinic, timestamp=AT)


def resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def by_url(bundle):
    return {e["fullUrl"]: e["resource"] for e in bundle["entry"]}


def signature(database):
    """What a round trip must keep, per assessment."""
    return [
        (r["patient_id"], r["instrument"], r["administered_at"], r["context"], r["total"],
         r["answers"], r["total_only"], r["flags"])
        for r in store.exchange_assessments(database)
    ]


# -- validation ---------------------------------------------------------------------------


def test_every_exported_resource_validates_as_fhir_r4(exported):
    Bundle.model_validate(exported)
    kinds = Counter()
    for entry in exported["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        kinds[resource["resourceType"]] += 1
    assert set(kinds) == {"Questionnaire", "Patient", "QuestionnaireResponse", "Observation"}
    assert kinds["Patient"] == 3


def test_the_export_is_reproducible_byte_for_byte(clinic, exported):
    again = io_fhir.export_bundle(clinic, timestamp=AT)
    assert json.dumps(again) == json.dumps(exported)


def test_every_reference_resolves_inside_the_bundle(exported):
    urls = set(by_url(exported))
    refs = []
    for resource in (e["resource"] for e in exported["entry"]):
        refs += [resource.get("subject", {}).get("reference")]
        refs += [r["reference"] for r in resource.get("derivedFrom", [])]
        refs += [r["reference"] for r in resource.get("hasMember", [])]
    refs = [r for r in refs if r]
    assert refs and set(refs) <= urls


# -- Questionnaire ------------------------------------------------------------------------


@pytest.mark.parametrize("instrument_id", ["phq9", "gad7"])
def test_questionnaire_codes_come_from_the_declaration(instrument_id):
    inst = instruments.get(instrument_id)
    q = fhir_build.questionnaire(inst)
    assert q["code"][0] == {"system": LOINC, "code": inst.panel_loinc, "display": inst.name}
    items = {i["linkId"]: i for i in q["item"]}
    for item in inst.items:
        entry = items[f"/{item.loinc}"]
        assert entry["code"][0]["code"] == item.loinc
        options = [(o["valueCoding"]["code"], o["extension"][0]["valueDecimal"]) for o in entry["answerOption"]]
        assert options == [(o.loinc, o.value) for o in item.options]
    total = items[f"/{inst.total_loinc}"]
    assert total["readOnly"] is True and total["type"] == "decimal"


def test_phq9_item_10_keeps_the_non_sequential_loinc_answer_codes():
    q = fhir_build.questionnaire(instruments.get("phq9"))
    item10 = next(i for i in q["item"] if i["linkId"] == "/69722-7")
    by_score = {o["extension"][0]["valueDecimal"]: o["valueCoding"]["code"] for o in item10["answerOption"]}
    assert by_score == {0: "LA6572-7", 1: "LA6573-5", 2: "LA6575-0", 3: "LA6574-3"}


def test_an_instrument_without_loinc_items_uses_local_codes_and_ordinals():
    q = fhir_build.questionnaire(instruments.get("pcl5"))
    first = q["item"][0]
    assert first["linkId"] == "pcl5_1" and "code" not in first
    assert first["answerOption"][4]["extension"][0]["valueDecimal"] == 4
    assert q["code"][0]["code"] == "101697-1"


def test_a_total_sharing_its_code_with_the_only_item_gets_its_own_link_id():
    inst = instruments.get("pain_nrs")
    assert fhir_build.item_link_id(inst.items[0]) == "/72514-3"
    assert fhir_build.total_link_id(inst) == "pain_nrs_total"


# -- Observations and Patient -------------------------------------------------------------


def _record(values, **extra):
    sc = scoring.score("phq9", values)
    return {"id": 7, "patient_id": "KC-9", "instrument": "phq9", "administered_at": AT,
            "context": "weekly", "total": sc.total, "answers": sc.answers, "total_only": False,
            **extra}


def test_observations_have_the_us_core_screening_assessment_shape():
    obs = dict(fhir_build.observations(_record([2, 2, 2, 2, 1, 1, 2, 0, 0, 1])))
    assert len(obs) == 10 + 1 + 1  # ten items, the total, the panel
    panel = list(obs.values())[-1]
    total = list(obs.values())[-2]
    assert panel["code"]["coding"][0]["code"] == "44249-1"
    assert [m["reference"] for m in panel["hasMember"]] == list(obs)[:-1]
    assert total["code"]["coding"][0]["code"] == "44261-6"
    assert total["valueQuantity"] == {"value": 12, "unit": "{score}",
                                      "system": "http://unitsofmeasure.org", "code": "{score}"}
    item1 = list(obs.values())[0]
    assert item1["valueCodeableConcept"]["coding"][0]["code"] == "LA6570-1"
    for o in obs.values():
        assert o["category"][0]["coding"][0]["code"] == "survey"
        assert o["derivedFrom"] == [{"reference": fhir_build.full_url("assessment", 7)}]


def test_a_total_only_assessment_exports_the_total_without_a_panel():
    record = _record([0] * 9, total=14, answers={}, total_only=True)
    obs = fhir_build.observations(record)
    assert len(obs) == 1 and obs[0][1]["valueQuantity"]["value"] == 14
    qr = fhir_build.questionnaire_response(record)
    assert [i["linkId"] for i in qr["item"]] == ["/44261-6"]


def test_patients_are_pseudonymous(exported):
    for p in resources(exported, "Patient"):
        assert set(p) == {"resourceType", "id", "meta", "identifier", "active"}
        assert p["meta"]["security"][0]["code"] == "PSEUDED"
        assert p["identifier"][0]["value"].startswith("KC-")


def test_export_for_one_patient_holds_only_that_patient(clinic):
    bundle = io_fhir.export_bundle(clinic, ["KC-0002"])
    patients = resources(bundle, "Patient")
    assert [p["identifier"][0]["value"] for p in patients] == ["KC-0002"]
    subjects = {r["subject"]["reference"] for r in resources(bundle, "QuestionnaireResponse")}
    assert subjects == {fhir_build.full_url("patient", "KC-0002")}


def test_export_of_an_unknown_patient_is_refused(clinic):
    with pytest.raises(NotFound, match="KC-7777"):
        io_fhir.export_bundle(clinic, ["KC-7777"])


# -- import -------------------------------------------------------------------------------


def test_round_trip_of_our_own_export_keeps_every_assessment(clinic, exported, db):
    report = io_fhir.import_fhir(db, exported)
    assert report.rows == len(resources(exported, "QuestionnaireResponse"))
    assert signature(db) == signature(clinic)


def test_import_raises_the_same_safety_alerts(clinic, exported, db):
    io_fhir.import_fhir(db, exported)
    want = store.list_alerts(clinic)
    got = store.list_alerts(db)
    assert len(got) == int((want["kind"] == "safety").sum()) > 0


@pytest.mark.parametrize(
    ("folder", "name", "expected"),
    [("us-core-phq9-examples", "QuestionnaireResponse-phq-9-example.json", 12),
     ("mii-phq9-examples", "QuestionnaireResponse-mii-exa-pro-phq-9-response.json", 27)],
    ids=["us-core-12", "mii-27"],
)
def test_shared_examples_import_with_their_totals(reference_dir, db, folder, name, expected):
    path = reference_dir / folder / name
    report = io_fhir.import_fhir(db, path, patient_id="EX-1", context="weekly")
    assert report.rows == 1
    series = store.load_series(db, "EX-1", "phq9")
    assert series["total"].tolist() == [expected]
    assert store.instrument_summaries(db, "EX-1")["latest_total"].tolist() == [expected]


def test_a_foreign_subject_reference_names_the_patient(reference_dir, db):
    path = reference_dir / "us-core-phq9-examples" / "QuestionnaireResponse-phq-9-example.json"
    io_fhir.import_fhir(db, path)
    assert store.patient_exists(db, "example")


def test_a_bundle_with_one_bad_response_imports_nothing(exported, db):
    broken = copy.deepcopy(exported)
    qrs = resources(broken, "QuestionnaireResponse")
    qrs[1]["item"][-1]["answer"] = [{"valueDecimal": 99}]  # stated total disagrees
    del qrs[2]["authored"]
    with pytest.raises(ImportRejected) as caught:
        io_fhir.import_fhir(db, broken)
    assert len(caught.value.problems) == 2
    assert "disagrees" in caught.value.problems[0] and "authored" in caught.value.problems[1]
    assert db["assessments"].count == 0 and db["patients"].count == 0


def test_a_response_given_twice_is_rejected(exported, db):
    qr = resources(exported, "QuestionnaireResponse")[0]
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": qr}, {"resource": qr}]}
    with pytest.raises(ImportRejected, match="duplicates entry 1"):
        io_fhir.import_fhir(db, bundle, patient_id="X-1")


@pytest.mark.parametrize(
    ("source", "message"),
    [('{"resourceType": "Patient"}', "got 'Patient'"),
     ("{not json", "not valid JSON"),
     ('{"resourceType": "Bundle", "entry": []}', "no QuestionnaireResponse")],
    ids=["wrong-resource", "bad-json", "empty-bundle"],
)
def test_files_that_are_not_responses_are_rejected(db, source, message):
    with pytest.raises(ImportRejected, match=message):
        io_fhir.import_fhir(db, source)


def test_an_in_progress_response_is_not_imported(exported, db):
    qr = copy.deepcopy(resources(exported, "QuestionnaireResponse")[0])
    qr["status"] = "in-progress"
    with pytest.raises(ImportRejected, match="in-progress"):
        io_fhir.import_fhir(db, qr, patient_id="X-1")


def test_total_only_and_every_instrument_validate_and_round_trip(db):
    store.add_patient(db, "P-1", created_at=AT)
    forms = [
        scoring.score_total_only("phq9", 14),
        scoring.score("pcl5", [1] * 20),
        scoring.score("peg", [4, 5, 6]),
        scoring.score("pain_nrs", [3]),
        scoring.score("gad7", [0, 1, 2, 3, 0, 1, 2]),
    ]
    for n, sc in enumerate(forms):
        store.save_assessment(db, "P-1", sc, administered_at=f"2026-03-0{n + 1}T09:00:00Z",
                              context="weekly", total_only=sc.instrument == "phq9")
    bundle = io_fhir.export_bundle(db)
    for entry in bundle["entry"]:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    fresh = store.open_db(memory=True)
    io_fhir.import_fhir(fresh, bundle)
    assert signature(fresh) == signature(db)
    assert [r["total_only"] for r in store.exchange_assessments(fresh)] == [True, False, False, False, False]


@pytest.mark.parametrize(
    ("instrument_id", "expected"),
    [("phq9", "%resource.item.where(linkId in ('/44250-9' | '/44255-8' | '/44259-0' | '/44254-1' | "
              "'/44251-7' | '/44258-2' | '/44252-5' | '/44253-3' | '/44260-8')).answer.value.ordinal().sum()"),
     ("peg", "(%resource.item.where(linkId in ('peg_1' | 'peg_2' | 'peg_3')).answer.value.ordinal().sum() / "
             "%resource.item.where(linkId in ('peg_1' | 'peg_2' | 'peg_3')).answer.value.ordinal().count()).round(2)")],
    ids=["phq9-sum-without-item-10", "peg-mean"],
)
def test_the_total_item_carries_its_calculation(instrument_id, expected):
    q = fhir_build.questionnaire(instruments.get(instrument_id))
    total = q["item"][-1]
    assert total["extension"][0]["valueExpression"] == {"language": "text/fhirpath", "expression": expected}
