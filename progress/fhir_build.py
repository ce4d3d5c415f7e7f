"""FHIR R4 resources built from the instrument declarations and stored records (pure).

Shapes follow clinical-reference.md section 4.1:

- ``Questionnaire`` per instrument: the LOINC panel code, item codes, answer options coded
  with their LOINC answer codes and the ``ordinalValue`` extension carrying the score [S5];
  the total is a read-only decimal item with an SDC ``calculatedExpression`` [S5][S5b].
  linkIds are US Core style ``/44250-9`` where the item has a LOINC code [S4], else our
  item id (``pcl5_1``).
- ``QuestionnaireResponse`` per assessment, the total given as ``valueDecimal`` [S4b].
- ``Observation`` in the US Core screening-assessment shape [S4c]: category ``survey``, one
  per answered item (``valueCodeableConcept`` with the LOINC answer, else ``valueInteger``),
  one for the total (``valueQuantity`` with UCUM ``{score}`` [S2][S5c]), and a panel
  Observation whose ``hasMember`` lists them; all ``derivedFrom`` the response.
- ``Patient``: pseudonymous, the clinic's pseudonym as an identifier, no name, no birth
  date, tagged ``PSEUDED`` in ``meta.security``.

Every LOINC code is read from the declarations; where an instrument has none (PEG, the
"right now" ratings, PCL-5 items) a local code system under :data:`CANONICAL_BASE` is used.
References between entries are ``urn:uuid:`` full URLs derived deterministically from our
ids, so the same database exports byte-identical JSON.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from progress import instruments
from progress.model import Instrument, Item

LOINC_SYSTEM = "http://loinc.org"
UCUM_SYSTEM = "http://unitsofmeasure.org"
ORDINAL_URL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
CALCULATED_URL = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
SECURITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
#: Base of this application's canonical URLs and local code systems. A placeholder on the
#: reserved example.org domain: nothing is fetched from it.
CANONICAL_BASE = "https://example.org/ketamine-progress/fhir"
QUESTIONNAIRE_BASE = f"{CANONICAL_BASE}/Questionnaire/"
PSEUDONYM_SYSTEM = f"{CANONICAL_BASE}/pseudonym"
CONTEXT_URL = f"{CANONICAL_BASE}/StructureDefinition/assessment-context"
LOCAL_CODES = f"{CANONICAL_BASE}/CodeSystem/item"

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, CANONICAL_BASE)


@lru_cache(maxsize=65536)
def full_url(kind: str, key: object) -> str:
    """A stable ``urn:uuid:`` for one of our records (same record, same URL). Cached: every
    Observation refers to its patient and response, so each URL is asked for many times."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{kind}/{key}')}"


def item_link_id(item: Item) -> str:
    return f"/{item.loinc}" if item.loinc else item.id


def total_link_id(instrument: Instrument) -> str:
    """``/44261-6``; our own id where the total has no code or shares one with an item
    (the single-item pain NRS is coded 72514-3 both ways)."""
    item_codes = {i.loinc for i in instrument.items}
    if instrument.total_loinc and instrument.total_loinc not in item_codes:
        return f"/{instrument.total_loinc}"
    return f"{instrument.id}_total"


def link_targets(instrument: Instrument) -> dict[str, str | None]:
    """linkId -> item id (None for the total) as our Questionnaire declares them."""
    targets: dict[str, str | None] = {item_link_id(i): i.id for i in instrument.items}
    targets[total_link_id(instrument)] = None
    return targets


def questionnaire_url(instrument: Instrument) -> str:
    return f"{QUESTIONNAIRE_BASE}{instrument.id}"


def _code(code: str | None, local: str, display: str) -> dict[str, Any]:
    if code:
        return {"system": LOINC_SYSTEM, "code": code, "display": display}
    return {"system": LOCAL_CODES, "code": local, "display": display}


def _answer_coding(instrument: Instrument, item: Item, value: int) -> dict[str, Any]:
    option = next(o for o in item.options if o.value == value)
    if option.loinc:
        return {"system": LOINC_SYSTEM, "code": option.loinc, "display": option.label}
    return {
        "system": f"{LOCAL_CODES}/{instrument.id}-answers",
        "code": str(value),
        "display": option.label,
        "extension": [{"url": ORDINAL_URL, "valueDecimal": value}],
    }


