"""Intake screening for a ketamine course: the questions as data, and the review flags.

Never an automatic decision: every answer that matters becomes a "needs physician review"
flag naming the item and its source, and a physician records that they reviewed it. Each
entry carries its ``[Sn]`` tags from clinical-reference.md. ``confirmed=False`` marks items
the reference lists as commonly cited but UNCONFIRMED item by item (section 3.3): they are
asked because the clinic's source documents name them, and labelled as such.

No validated short misuse screen is given in the reference, so the misuse questions are the
structured questions it names (substance-use history and abuse risk, [S44][S30c][S30b]),
labelled as not a validated instrument.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from progress.errors import ValidationError

SOURCE_DOCS = "clinic source documents (issue 5)"


@dataclass(frozen=True)
class Question:
    """One screening item: id, wording, where it comes from, and whether the reference confirms it."""

    id: str
    label: str
    source: str
    confirmed: bool = True
    esketamine_only: bool = False


# Indications the clinic treats (store.INDICATIONS); pain conditions detail "chronic pain".
INDICATIONS: tuple[Question, ...] = (
    Question("depression", "Treatment-resistant depression", "[S32][S30e]"),
    Question("anxiety", "Anxiety disorder", SOURCE_DOCS, confirmed=False),
    Question("PTSD", "PTSD", SOURCE_DOCS, confirmed=False),
    Question("chronic pain", "Chronic pain condition", SOURCE_DOCS, confirmed=False),
)
PAIN_CONDITIONS: tuple[str, ...] = ("neuropathic pain", "migraine", "CRPS", "fibromyalgia", "other")

# Prior treatments tried: the consensus pre-treatment evaluation asks for them [S44].
PRIOR_TREATMENTS: tuple[Question, ...] = (
    Question("psychotherapy", "Psychotherapy / CBT", "[S44]"),
    Question("tms", "TMS", "[S44]"),
    Question("ect", "ECT", "[S44]"),
)

CONTRAINDICATIONS: tuple[Question, ...] = (
    Question("pregnancy_breastfeeding", "Pregnancy or breastfeeding", "[S30][S30i]"),
    Question("uncontrolled_hypertension", "Uncontrolled hypertension", "§3.3 [S44][S45]", confirmed=False),
    Question("cardiovascular_disease", "Acute cardiovascular or heart disease", "§3.3 [S44]", confirmed=False),
    Question("ketamine_hypersensitivity", "Hypersensitivity to ketamine or esketamine", "[S30g]"),
    Question("ketamine_negative_response", "Previous negative response to ketamine", SOURCE_DOCS, confirmed=False),
    Question("psychosis", "History of psychosis or schizophrenia", "[S30c][S44]"),
    Question("substance_use_disorder", "Active substance use disorder", "[S30c][S44]"),
    Question("intracranial_pressure", "Increased intracranial pressure", "[S45]"),
    Question("hyperthyroidism", "Hyperthyroidism", "§3.3 [S44]", confirmed=False),
    Question("liver_disease", "Severe liver disease", "§3.3 [S45]", confirmed=False),
    Question("kidney_disease", "Severe kidney disease", SOURCE_DOCS, confirmed=False),
    # The esketamine (Spravato) label's own contraindications [S30g].
    Question("aneurysmal_vascular_disease", "Aneurysmal vascular disease (aorta, intracranial, peripheral)", "[S30g]", esketamine_only=True),
    Question("arteriovenous_malformation", "Arteriovenous malformation", "[S30g]", esketamine_only=True),
    Question("intracerebral_haemorrhage", "History of intracerebral haemorrhage", "[S30g]", esketamine_only=True),
)

MEDICINES: tuple[Question, ...] = (
    Question("maoi", "MAOI (blood pressure)", "[S30h]"),
    Question("stimulant", "Psychostimulant (blood pressure)", "[S30h]"),
    Question("benzodiazepine", "Benzodiazepine (record the dose)", "[S41][S42]"),
    Question("cns_depressant", "Other CNS depressant, e.g. opioid (sedation, breathing)", "[S30h][S45]"),
    Question("theophylline", "Theophylline / aminophylline (seizure threshold)", "[S45]"),
)

# Above this daily dose (diazepam equivalents) non-responders separated from responders
# after a single infusion (80 % sensitivity, 85 % specificity, n=47) [S41]; RAPID found
# attenuation on day 1 only [S42]. A review prompt, not a rule.
BENZODIAZEPINE_REVIEW_MG = 8.0

MISUSE_QUESTIONS: tuple[Question, ...] = (
    Question("current_use", "Current problematic alcohol or drug use", "[S44][S30c]"),
    Question("past_sud", "Past substance use disorder or treatment for one", "[S44][S30c]"),
    Question("nonmedical_ketamine", "Non-medical use of ketamine or other dissociatives", "[S30c][S30b]"),
)
MISUSE_LABEL = (
    "Structured questions on substance use and abuse risk, as the consensus statement and the "
    "esketamine label ask [S44][S30c]; not a validated screening instrument."
)

_BY_ID = {q.id: q for q in (*CONTRAINDICATIONS, *MEDICINES, *MISUSE_QUESTIONS, *PRIOR_TREATMENTS, *INDICATIONS)}


@dataclass(frozen=True)
class Flag:
    """A "needs physician review" prompt: which answer, why, and its source."""

    item: str
    text: str
    source: str


def question(item_id: str) -> Question:
    try:
        return _BY_ID[item_id]
    except KeyError:
        raise ValidationError(f"Screening item {item_id!r} is not one of the screening questions.") from None


def _ids(record: Mapping[str, Any], key: str, allowed: Sequence[Question] | Sequence[str]) -> list[str]:
    names = [q.id if isinstance(q, Question) else q for q in allowed]
    values = list(record.get(key) or [])
    for v in values:
        if v not in names:
            raise ValidationError(f"{key}: {v!r} is not one of {', '.join(names)}.")
    return [n for n in names if n in values]  # declaration order, no duplicates


def validate(record: Mapping[str, Any]) -> dict[str, Any]:
    """Check a screening record and return it normalised (lists in declaration order).

    Keys: ``indications``, ``pain_conditions``, ``prior_treatments``, ``antidepressant_trials``
    (count), ``contraindications``, ``medicines``, ``benzodiazepine_mg`` (daily diazepam
    equivalents, required when a benzodiazepine is listed), ``misuse`` (ids answered yes),
    ``esketamine`` (whether the label's own contraindications apply), ``notes``.
    """
    trials = record.get("antidepressant_trials", 0)
    if type(trials) is not int or not 0 <= trials <= 50:
        raise ValidationError(f"antidepressant_trials {trials!r} must be a whole number from 0 to 50.")
    medicines = _ids(record, "medicines", MEDICINES)
    bzd = record.get("benzodiazepine_mg")
    if "benzodiazepine" in medicines:
        if type(bzd) not in (int, float) or not 0 < bzd <= 500:
            raise ValidationError(
                f"benzodiazepine_mg {bzd!r}: give the daily dose in mg diazepam equivalents (above 0, at most 500)."
            )
    elif bzd not in (None, 0):
        raise ValidationError("benzodiazepine_mg is set but no benzodiazepine is listed.")
    indications = _ids(record, "indications", INDICATIONS)
    return {
        "indications": indications,
        "pain_conditions": _ids(record, "pain_conditions", PAIN_CONDITIONS),
        "prior_treatments": _ids(record, "prior_treatments", PRIOR_TREATMENTS),
        "antidepressant_trials": trials,
        "contraindications": _ids(record, "contraindications", CONTRAINDICATIONS),
        "medicines": medicines,
        "benzodiazepine_mg": float(bzd) if "benzodiazepine" in medicines else None,
        "misuse": _ids(record, "misuse", MISUSE_QUESTIONS),
        "esketamine": bool(record.get("esketamine", False)),
        "notes": str(record.get("notes") or "").strip()[:2000],
    }


def review_flags(record: Mapping[str, Any]) -> list[Flag]:
    """Every answer that needs a physician's review, in the order the form asks them.

    Each listed contraindication, interacting medicine and misuse answer is a flag; a
    benzodiazepine dose above :data:`BENZODIAZEPINE_REVIEW_MG` adds its own [S41]. No flag
    decides anything: the physician does.
    """
    r = validate(record)
    flags: list[Flag] = []
    for item_id in r["contraindications"]:
        q = question(item_id)
        if q.esketamine_only and not r["esketamine"]:
            text = f"{q.label}: listed on the esketamine label; review even for racemic ketamine"
        else:
            text = f"{q.label}: possible contraindication"
        if not q.confirmed:
            text += " (clinic list; not confirmed item by item in the clinical reference)"
        flags.append(Flag(item_id, text, q.source))
    for item_id in r["medicines"]:
        q = question(item_id)
        flags.append(Flag(item_id, f"{q.label}: interacting medicine", q.source))
    if r["benzodiazepine_mg"] is not None and r["benzodiazepine_mg"] > BENZODIAZEPINE_REVIEW_MG:
        flags.append(
            Flag(
                "benzodiazepine_dose",
                f"Benzodiazepine {r['benzodiazepine_mg']:g} mg diazepam equivalents a day, above "
                f"{BENZODIAZEPINE_REVIEW_MG:g} mg: response may be blunted",
                "[S41][S42]",
            )
        )
    for item_id in r["misuse"]:
        q = question(item_id)
        flags.append(Flag(item_id, f"{q.label}: misuse/addiction risk answer", q.source))
    return flags


__all__ = [
    "BENZODIAZEPINE_REVIEW_MG", "CONTRAINDICATIONS", "Flag", "INDICATIONS", "MEDICINES",
    "MISUSE_LABEL", "MISUSE_QUESTIONS", "PAIN_CONDITIONS", "PRIOR_TREATMENTS", "Question",
    "question", "review_flags", "validate",
]
