"""FHIR R4 exchange: read QuestionnaireResponses (ours, and PHQ-9 / GAD-7 from other
systems) into our item ids; import them all or nothing; export Bundles (see fhir_build).

Two linkId styles are in use and both are read (clinical-reference.md section 4.1):

- US Core ``/44250-9``: the item's LOINC code with a leading slash (a bare ``44250-9`` or a
  path such as ``/44249-1/44250-9`` is read the same way) [S4b];
- MII ``PHQ.1`` ... ``PHQ.10`` and ``PHQ.Score`` in the example response, ``PHQ-9.1`` and
  ``PHQ-9.Score`` in the MII Questionnaire; ``GAD.1`` / ``GAD-7.1`` likewise [S5].

Answers are mapped through the LOINC answer codes declared on each item
(``AnswerOption.loinc``), or through an ``ordinalValue`` extension when the code is not a
LOINC answer. Nothing is guessed: every answer that cannot be mapped raises
:class:`~progress.errors.ValidationError` naming its linkId. No LOINC code is written here;
all of them come from the instrument declarations.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import sqlite_utils

from progress import fhir_build, instruments, scoring, store
from progress.errors import ImportRejected, NotFound, ProgressError, ValidationError
from progress.imports import Checked, store_assessments
from progress.io_csv import ImportReport
from progress.model import Item, Score
from progress.timeutil import to_iso

#: Instruments read from other systems' responses. Our own exports (Questionnaire URL under
#: ``fhir_build.QUESTIONNAIRE_BASE``) are read for every declared instrument.
SUPPORTED = ("phq9", "gad7")

LOINC_SYSTEM = "http://loinc.org"
_TOTAL = "__total__"
_ORDINAL_URLS = (
    "http://hl7.org/fhir/StructureDefinition/ordinalValue",
    "http://hl7.org/fhir/StructureDefinition/itemWeight",  # R5 name of the same idea
    "http://hl7.org/fhir/StructureDefinition/iso21090-CO-value",  # DSTU2/STU3 name
)
_LOINC_RE = re.compile(r"^\d{1,7}-\d$")
_RESOURCE_TYPE = re.compile(r"^[A-Z][A-Za-z]{1,63}$")  # FHIR resource type names
# Questionnaire canonical URL -> instrument, e.g. ".../Questionnaire/phq-9-example".
_URL_PATTERNS = {
    "phq9": re.compile(r"phq[-_]?9(?!\d)", re.IGNORECASE),
    "gad7": re.compile(r"gad[-_]?7(?!\d)", re.IGNORECASE),
}
# MII-style linkIds: PHQ.1, PHQ-9.1, PHQ9_1, PHQ.Score, GAD-7.3, GAD.Score ...
_PREFIX_RE = {
    "phq9": re.compile(r"^PHQ(?:-?9)?[._-](\w+)$", re.IGNORECASE),
    "gad7": re.compile(r"^GAD(?:-?7)?[._-](\w+)$", re.IGNORECASE),
}
# The panel's own linkId ("PHQ-9", "GAD7") is a group, not item 9 or 7.
_PANEL_RE = re.compile(r"^(?:PHQ-?9|GAD-?7)$", re.IGNORECASE)
_TOTAL_WORDS = {"score", "total", "sum"}


def answers_from_questionnaire_response(
    resource: Mapping,
) -> tuple[str, dict[str, int], float | None]:
    """Read a PHQ-9 or GAD-7 QuestionnaireResponse.

    Clinical systems send the same form with different linkIds (US Core ``/44250-9``, MII
    ``PHQ.1``) and carry scores as LOINC answer codes, so the reader maps both onto our item
    ids through the instrument declarations rather than trusting any number it is sent.

    Parameters
    ----------
    resource
        A QuestionnaireResponse as parsed JSON (a dict).

    Returns
    -------
    tuple
        ``(instrument_id, answers, given_total)``: answers keyed by our item ids
        (``"phq9_1"``; the unscored ``"phq9_10"`` when present), and the total the sender
        stated (float) or None. Unanswered items are left out; scoring decides if that is
        allowed. Pass the result to :func:`check_total`.

    Raises
    ------
    ValidationError
        If the resource is not a QuestionnaireResponse, the instrument cannot be told (or
        the questionnaire URL and the items disagree), or any answer cannot be mapped; the
        message names the linkId.
    """
    if not isinstance(resource, Mapping) or resource.get("resourceType") != "QuestionnaireResponse":
        kind = resource.get("resourceType") if isinstance(resource, Mapping) else type(resource).__name__
        raise ValidationError(f"Expected a FHIR QuestionnaireResponse; got {kind!r}.")
    answered = list(_answered_items(resource.get("item") or []))
    instrument = instruments.get(_detect(resource, answered))
    answers: dict[str, int] = {}
    given_total: float | None = None
    seen_total = False
    for link_id, item_answers in answered:
        target = _resolve(link_id, instrument.id)
        if target is None:
            raise ValidationError(
                f"linkId {link_id!r} is not an item of {instrument.short_name}; it cannot be mapped."
            )
        if len(item_answers) != 1:
            raise ValidationError(
                f"linkId {link_id!r} has {len(item_answers)} answers; exactly one is expected."
            )
        if target == _TOTAL:
            if seen_total:
                raise ValidationError(f"linkId {link_id!r}: the total is given more than once.")
            seen_total = True
            given_total = _total_value(link_id, item_answers[0])
            continue
        if target in answers:
            raise ValidationError(f"linkId {link_id!r}: item {target} is answered more than once.")
        answers[target] = _item_value(link_id, instrument.item(target), item_answers[0])
    return instrument.id, answers, given_total


def check_total(instrument_id: str, answers: Mapping[str, int], given_total: float | None) -> Score:
    """Score ``answers`` and check the total the sender stated against the items.

    A stated total is never trusted on its own: a sender that summed refused/unknown codes
    or dropped an item would otherwise import a wrong severity silently.

    Raises
    ------
    ValidationError
        From :func:`progress.scoring.score` (incomplete form, bad value), or if
        ``given_total`` is not a number or differs from the sum of the items.
    """
    result = scoring.score(instrument_id, answers)
    if given_total is None:
        return result
    if (
        isinstance(given_total, bool)
        or not isinstance(given_total, int | float)
        or not math.isfinite(given_total)
    ):
        raise ValidationError(f"Stated total {given_total!r} is not a number.")
    if not math.isclose(given_total, result.total, abs_tol=1e-9):
        raise ValidationError(
            f"Stated {instruments.get(instrument_id).short_name} total {given_total:g} disagrees "
            f"with the items, which sum to {result.total:g}."
        )
    return result


# -- walking and detection ----------------------------------------------------------------


def _answered_items(items: list) -> Iterator[tuple[str, list]]:
    """Yield ``(linkId, answers)`` for every item with answers, groups and nesting included."""
    for item in items:
        if not isinstance(item, Mapping):
            raise ValidationError(f"QuestionnaireResponse item {item!r} is not an object.")
        link_id = str(item.get("linkId", ""))
        answers = item.get("answer")
        if answers is None:
            answers = []
        if not isinstance(answers, list):  # {} or "" is malformed, not "unanswered"
            raise ValidationError(f"linkId {link_id!r}: 'answer' must be a list.")
        if answers:
            yield link_id, answers
        yield from _answered_items(item.get("item") or [])
        for answer in answers:
            if isinstance(answer, Mapping):
                yield from _answered_items(answer.get("item") or [])


def _loinc_index() -> dict[str, tuple[str, str]]:
    """LOINC code -> (instrument id, item id or _TOTAL), from the declarations."""
    index: dict[str, tuple[str, str]] = {}
    for instrument_id in SUPPORTED:
        instrument = instruments.get(instrument_id)
        for item in instrument.items:
            if item.loinc:
                index[item.loinc] = (instrument_id, item.id)
        if instrument.total_loinc:
            index[instrument.total_loinc] = (instrument_id, _TOTAL)
    return index


_BY_LOINC = _loinc_index()


def _candidates(link_id: str) -> list[tuple[str, str | None]]:
    """Possible (instrument, target) readings of a linkId; target None = not an item."""
    tail = link_id.rstrip("/").rsplit("/", 1)[-1].strip()
    if _LOINC_RE.match(tail):
        hit = _BY_LOINC.get(tail)
        return [hit] if hit else []
    if _PANEL_RE.match(tail):
        return []
    found: list[tuple[str, str | None]] = []
    for instrument_id, pattern in _PREFIX_RE.items():
        m = pattern.match(tail)
        if not m:
            continue
        suffix = m.group(1)
        if suffix.lower() in _TOTAL_WORDS:
            found.append((instrument_id, _TOTAL))
        elif suffix.isdigit():
            item_id = f"{instrument_id}_{int(suffix)}"
            known = {i.id for i in instruments.get(instrument_id).items}
            found.append((instrument_id, item_id if item_id in known else None))
        else:
            found.append((instrument_id, None))
    return found


def _resolve(link_id: str, instrument_id: str) -> str | None:
    own = fhir_build.link_targets(instruments.get(instrument_id))
    if link_id in own:  # our own Questionnaire's linkIds (any instrument we export)
        return own[link_id] or _TOTAL
    for inst, target in _candidates(link_id):
        if inst == instrument_id:
            return target
    return None


def _detect(resource: Mapping, answered: list[tuple[str, list]]) -> str:
    """Tell the instrument from the items' LOINC codes / linkId prefixes and the URL.

    Items win when they are unambiguous, but a questionnaire URL that names a different
    instrument is an error, not a tie-break: the sender is confused and we will not guess.
    """
    by_instrument: dict[str, list[str]] = {}
    for link_id, _ in answered:
        for inst, _target in _candidates(link_id):
            by_instrument.setdefault(inst, []).append(link_id)
    from_items = set(by_instrument)
    url = str(resource.get("questionnaire") or "")
    own = _own_instrument(url)
    if own is not None:
        if from_items - {own}:
            raise ValidationError(
                f"Questionnaire {url!r} names {own} but the items are "
                f"{', '.join(sorted(from_items))}."
            )
        return own
    from_url = {inst for inst, pattern in _URL_PATTERNS.items() if pattern.search(url)}
    if len(from_items) > 1:
        parts = "; ".join(
            f"{inst}: linkIds {', '.join(repr(x) for x in ids[:3])}"
            for inst, ids in sorted(by_instrument.items())
        )
        raise ValidationError(f"The response mixes items of several instruments ({parts}).")
    if from_items and from_url and not from_items & from_url:
        raise ValidationError(
            f"Questionnaire {url!r} names {', '.join(sorted(from_url))} but the items are "
            f"{', '.join(sorted(from_items))}."
        )
    if from_items:
        return next(iter(from_items))
    if len(from_url) == 1:
        return next(iter(from_url))
    raise ValidationError(
        f"Cannot tell which instrument this response is (questionnaire {url!r}); "
        f"supported: {', '.join(SUPPORTED)}."
    )


def _own_instrument(url: str) -> str | None:
    """The instrument id of one of our own Questionnaire URLs (``.../Questionnaire/pcl5|1.0``)."""
    base = url.split("|", 1)[0]
    if not base.startswith(fhir_build.QUESTIONNAIRE_BASE):
        return None
    instrument_id = base.removeprefix(fhir_build.QUESTIONNAIRE_BASE)
    instruments.get(instrument_id)  # UnknownInstrument names the known ones
    return instrument_id


# -- values -------------------------------------------------------------------------------


def _ordinal(link_id: str, *holders: object) -> int | None:
    """The ordinalValue extension on the answer or its Coding, as a whole number."""
    for holder in holders:
        if not isinstance(holder, Mapping):
            continue
        for ext in holder.get("extension") or []:
            if isinstance(ext, Mapping) and ext.get("url") in _ORDINAL_URLS:
                raw = ext.get("valueDecimal", ext.get("valueInteger"))
                if (
                    isinstance(raw, bool)
                    or not isinstance(raw, int | float)
                    or not math.isfinite(raw)
                    or raw != int(raw)
                ):
                    raise ValidationError(
                        f"linkId {link_id!r}: ordinal value {raw!r} is not a whole number."
                    )
                return int(raw)
    return None


def _item_value(link_id: str, item: Item, answer: Mapping) -> int:
    coding = answer.get("valueCoding") if isinstance(answer, Mapping) else None
    if not isinstance(coding, Mapping):
        kinds = [k for k in answer if k.startswith("value")] if isinstance(answer, Mapping) else []
        raise ValidationError(
            f"linkId {link_id!r} ({item.id}): expected a coded answer (valueCoding); "
            f"got {', '.join(kinds) or 'no value'}."
        )
    code = coding.get("code")
    system = coding.get("system")
    ordinal = _ordinal(link_id, coding, answer)
    by_code = {o.loinc: o.value for o in item.options if o.loinc}
    if code in by_code and system in (None, LOINC_SYSTEM):
        value = by_code[code]
        if ordinal is not None and ordinal != value:
            raise ValidationError(
                f"linkId {link_id!r} ({item.id}): code {code} means {value} but its ordinal "
                f"value says {ordinal}."
            )
        return value
    is_loinc_answer = system == LOINC_SYSTEM or (system is None and str(code).startswith("LA"))
    if ordinal is not None and not is_loinc_answer:
        if ordinal not in {o.value for o in item.options}:
            raise ValidationError(
                f"linkId {link_id!r} ({item.id}): ordinal value {ordinal} is out of range; "
                f"allowed {item.min_value}-{item.max_value}."
            )
        return ordinal
    raise ValidationError(
        f"linkId {link_id!r} ({item.id}): answer code {code!r} (system {system!r}) is not one of "
        f"{', '.join(by_code) or 'the declared answers'} and carries no ordinal value."
    )


def _total_value(link_id: str, answer: Mapping) -> float:
    raw: object
    if not isinstance(answer, Mapping):
        raw = answer
    elif "valueDecimal" in answer:
        raw = answer["valueDecimal"]
    elif "valueInteger" in answer:
        raw = answer["valueInteger"]
    elif "valueQuantity" in answer and isinstance(answer["valueQuantity"], Mapping):
        raw = answer["valueQuantity"].get("value")
    elif "valueString" in answer:
        text = answer["valueString"]
        try:
            raw = float(str(text).strip())
        except ValueError:
            raise ValidationError(
                f"linkId {link_id!r}: total {text!r} is not a number."
            ) from None
    else:
        raw = None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise ValidationError(f"linkId {link_id!r}: total {raw!r} is not a number.")
    return float(raw)


# -- export -------------------------------------------------------------------------------


def export_bundle(
    db: sqlite_utils.Database,
    patient_ids: Sequence[str] | None = None,
    *,
    timestamp: str | None = None,
) -> dict:
    """A Bundle of one patient, several, or the whole clinic (``patient_ids=None``).

    Raises NotFound for a patient id that is not in the database, so a typo does not export
    an empty file that looks like success.
    """
    if patient_ids is not None:
        for pid in patient_ids:
            if not store.patient_exists(db, pid):
                raise NotFound(f"No patient with id {pid!r}.")
    return fhir_build.bundle(
        store.exchange_patients(db, patient_ids),
        store.exchange_assessments(db, patient_ids),
        timestamp=timestamp,
    )


def write_bundle(bundle: Mapping, out: str | os.PathLike | IO[str]) -> int:
    """Write a Bundle as UTF-8 JSON (a path, or an open text file); returns its entry count."""
    text = json.dumps(bundle, indent=1, ensure_ascii=False) + "\n"
    if isinstance(out, str | os.PathLike):
        Path(out).write_text(text, encoding="utf-8")
    else:
        out.write(text)
    return len(bundle.get("entry", []))


# -- import -------------------------------------------------------------------------------


def parse_fhir(
    source: str | os.PathLike | bytes | Mapping,
    *,
    context: str = "weekly",
    patient_id: str | None = None,
) -> list[Checked]:
    """Read and check a QuestionnaireResponse or a Bundle of them, writing nothing.

    Other resources in a Bundle (Questionnaire, Patient, Observation) are read only to find
    patients; Observations are derived from the responses and are not imported twice.
    ``context`` applies where a response does not carry our context extension;
    ``patient_id`` overrides every response's subject. Raises ImportRejected listing every
    problem as ``"entry N: message"``.
    """
    resource = _load_json(source)
    kind = resource.get("resourceType") if isinstance(resource, Mapping) else None
    if kind == "QuestionnaireResponse":
        entries: list[tuple[str | None, Any]] = [(None, resource)]
    elif kind == "Bundle":
        raw = resource.get("entry") or []
        if not isinstance(raw, list):
            raise ImportRejected(["Bundle.entry must be a list."])
        entries = [
            (e.get("fullUrl") if isinstance(e, Mapping) else None,
             e.get("resource") if isinstance(e, Mapping) else e)
            for e in raw
        ]
    else:
        raise ImportRejected(
            [f"Expected a QuestionnaireResponse or a Bundle of them; got {kind!r}."]
        )
    patients = _bundle_patients(entries)
    problems: list[str] = []
    records: list[Checked] = []
    seen: dict[tuple[str, str, str], int] = {}
    if context not in store.CONTEXTS:
        raise ValidationError(f"context {context!r} is not one of {', '.join(store.CONTEXTS)}.")
    for n, (_url, res) in enumerate(entries, start=1):
        kind = res.get("resourceType") if isinstance(res, Mapping) else None
        if not isinstance(kind, str) or not _RESOURCE_TYPE.match(kind):
            # other resources are skipped, but an entry that is no resource at all is an error
            problems.append(f"entry {n}: not a FHIR resource (resourceType {kind!r}).")
            continue
        if kind != "QuestionnaireResponse":
            continue
        where = f"entry {n}" + (f" (QuestionnaireResponse {res['id']})" if res.get("id") else "")
        try:
            record = _read_response(res, patients, context, patient_id)
        except ProgressError as e:
            problems.append(f"{where}: {e}")
            continue
        key = (record.patient_id, record.score.instrument, record.administered_at)
        if key in seen:
            problems.append(f"{where}: duplicates entry {seen[key]} ({', '.join(key)}).")
            continue
        seen[key] = n
        records.append(record)
    if not records and not problems:
        problems.append("The file holds no QuestionnaireResponse to import.")
    if problems:
        raise ImportRejected(problems)
    return records


def import_fhir(
    db: sqlite_utils.Database,
    source: str | os.PathLike | bytes | Mapping,
    *,
    actor: store.Actor | None = None,
    at: str | None = None,
    context: str = "weekly",
    patient_id: str | None = None,
) -> ImportReport:
    """Check every response first, then store all of them or nothing (as CSV import does).

    New patients are created; safety alerts are raised for positive PHQ-9 item 9 answers as
    for any other assessment. ``at`` is the audit time (required with ``actor``).
    """
    if actor is not None and at is None:
        raise ValidationError("An audited import needs the time of import 'at'.")
    records = parse_fhir(source, context=context, patient_id=patient_id)
    return store_assessments(db, records, source="fhir", actor=actor, at=at)


def _load_json(source: str | os.PathLike | bytes | Mapping) -> Any:
    if isinstance(source, Mapping):
        return source
    if isinstance(source, bytes):
        try:
            text = source.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportRejected(["The file is not UTF-8 text."]) from None
    elif isinstance(source, str) and source.lstrip().startswith("{"):
        text = source
    else:
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise NotFound(f"No file {str(path)!r}.") from None
        except UnicodeDecodeError:
            raise ImportRejected([f"{str(path)!r} is not UTF-8 text."]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ImportRejected([f"line {e.lineno}: not valid JSON ({e.msg})."]) from None


def _bundle_patients(entries: list[tuple[str | None, Any]]) -> dict[str, str]:
    """Reference (fullUrl, ``Patient/id``) -> our patient id, from the Bundle's Patients."""
    found: dict[str, str] = {}
    for url, res in entries:
        if not isinstance(res, Mapping) or res.get("resourceType") != "Patient":
            continue
        ours = [
            i.get("value") for i in res.get("identifier") or []
            if isinstance(i, Mapping) and i.get("system") == fhir_build.PSEUDONYM_SYSTEM
        ]
        pid = ours[0] if ours and ours[0] else res.get("id")
        if not pid:
            continue
        if url:
            found[url] = str(pid)
        if res.get("id"):
            found[f"Patient/{res['id']}"] = str(pid)
    return found


