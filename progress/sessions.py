"""Infusion-session rules: doses by route, side effects, vitals flags, the esketamine REMS checks.

Only thresholds the clinical reference gives are built in, each with its tag; the others
(pre-dose hold, heart-rate ceiling, oxygen saturation floor) are clinic settings, off until a
clinic sets them, because the reference marks them UNCONFIRMED or gives none. Flags are review
prompts for the clinician, never dosing advice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from progress.errors import ValidationError

ROUTE_LABELS = {
    "IV": "IV ketamine",
    "IM": "IM ketamine",
    "intranasal": "Intranasal esketamine",
    "oral-sublingual": "Oral / sublingual ketamine",
}
PER_KG_ROUTES = ("IV", "IM")  # dose in mg/kg; 0.5 mg/kg over 40 min is the studied IV dose [S35][S37]
ESKETAMINE_DOSES_MG = (28.0, 56.0, 84.0)  # 28 mg per device [S30e]; 28 mg start >= 65 y (non-US) [S70]

# The timepoints of a session's vitals: before, ~40 min (BP peaks about 40 min after the start
# of an IV infusion [S46]; esketamine BP is re-checked about 40 min after dosing [S30b]), discharge.
VITALS_POINTS = ("before", "during", "discharge")
VITALS_LABELS = {"before": "Before", "during": "During (~40 min)", "discharge": "At discharge"}

# Built-in flags from the reference.
BP_RISE_SYSTOLIC = 40  # >40 mmHg systolic rise: the esketamine label's notable increase [S31]
BP_RISE_DIASTOLIC = 25  # >25 mmHg diastolic rise, same statistic [S31]
HYPERTENSION_SYSTOLIC = 180  # SBP >180 and/or DBP >110: "transient hypertension" [S46b]
HYPERTENSION_DIASTOLIC = 110
ESKETAMINE_MONITORING_MIN = 120  # at least 2 h observation after each dose [S30]

# Clinic settings (store settings table), unset by default: the reference gives no confirmed number.
SETTING_PREDOSE_BP = "vitals.predose_bp_max"  # e.g. "140/90": UNCONFIRMED verbatim [S31b]
SETTING_HR_MAX = "vitals.hr_max"  # e.g. "110": UNCONFIRMED [S44]
SETTING_SPO2_MIN = "vitals.spo2_min"  # no number in the reference; pulse oximetry is required [S30b][S30d]
CLINIC_SETTINGS = (SETTING_PREDOSE_BP, SETTING_HR_MAX, SETTING_SPO2_MIN)

SEVERITIES = ("mild", "moderate", "severe")
# Common side effects named in the source documents; dissociation and sedation are the
# label's most frequent [S30c], BP rises are reported in [S46][S31].
SIDE_EFFECTS = (
    "dizziness",
    "nausea or vomiting",
    "blurred or double vision",
    "headache",
    "fatigue or drowsiness",
    "raised blood pressure or heart rate",
    "dissociation",
)
# Rare serious ones: each raises a side-effect alert. Hypersensitivity [S30g]; respiratory
# depression [S45][S30b]; emergence reactions / psychosis [S45][S30c]; seizure threshold [S45];
# lower urinary tract symptoms with chronic use [S45b].
SERIOUS_SIDE_EFFECTS = (
    "severe allergic reaction",
    "respiratory depression",
    "seizure",
    "hallucinations or delirium",
    "bladder problems",
)
# Sedation as the REMS form records it [S30c]: a plain scale, not a validated one.
SEDATION_LEVELS = ("none", "mild", "moderate", "severe", "not rousable")
CADSS6_MAX = 24  # 6 items x 0-4 [S28]; the CADSS-6 short form is retrospective, unvalidated [S28b]
CADSS6_LABEL = "CADSS-6 (short form, 0-24; retrospective, not validated) [S28b]"


@dataclass(frozen=True)
class Reading:
    """Blood pressure and heart rate at one timepoint (any may be missing)."""

    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None

    def bp(self) -> str:
        if self.systolic is None or self.diastolic is None:
            return "—"
        return f"{self.systolic}/{self.diastolic}"


@dataclass(frozen=True)
class SessionDetails:
    """What the clinician records for one session beyond the infusion row."""

    duration_min: int | None = None
    observation_min: int | None = None
    vitals: Mapping[str, Reading] = field(default_factory=dict)
    spo2_lowest: int | None = None
    side_effects: Mapping[str, str] = field(default_factory=dict)  # name -> severity
    cadss6: int | None = None
    sedation: str | None = None
    respiratory_depression: bool = False
    lot: str = ""
    driver: bool = False
    notes: str = ""

    def vitals_dict(self) -> dict[str, dict[str, int | None]]:
        return {p: vars(r).copy() for p, r in self.vitals.items()}


def _int(name: str, value: Any, low: int, high: int) -> None:
    if value is not None and (type(value) is not int or not low <= value <= high):
        raise ValidationError(f"{name} {value!r} must be a whole number from {low} to {high}.")


def check_dose(route: str, dose_mg_per_kg: float | None, dose_mg: float | None) -> None:
    """IV/IM doses are in mg/kg; esketamine in mg per session (28/56/84 mg, 28 mg devices
    [S30e][S70]); oral/sublingual in mg. Checks the unit, never the amount's wisdom."""
    if route not in ROUTE_LABELS:
        raise ValidationError(f"route {route!r} is not one of {', '.join(ROUTE_LABELS)}.")
    if route in PER_KG_ROUTES:
        if dose_mg_per_kg is None:
            raise ValidationError(f"A {route} dose is recorded in mg/kg (dose_mg_per_kg).")
    elif dose_mg is None or dose_mg_per_kg is not None:
        raise ValidationError(f"A {ROUTE_LABELS[route].lower()} dose is recorded in mg (dose_mg), not mg/kg.")
    if route == "intranasal" and dose_mg not in ESKETAMINE_DOSES_MG:
        raise ValidationError(
            f"Esketamine dose {dose_mg!r} mg must be 28, 56 or 84 mg (whole 28 mg devices) [S30e]."
        )