def _total_text(instrument: Instrument) -> str:
    return f"{instrument.short_name} {'mean' if instrument.method == 'mean' else 'total'} score"


def total_expression(instrument: Instrument) -> str:
    """FHIRPath for the total (SDC calculatedExpression [S5][S5b]): the scored items' ordinal
    values summed, or their mean; unscored items (PHQ-9 item 10) are left out."""
    links = " | ".join(f"'{item_link_id(i)}'" for i in instrument.scored_items)
    answers = f"%resource.item.where(linkId in ({links})).answer.value.ordinal()"
    if instrument.method == "mean":
        return f"({answers}.sum() / {answers}.count()).round(2)"
    return f"{answers}.sum()"


def questionnaire(instrument: Instrument) -> dict[str, Any]:
    """The instrument as a Questionnaire (answer codes and scores from its declaration)."""
    items = []
    for item in instrument.items:
        options = []
        for o in item.options:
            coding = _answer_coding(instrument, item, o.value)
            coding.pop("extension", None)
            options.append({
                "valueCoding": coding,
                "extension": [{"url": ORDINAL_URL, "valueDecimal": o.value}],
            })
        entry: dict[str, Any] = {
            "linkId": item_link_id(item),
            "text": item.text,
            "type": "choice",
            "required": item.required,
            "answerOption": options,
        }
        if item.loinc:
            entry["code"] = [_code(item.loinc, item.id, item.text)]
        items.append(entry)
    total: dict[str, Any] = {
        "linkId": total_link_id(instrument),
        "text": _total_text(instrument),
        "type": "decimal",
        "readOnly": True,
        "extension": [{"url": CALCULATED_URL, "valueExpression": {
            "language": "text/fhirpath", "expression": total_expression(instrument)}}],
    }
    if instrument.total_loinc:
        total["code"] = [_code(instrument.total_loinc, "", _total_text(instrument))]
    items.append(total)
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": instrument.id.replace("_", "-"),  # FHIR ids allow no underscore
        "url": questionnaire_url(instrument),
        "version": instrument.version,
        "name": "".join(ch for ch in instrument.short_name if ch.isalnum()),
        "title": instrument.name,
        "status": "active",
        "subjectType": ["Patient"],
        "copyright": instrument.licence,
        "item": items,
    }
    if instrument.panel_loinc:
        resource["code"] = [_code(instrument.panel_loinc, "", instrument.name)]
    return resource


def patient(record: Mapping[str, Any]) -> dict[str, Any]:
    """A pseudonymous Patient: the clinic's pseudonym only, marked PSEUDED."""
    return {
        "resourceType": "Patient",
        "id": _resource_id("patient", record["id"]),
        "meta": {"security": [{"system": SECURITY_SYSTEM, "code": "PSEUDED",
                               "display": "pseudonymized"}]},
        "identifier": [{"system": PSEUDONYM_SYSTEM, "value": record["id"]}],
        "active": record.get("status", "active") == "active",
    }


def _resource_id(kind: str, key: object) -> str:
    """A FHIR id ([A-Za-z0-9-.], at most 64): the uuid of the record's full URL."""
    return full_url(kind, key).removeprefix("urn:uuid:")


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def questionnaire_response(record: Mapping[str, Any]) -> dict[str, Any]:
    """One stored assessment (a :func:`progress.store.exchange_assessments` row) as a response."""
    inst = instruments.get(record["instrument"])
    answers: Mapping[str, int] = record["answers"]
    items: list[dict[str, Any]] = []
    for item in inst.items:
        if item.id in answers and not record.get("total_only"):
            items.append({
                "linkId": item_link_id(item),
                "text": item.text,
                "answer": [{"valueCoding": _answer_coding(inst, item, answers[item.id])}],
            })
    items.append({
        "linkId": total_link_id(inst),
        "text": _total_text(inst),
        "answer": [{"valueDecimal": _number(record["total"])}],
    })
    return {
        "resourceType": "QuestionnaireResponse",
        "id": _resource_id("assessment", record["id"]),
        "extension": [{"url": CONTEXT_URL, "valueCode": record["context"]}],
        "questionnaire": f"{questionnaire_url(inst)}|{inst.version}",
        "status": "completed",
        "subject": {"reference": full_url("patient", record["patient_id"])},
        "authored": record["administered_at"],
        "item": items,
    }