def _read_response(
    res: Mapping, patients: Mapping[str, str], default_context: str, patient_id: str | None
) -> Checked:
    status = res.get("status")
    if status not in ("completed", "amended"):
        raise ValidationError(f"status {status!r} is not completed or amended; not imported.")
    authored = res.get("authored")
    if not authored:
        raise ValidationError("'authored' is missing; the time of the answers is required.")
    at = to_iso(authored, field="authored")
    pid = patient_id or _subject(res, patients)
    context = default_context
    for ext in res.get("extension") or []:
        if isinstance(ext, Mapping) and ext.get("url") == fhir_build.CONTEXT_URL:
            context = str(ext.get("valueCode"))
            if context not in store.CONTEXTS:
                raise ValidationError(
                    f"context {context!r} is not one of {', '.join(store.CONTEXTS)}."
                )
    instrument_id, answers, given = answers_from_questionnaire_response(res)
    if not any(k in answers for k in (i.id for i in instruments.get(instrument_id).scored_items)):
        if given is None:
            raise ValidationError("The response has neither item answers nor a total.")
        total = int(given) if float(given).is_integer() else given
        return Checked(pid, at, context, scoring.score_total_only(instrument_id, total), True)
    return Checked(pid, at, context, check_total(instrument_id, answers, given), False)


def _subject(res: Mapping, patients: Mapping[str, str]) -> str:
    subject = res.get("subject")
    ref = subject.get("reference") if isinstance(subject, Mapping) else None
    if ref and ref in patients:
        return patients[ref]
    if ref and re.fullmatch(r"Patient/[A-Za-z0-9\-.]{1,64}", ref):
        return ref.removeprefix("Patient/")
    identifier = subject.get("identifier") if isinstance(subject, Mapping) else None
    if isinstance(identifier, Mapping) and identifier.get("value"):
        return str(identifier["value"])
    raise ValidationError(
        f"subject {ref!r} does not name a patient; give the patient id (--patient)."
    )


__all__ = [
    "SUPPORTED", "answers_from_questionnaire_response", "check_total", "export_bundle",
    "import_fhir", "parse_fhir", "write_bundle",
]
