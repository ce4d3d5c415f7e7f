"""Who may do what: the rights policy as data (role x action x ownership).

Ownership says how the acting user relates to the patient whose record is touched:

- ``own``: the record is the user's own (a patient and their record);
- ``caseload``: the patient is in the user's caseload (assigned therapist);
- ``clinic``: any other patient of the same clinic.

Actions that concern no single patient (the de-identified cohort, accounts, settings, the audit
trail) are decided at ``clinic`` scope. A decision is ``allow``, ``deny`` or ``break_glass``:
allowed only with a stated reason, which is audited and listed for the clinic leads on the
audit page. :mod:`progress.access` enforces this table; the README prints it
(:func:`as_markdown`), and a test checks the two agree.
"""

from __future__ import annotations

from typing import Literal

from progress.errors import ValidationError

Decision = Literal["allow", "deny", "break_glass"]
ROLES = ("patient", "therapist", "lead", "admin")
SCOPES = ("own", "caseload", "clinic")
ACTIONS: dict[str, str] = {
    "view_record": "open a patient's identified record (chart, progress, answers)",
    "record_checkin": "save a check-in to a patient's record",
    "export_record": "export a patient's identified record",
    "view_alerts": "see a patient's alerts",
    "acknowledge_alert": "acknowledge or resolve an alert",
    "view_access_log": "see who opened a patient's record",
    "view_cohort": "see de-identified cohort outcomes",
    "view_audit": "see the clinic's audit trail",
    "manage_users": "add, disable and reset accounts",
    "change_settings": "change clinic settings",
}

A, D, G = "allow", "deny", "break_glass"

# (role, action): (own, caseload, clinic)
POLICY: dict[tuple[str, str], tuple[Decision, Decision, Decision]] = {
    ("patient", "view_record"): (A, D, D),
    ("patient", "record_checkin"): (A, D, D),
    ("patient", "export_record"): (D, D, D),
    ("patient", "view_alerts"): (D, D, D),  # patients see crisis numbers, not the care team's queue
    ("patient", "acknowledge_alert"): (D, D, D),
    ("patient", "view_access_log"): (A, D, D),
    ("patient", "view_cohort"): (D, D, D),
    ("patient", "view_audit"): (D, D, D),
    ("patient", "manage_users"): (D, D, D),
    ("patient", "change_settings"): (D, D, D),
    ("therapist", "view_record"): (D, A, G),
    ("therapist", "record_checkin"): (D, A, D),
    ("therapist", "export_record"): (D, A, D),
    ("therapist", "view_alerts"): (D, A, D),
    ("therapist", "acknowledge_alert"): (D, A, D),
    ("therapist", "view_access_log"): (D, A, D),
    ("therapist", "view_cohort"): (D, D, D),
    ("therapist", "view_audit"): (D, D, D),
    ("therapist", "manage_users"): (D, D, D),
    ("therapist", "change_settings"): (D, D, D),
    ("lead", "view_record"): (D, G, G),  # identified records only through break-glass
    ("lead", "record_checkin"): (D, D, D),
    ("lead", "export_record"): (D, D, D),
    ("lead", "view_alerts"): (D, A, A),  # pseudonymous ids, reasons; no answers
    ("lead", "acknowledge_alert"): (D, A, A),
    ("lead", "view_access_log"): (D, A, A),
    ("lead", "view_cohort"): (D, A, A),
    ("lead", "view_audit"): (D, A, A),
    ("lead", "manage_users"): (D, D, D),
    ("lead", "change_settings"): (D, D, D),
    ("admin", "view_record"): (D, D, D),  # users and settings, not clinical data
    ("admin", "record_checkin"): (D, D, D),
    ("admin", "export_record"): (D, D, D),
    ("admin", "view_alerts"): (D, D, D),
    ("admin", "acknowledge_alert"): (D, D, D),
    ("admin", "view_access_log"): (D, A, A),
    ("admin", "view_cohort"): (D, D, D),
    ("admin", "view_audit"): (D, A, A),
    ("admin", "manage_users"): (D, A, A),
    ("admin", "change_settings"): (D, A, A),
}


def decide(role: str, action: str, scope: str) -> Decision:
    """The policy's decision; an unknown role, action or scope is an error, never an allow."""
    if scope not in SCOPES:
        raise ValidationError(f"Scope {scope!r} is not one of {', '.join(SCOPES)}.")
    try:
        return POLICY[(role, action)][SCOPES.index(scope)]
    except KeyError:
        raise ValidationError(f"No policy for role {role!r} and action {action!r}.") from None


def cells() -> list[tuple[str, str, str, Decision]]:
    """Every (role, action, scope, decision) cell, in table order."""
    return [
        (role, action, scope, decide(role, action, scope))
        for role in ROLES for action in ACTIONS for scope in SCOPES
    ]


_SHOW = {"allow": "yes", "deny": "—", "break_glass": "break-glass"}


def as_markdown() -> str:
    """The table as printed in the README: one row per action, own/caseload/clinic per role."""
    head = "| Action | " + " | ".join(f"{r}: own / caseload / clinic" for r in ROLES) + " |"
    rule = "|---" * (len(ROLES) + 1) + "|"
    rows = [
        f"| {ACTIONS[a]} | " + " | ".join(
            " / ".join(_SHOW[d] for d in POLICY[(r, a)]) for r in ROLES
        ) + " |"
        for a in ACTIONS
    ]
    return "\n".join([head, rule, *rows])