def validate(details: SessionDetails, route: str) -> None:
    """Ranges and choices; an esketamine session needs its device lot number for REMS [S30d]."""
    _int("duration_min", details.duration_min, 1, 600)
    _int("observation_min", details.observation_min, 0, 1440)
    _int("spo2_lowest", details.spo2_lowest, 50, 100)
    _int("cadss6", details.cadss6, 0, CADSS6_MAX)
    for point, r in details.vitals.items():
        if point not in VITALS_POINTS:
            raise ValidationError(f"Vitals timepoint {point!r} is not one of {', '.join(VITALS_POINTS)}.")
        _int(f"{point} systolic", r.systolic, 50, 300)
        _int(f"{point} diastolic", r.diastolic, 20, 200)
        _int(f"{point} heart rate", r.heart_rate, 20, 250)
    for name, severity in details.side_effects.items():
        if name not in SIDE_EFFECTS + SERIOUS_SIDE_EFFECTS:
            raise ValidationError(f"Side effect {name!r} is not on the session form's list.")
        if severity not in SEVERITIES:
            raise ValidationError(f"Severity {severity!r} for {name} is not one of {', '.join(SEVERITIES)}.")
    if details.sedation is not None and details.sedation not in SEDATION_LEVELS:
        raise ValidationError(f"Sedation {details.sedation!r} is not one of {', '.join(SEDATION_LEVELS)}.")
    if route == "intranasal" and not details.lot.strip():
        raise ValidationError("An esketamine session needs the device lot number (REMS form) [S30d].")