def _observation(
    record: Mapping[str, Any], url: str, code: dict[str, Any], **value: Any
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": url.removeprefix("urn:uuid:"),
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY_SYSTEM, "code": "survey",
                                  "display": "Survey"}]}],
        "code": {"coding": [code], "text": code["display"]},
        "subject": {"reference": full_url("patient", record["patient_id"])},
        "effectiveDateTime": record["administered_at"],
        "derivedFrom": [{"reference": full_url("assessment", record["id"])}],
        **value,
    }


def observations(record: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(fullUrl, Observation) for the items, the total and the panel of one assessment."""
    inst = instruments.get(record["instrument"])
    out: list[tuple[str, dict[str, Any]]] = []
    if not record.get("total_only"):
        for item in inst.items:
            if item.id not in record["answers"]:
                continue
            value = record["answers"][item.id]
            coding = _answer_coding(inst, item, value)
            coding.pop("extension", None)
            option_coded = coding["system"] == LOINC_SYSTEM
            url = _obs_url(record, item.id)
            obs = _observation(
                record, url, _code(item.loinc, item.id, item.text),
                **({"valueCodeableConcept": {"coding": [coding], "text": coding["display"]}}
                   if option_coded else {"valueInteger": value}),
            )
            out.append((url, obs))
    url = _obs_url(record, "total")
    total = _observation(
        record, url, _code(inst.total_loinc, f"{inst.id}_total", _total_text(inst)),
        valueQuantity={"value": _number(record["total"]), "unit": "{score}",
                       "system": UCUM_SYSTEM, "code": "{score}"},
    )
    out.append((url, total))
    if len(out) > 1:
        url = _obs_url(record, "panel")
        panel = _observation(
            record, url, _code(inst.panel_loinc, inst.id, inst.name),
            hasMember=[{"reference": u} for u, _ in out],
        )
        out.append((url, panel))
    return out


def _obs_url(record: Mapping[str, Any], key: str) -> str:
    """Each Observation's URL is used once: computed directly, not through the cache."""
    name = f"observation/{record['id']}/{key}"
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}"


def bundle(
    patients: Sequence[Mapping[str, Any]],
    assessments: Iterable[Mapping[str, Any]],
    *,
    timestamp: str | None = None,
) -> dict[str, Any]:
    """A ``collection`` Bundle: Questionnaires used, Patients, then each assessment's response
    and Observations. ``timestamp`` (ISO 8601) is the caller's "now", never read here."""
    records = list(assessments)
    used = [i for i in instruments.REGISTRY if any(r["instrument"] == i for r in records)]
    entries: list[dict[str, Any]] = []
    for instrument_id in used:
        q = questionnaire(instruments.get(instrument_id))
        entries.append({"fullUrl": q["url"], "resource": q})
    for p in patients:
        entries.append({"fullUrl": full_url("patient", p["id"]), "resource": patient(p)})
    for rec in records:
        entries.append({"fullUrl": full_url("assessment", rec["id"]),
                        "resource": questionnaire_response(rec)})
        entries.extend({"fullUrl": url, "resource": obs} for url, obs in observations(rec))
    result: dict[str, Any] = {"resourceType": "Bundle", "type": "collection"}
    if timestamp:
        result["timestamp"] = timestamp
    result["entry"] = entries
    return result


__all__ = [
    "CANONICAL_BASE", "CONTEXT_URL", "PSEUDONYM_SYSTEM", "QUESTIONNAIRE_BASE", "bundle",
    "full_url", "item_link_id", "link_targets", "observations", "patient", "questionnaire",
    "questionnaire_response", "questionnaire_url", "total_expression", "total_link_id",
]
