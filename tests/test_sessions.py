"""Session rules: dose units by route, vitals flags from the reference, REMS checks."""

from __future__ import annotations

import pytest

from progress import sessions
from progress.errors import ValidationError
from progress.sessions import Reading, SessionDetails


def vit(before, during=None, discharge=None) -> SessionDetails:
    v = {"before": Reading(*before)}
    if during:
        v["during"] = Reading(*during)
    if discharge:
        v["discharge"] = Reading(*discharge)
    return SessionDetails(vitals=v)


@pytest.mark.parametrize(
    ("before", "during", "expected"),
    [
        ((120, 80, 70), (160, 90, 80), 0),  # +40 systolic is not over 40 [S31]
        ((120, 80, 70), (161, 90, 80), 1),  # +41 [S31]
        ((120, 80, 70), (130, 105, 80), 0),  # +25 diastolic is not over 25 [S31]
        ((120, 80, 70), (130, 106, 80), 1),  # +26 [S31]
    ],
    ids=["sys+40", "sys+41", "dia+25", "dia+26"],
)
def test_bp_rise_over_40_25_mmHg_is_flagged_S31(before, during, expected):
    assert (sessions.BP_RISE_SYSTOLIC, sessions.BP_RISE_DIASTOLIC) == (40, 25)
    flags = sessions.vitals_flags(vit(before, during))
    assert len(flags) == expected
    assert all("[S31]" in f for f in flags)


@pytest.mark.parametrize(
    ("reading", "flagged"),
    [((180, 100, 80), False), ((181, 100, 80), True), ((170, 110, 80), False), ((170, 111, 80), True)],
    ids=["sys180", "sys181", "dia110", "dia111"],
)
def test_bp_above_180_110_is_flagged_S46b(reading, flagged):
    flags = sessions.vitals_flags(vit(reading))
    assert any("[S46b]" in f for f in flags) is flagged


def test_unconfirmed_thresholds_are_off_until_the_clinic_sets_them():
    details = SessionDetails(vitals={"before": Reading(150, 95, 120)}, spo2_lowest=88)
    assert sessions.vitals_flags(details) == []
    flags = sessions.vitals_flags(details, {sessions.SETTING_PREDOSE_BP: "140/90", sessions.SETTING_HR_MAX: "110",
                                            sessions.SETTING_SPO2_MIN: "92"})
    assert len(flags) == 3 and all("clinic" in f for f in flags)


@pytest.mark.parametrize(
    ("route", "per_kg", "mg", "ok"),
    [("IV", 0.5, None, True), ("IM", None, 50.0, False), ("intranasal", None, 56.0, True),
     ("intranasal", None, 84.0, True), ("intranasal", None, 70.0, False), ("intranasal", 0.5, None, False),
     ("oral-sublingual", None, 150.0, True), ("oral-sublingual", 1.0, None, False), ("SC", None, 10.0, False)],
    ids=["iv-mgkg", "im-mg", "esk-56", "esk-84", "esk-70", "esk-mgkg", "oral-mg", "oral-mgkg", "unknown-route"],
)
def test_dose_units_follow_the_route_S30e(route, per_kg, mg, ok):
    if ok:
        sessions.check_dose(route, per_kg, mg)
    else:
        with pytest.raises(ValidationError):
            sessions.check_dose(route, per_kg, mg)


def test_rems_needs_two_hours_and_bp_at_three_points_S30_S30b():
    assert sessions.ESKETAMINE_MONITORING_MIN == 120  # [S30]
    full = SessionDetails(
        observation_min=120, sedation="mild", spo2_lowest=96,
        vitals={p: Reading(120, 80, 70) for p in sessions.VITALS_POINTS},
    )
    assert sessions.rems_problems(full) == []
    short = SessionDetails(observation_min=119, vitals={"before": Reading(120, 80, 70)})
    problems = sessions.rems_problems(short)
    assert any("[S30]" in p for p in problems)
    assert sum("[S30b]" in p for p in problems) >= 2  # ~40 min and discharge missing


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        (SessionDetails(side_effects={"nausea or vomiting": "severe"}), []),
        (SessionDetails(side_effects={"seizure": "mild"}), ["seizure"]),
        (SessionDetails(respiratory_depression=True), ["respiratory depression"]),
    ],
    ids=["common-severe", "serious", "rems-tick"],
)
def test_serious_side_effects(details, expected):
    assert sessions.serious_effects(details) == expected


@pytest.mark.parametrize(
    "details",
    [SessionDetails(side_effects={"itching": "mild"}), SessionDetails(side_effects={"headache": "awful"}),
     SessionDetails(cadss6=25), SessionDetails(vitals={"after": Reading(120, 80, 70)}),
     SessionDetails(sedation="asleep")],
    ids=["unknown-effect", "unknown-severity", "cadss6-over-24", "unknown-timepoint", "unknown-sedation"],
)
def test_broken_session_details_are_refused(details):
    with pytest.raises(ValidationError):
        sessions.validate(details, "IV")


def test_esketamine_session_needs_a_lot_number():
    with pytest.raises(ValidationError, match="lot"):
        sessions.validate(SessionDetails(), "intranasal")
    assert sessions.CADSS6_MAX == 24 and "not validated" in sessions.CADSS6_LABEL  # [S28][S28b]


def test_no_driver_gives_a_discharge_reminder():
    assert sessions.discharge_notes(SessionDetails(driver=True), "IV") == []
    assert "[S30]" in sessions.discharge_notes(SessionDetails(), "intranasal")[0]