def _parse_bp(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        s, d = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValidationError(f"Setting {SETTING_PREDOSE_BP} {text!r} must look like 140/90.") from None
    return s, d


def vitals_flags(details: SessionDetails, settings: Mapping[str, str | None] | None = None) -> list[str]:
    """Plain-sentence vitals flags for a session, each naming its source or the clinic setting."""
    settings = settings or {}
    v, flags = details.vitals, []
    base = v.get("before")
    for point in ("during", "discharge"):
        r = v.get(point)
        if base is None or r is None:
            continue
        rises = []
        if None not in (base.systolic, r.systolic) and r.systolic - base.systolic > BP_RISE_SYSTOLIC:
            rises.append(f"systolic +{r.systolic - base.systolic}")
        if None not in (base.diastolic, r.diastolic) and r.diastolic - base.diastolic > BP_RISE_DIASTOLIC:
            rises.append(f"diastolic +{r.diastolic - base.diastolic}")
        if rises:
            flags.append(
                f"{VITALS_LABELS[point]}: BP rise {' and '.join(rises)} mmHg from before "
                f"(over {BP_RISE_SYSTOLIC}/{BP_RISE_DIASTOLIC} mmHg) [S31]"
            )
    for point in VITALS_POINTS:
        r = v.get(point)
        if r is None:
            continue
        if (r.systolic or 0) > HYPERTENSION_SYSTOLIC or (r.diastolic or 0) > HYPERTENSION_DIASTOLIC:
            flags.append(
                f"{VITALS_LABELS[point]}: BP {r.bp()} above {HYPERTENSION_SYSTOLIC}/{HYPERTENSION_DIASTOLIC} mmHg [S46b]"
            )
        hr_max = settings.get(SETTING_HR_MAX)
        if hr_max and r.heart_rate is not None and r.heart_rate > int(hr_max):
            flags.append(f"{VITALS_LABELS[point]}: heart rate {r.heart_rate} above the clinic's {hr_max} (clinic setting)")
    hold = _parse_bp(settings.get(SETTING_PREDOSE_BP))
    if hold and base is not None and ((base.systolic or 0) > hold[0] or (base.diastolic or 0) > hold[1]):
        flags.append(
            f"Before: BP {base.bp()} above the clinic's pre-dose {hold[0]}/{hold[1]} (clinic setting; "
            "the label wording is unconfirmed [S31b])"
        )
    spo2_min = settings.get(SETTING_SPO2_MIN)
    if spo2_min and details.spo2_lowest is not None and details.spo2_lowest < int(spo2_min):
        flags.append(f"Lowest SpO2 {details.spo2_lowest}% below the clinic's {spo2_min}% (clinic setting)")
    return flags


def serious_effects(details: SessionDetails) -> list[str]:
    """Serious side effects recorded (respiratory depression ticked on the REMS form counts)."""
    found = [n for n in SERIOUS_SIDE_EFFECTS if n in details.side_effects]
    if details.respiratory_depression and "respiratory depression" not in found:
        found.insert(1 if "severe allergic reaction" in found else 0, "respiratory depression")
    return found


def rems_problems(details: SessionDetails) -> list[str]:
    """What an esketamine session's REMS monitoring record is missing: 2 h monitoring [S30]
    and BP before, ~40 min after and before discharge [S30b]."""
    problems = []
    if details.observation_min is None or details.observation_min < ESKETAMINE_MONITORING_MIN:
        problems.append(
            f"Monitoring time {details.observation_min or 0} min is under {ESKETAMINE_MONITORING_MIN} min (2 h) [S30]"
        )
    for point in VITALS_POINTS:
        r = details.vitals.get(point)
        if r is None or r.systolic is None or r.diastolic is None:
            problems.append(f"No blood pressure {VITALS_LABELS[point].lower()} [S30b]")
    if details.sedation is None:
        problems.append("Sedation not recorded [S30c]")
    if details.spo2_lowest is None:
        problems.append("No pulse oximetry reading [S30b][S30d]")
    return problems


def discharge_notes(details: SessionDetails, route: str) -> list[str]:
    """Reminders for discharge: no driving until the next day after restful sleep [S30][S30b]."""
    if details.driver:
        return []
    why = "esketamine label [S30][S30b]" if route == "intranasal" else "clinic policy; esketamine label [S30]"
    return [f"No driver recorded: patients should not drive until the next day ({why})."]


__all__ = [
    "BP_RISE_DIASTOLIC", "BP_RISE_SYSTOLIC", "CADSS6_LABEL", "CADSS6_MAX", "CLINIC_SETTINGS",
    "ESKETAMINE_DOSES_MG", "ESKETAMINE_MONITORING_MIN", "HYPERTENSION_DIASTOLIC",
    "HYPERTENSION_SYSTOLIC", "PER_KG_ROUTES", "ROUTE_LABELS", "Reading", "SEDATION_LEVELS",
    "SERIOUS_SIDE_EFFECTS", "SEVERITIES", "SETTING_HR_MAX", "SETTING_PREDOSE_BP",
    "SETTING_SPO2_MIN", "SIDE_EFFECTS", "SessionDetails", "VITALS_LABELS", "VITALS_POINTS",
    "check_dose", "discharge_notes", "rems_problems", "serious_effects", "validate", "vitals_flags",
]
