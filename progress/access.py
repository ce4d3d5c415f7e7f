"""Enforcing the rights policy in the core: every read of a patient's record goes through here.

:func:`open_patient_record` works out how the acting user relates to the patient (own,
caseload, clinic), asks :mod:`progress.policy`, refuses or demands a stated reason
(break-glass), writes the audit event and only then reads the record. Refusals are audited
too (``access.denied``), so a patient trying another patient's id in the address bar leaves a
trace. Hiding pages in the shell is a convenience; this is the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import pandas as pd
import sqlite_utils

from progress import policy, store
from progress.errors import PermissionDenied

MIN_REASON_CHARS = 10  # a break-glass reason must say something ("covering for Dr Lee today")


class Acting(Protocol):
    """What access needs to know about the acting user (progress.auth.User fits)."""

    id: int
    role: str
    patient_id: str | None


class BreakGlassRequired(PermissionDenied):
    """Allowed only with a stated reason: the shell asks for one and tries again."""


@dataclass(frozen=True)
class PatientRecord:
    """One patient's record as the acting user may see it."""

    patient: dict
    summaries: pd.DataFrame
    series: pd.DataFrame
    infusions: pd.DataFrame
    scope: str
    break_glass: bool


def scope_of(db: sqlite_utils.Database, user: Acting, patient_id: str) -> str:
    """'own', 'caseload' or 'clinic': how ``user`` relates to ``patient_id`` (NotFound if none)."""
    patient = store.get_patient(db, patient_id)
    if user.role == "patient":
        return "own" if user.patient_id == patient_id else "clinic"
    return "caseload" if patient["therapist_id"] == user.id else "clinic"


def authorize(
    db: sqlite_utils.Database,
    user: Acting,
    action: str,
    patient_id: str | None = None,
    *,
    at: str,
    source: str,
    reason: str | None = None,
) -> policy.Decision:
    """Return the decision ('allow' or 'break_glass' with a good reason) or raise.

    Raises PermissionDenied (audited) when the policy denies, and BreakGlassRequired when it
    asks for a reason and none (or too short a one) was given.
    """
    scope = scope_of(db, user, patient_id) if patient_id is not None else "clinic"
    decision = policy.decide(user.role, action, scope)
    if decision == "deny":
        store.record_event(db, store.Actor(user.id, user.role, source), "access.denied", at,
                           patient_id, detail=action)
        raise PermissionDenied("You do not have access to that patient's record." if patient_id
                               else "This is not available for your role.")
    if decision == "break_glass" and len((reason or "").strip()) < MIN_REASON_CHARS:
        raise BreakGlassRequired(
            "This patient is not in your caseload. Opening the record needs a stated reason "
            f"(at least {MIN_REASON_CHARS} characters); it is recorded and shown to the clinic leads."
        )
    return decision


def open_patient_record(
    db: sqlite_utils.Database,
    user: Acting,
    patient_id: str,
    *,
    at: str,
    source: str,
    reason: str | None = None,
    audit: bool = True,
) -> PatientRecord:
    """Check the policy, audit the read (a break-glass one with its reason), then return the
    record. ``audit=False`` is only for a rerun of a view this session has already logged."""
    decision = authorize(db, user, "view_record", patient_id, at=at, source=source, reason=reason)
    glass = decision == "break_glass"
    if audit:
        store.record_event(
            db, store.Actor(user.id, user.role, source),
            "record.break_glass" if glass else "record.view", at, patient_id,
            detail=(reason or "").strip() if glass else "",
        )
    return PatientRecord(
        patient=store.get_patient(db, patient_id),
        summaries=store.instrument_summaries(db, patient_id),
        series=store.load_series(db, patient_id),
        infusions=store.list_infusions(db, patient_id),
        scope=scope_of(db, user, patient_id),
        break_glass=glass,
    )


def access_log(db: sqlite_utils.Database, user: Acting, patient_id: str, *, at: str, source: str) -> pd.DataFrame:
    """Who opened ``patient_id``'s record, for someone the policy lets see it."""
    authorize(db, user, "view_access_log", patient_id, at=at, source=source)
    return store.record_access_log(db, patient_id)
