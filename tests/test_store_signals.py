"""Signals are stored with the patient's summary in the same transaction as the save, and
the replay used by the command line reads the same histories."""

from __future__ import annotations

import json

import pytest

from progress import scoring, signals, store
from progress.errors import ValidationError

pytestmark = pytest.mark.both_backends


def _phq9(total: int):
    answers = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    answers += [0] * (9 - len(answers))
    answers[8], answers[0] = answers[0], answers[8]  # keep item 9 at 0 unless the total needs all
    return scoring.score("phq9", answers)


@pytest.fixture
def patient(db):
    store.add_patient(db, "P1", indications=["depression"], created_at="2026-01-01T00:00:00Z")
    store.save_assessment(db, "P1", _phq9(20), administered_at="2026-01-02T10:00:00Z", context="intake")
    for d in (5, 7, 9, 12, 14, 16):
        store.add_infusion(db, "P1", administered_at=f"2026-01-{d:02d}T10:00:00Z", route="IV", phase="induction", dose_mg_per_kg=0.5)
    return db


def _weekly(db, start_day: int, totals: list[int]) -> None:
    from datetime import date, timedelta

    for i, t in enumerate(totals):
        d = date(2026, 1, 1) + timedelta(days=start_day + 7 * i)
        store.save_assessment(db, "P1", _phq9(t), administered_at=f"{d.isoformat()}T10:00:00Z", context="maintenance")


def test_a_relapse_saved_check_in_by_check_in_is_stored_once_and_counted_in_the_summary(patient):
    _weekly(patient, 27, [5, 4, 6, 5, 4, 5])
    assert store.list_signals(patient, patient_id="P1").empty
    assert store.patient_summary(patient, "P1")["open_signals"] == 0
    _weekly(patient, 27 + 42, [13, 15, 16])
    rows = store.list_signals(patient, patient_id="P1")
    booster = rows[rows["kind"] == signals.BOOSTER_REVIEW]
    assert len(booster) == 1 and booster.iloc[0]["active"] == 1
    assert booster.iloc[0]["at"].startswith("2026-03-18")  # the second high check-in (day 76)
    summary = store.patient_summary(patient, "P1")
    assert summary["open_signals"] >= 1 and "booster_review" in summary["signal_kinds"]
    assert summary["response_at"] is not None and summary["relapse_signal_at"] == booster.iloc[0]["at"]


def test_a_booster_infusion_saved_afterwards_closes_the_episode(patient):
    _weekly(patient, 27, [5, 4, 6, 5, 4, 5, 13, 15])
    store.add_infusion(patient, "P1", administered_at="2026-03-20T10:00:00Z", route="IV", phase="booster", dose_mg_per_kg=0.5)
    _weekly(patient, 27 + 56 + 7, [6])
    rows = store.list_signals(patient, patient_id="P1")
    assert (rows["kind"] == "booster_review").sum() == 1
    assert rows.loc[rows["kind"] == "booster_review", "active"].iloc[0] == 0
    assert "booster_review" not in store.patient_summary(patient, "P1")["signal_kinds"]


def test_replay_matches_what_the_save_path_stored(patient):
    _weekly(patient, 27, [5, 4, 6, 5, 4, 5, 13, 15, 16])
    stored = store.list_signals(patient, patient_id="P1")
    replayed = [s for s in store.replay(patient) if s.kind != signals.SAFETY]
    assert sorted((s.kind, s.at) for s in replayed) == sorted(zip(stored["kind"], stored["at"], strict=True))


def test_a_clinic_can_change_a_rule_in_settings_and_unknown_settings_are_refused(patient):
    store.set_setting(patient, store.RULES_SETTING, json.dumps({"cusum_h": 9.0}))
    assert store.signal_rules(patient).cusum_h == 9.0
    store.set_setting(patient, store.RULES_SETTING, json.dumps({"cusum_hh": 9.0}))
    with pytest.raises(ValidationError, match="cusum_hh"):
        store.signal_rules(patient)


def test_signal_counts_aggregate_active_signals_by_kind(patient):
    _weekly(patient, 27, [5, 4, 6, 5, 4, 5, 13, 15])
    counts = store.signal_counts(patient).set_index("kind")
    assert counts.loc["booster_review", "patients"] == 1
