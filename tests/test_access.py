"""Rights enforced in the core: the whole policy matrix walked through progress.access, and
opening a record (audit, break-glass with a reason, refusals that leave a trace)."""

from __future__ import annotations

import pytest

from progress import access, auth, policy, store
from progress.errors import NotFound, PermissionDenied

T0 = "2026-12-03T09:00:00Z"
REASON = "Covering for Dr Lee while she is away"
CARE = {"view_record", "record_checkin", "export_record", "view_alerts", "acknowledge_alert", "view_access_log"}


def expected(role: str, action: str, scope: str) -> str:
    """The issue's rules in words, encoded independently of policy.POLICY."""
    if role == "patient":
        return "allow" if scope == "own" and action in {"view_record", "record_checkin", "view_access_log"} else "deny"
    if role == "therapist":
        if scope == "caseload" and action in CARE:
            return "allow"
        return "break_glass" if scope == "clinic" and action == "view_record" else "deny"
    if scope == "own":
        return "deny"
    if role == "lead":
        if action == "view_record":
            return "break_glass"
        return "allow" if action in {"view_alerts", "acknowledge_alert", "view_access_log", "view_cohort", "view_audit"} else "deny"
    return "allow" if action in {"manage_users", "change_settings", "view_audit", "view_access_log"} else "deny"


@pytest.fixture
def clinic(db):
    ids = {r: store.add_user(db, r, r, created_at=T0) for r in ("therapist", "lead", "admin")}
    other = store.add_user(db, "dr_other", "therapist", created_at=T0)
    store.add_patient(db, "p-own", therapist_id=ids["therapist"], created_at=T0)
    store.add_patient(db, "p-other", therapist_id=other, created_at=T0)
    store.add_patient(db, "p-lead", therapist_id=ids["lead"], created_at=T0)
    store.add_patient(db, "p-admin", therapist_id=ids["admin"], created_at=T0)
    ids["patient"] = store.add_user(db, "pat", "patient", patient_id="p-own", created_at=T0)
    users = {r: auth.load_user(db, i) for r, i in ids.items()}
    # the patient whose record gives each (role, scope); None where no patient can
    where = {
        "patient": {"own": "p-own", "caseload": None, "clinic": "p-other"},
        "therapist": {"own": None, "caseload": "p-own", "clinic": "p-other"},
        "lead": {"own": None, "caseload": "p-lead", "clinic": "p-other"},
        "admin": {"own": None, "caseload": "p-admin", "clinic": "p-other"},
    }
    return users, where


def test_the_whole_matrix_through_the_core(db, clinic):
    users, where = clinic
    walked = unreachable = 0
    for role, action, scope, decision in policy.cells():
        assert decision == expected(role, action, scope), (role, action, scope)
        user, pid = users[role], where[role][scope]
        if pid is None:  # e.g. a therapist's "own" record: no patient relates so; must be deny
            assert all(access.scope_of(db, user, p) != scope for p in store.list_patient_ids(db))
            assert decision == "deny"
            unreachable += 1
            continue
        assert access.scope_of(db, user, pid) == scope
        kw = {"at": T0, "source": "matrix"}
        if decision == "allow":
            assert access.authorize(db, user, action, pid, **kw) == "allow"
        elif decision == "break_glass":
            with pytest.raises(access.BreakGlassRequired):
                access.authorize(db, user, action, pid, **kw)
            assert access.authorize(db, user, action, pid, reason=REASON, **kw) == "break_glass"
        else:
            before = len(store.audit_events(db, actions=["access.denied"], limit=10_000))
            with pytest.raises(PermissionDenied) as refused:
                access.authorize(db, user, action, pid, reason=REASON, **kw)  # a reason does not open a denied cell
            assert not isinstance(refused.value, access.BreakGlassRequired)
            assert len(store.audit_events(db, actions=["access.denied"], limit=10_000)) == before + 1
        walked += 1
    assert (walked, unreachable) == (80, 40)  # 120 cells: 80 exercised, 40 impossible and denied


def test_opening_a_caseload_record_is_audited_and_returns_it(db, clinic):
    users, _ = clinic
    record = access.open_patient_record(db, users["therapist"], "p-own", at=T0, source="chart")
    assert (record.patient["id"], record.scope, record.break_glass) == ("p-own", "caseload", False)
    log = store.record_access_log(db, "p-own")
    assert list(log["action"]) == ["record.view"] and list(log["source"]) == ["chart"]


def test_a_rerun_already_logged_can_skip_the_audit_row(db, clinic):
    users, _ = clinic
    access.open_patient_record(db, users["therapist"], "p-own", at=T0, source="chart", audit=False)
    assert store.record_access_log(db, "p-own").empty


@pytest.mark.parametrize("reason", [None, "", "because", "          x"], ids=["none", "empty", "too-short", "blank"])
def test_break_glass_needs_a_real_reason(db, clinic, reason):
    users, _ = clinic
    with pytest.raises(access.BreakGlassRequired, match="stated reason"):
        access.open_patient_record(db, users["therapist"], "p-other", at=T0, source="chart", reason=reason)
    assert store.record_access_log(db, "p-other").empty


@pytest.mark.parametrize("role", ["therapist", "lead"])
def test_break_glass_with_a_reason_opens_the_record_and_records_why(db, clinic, role):
    users, _ = clinic
    record = access.open_patient_record(db, users[role], "p-other", at=T0, source="chart", reason=f"  {REASON} ")
    assert record.break_glass and record.patient["id"] == "p-other"
    glass = store.audit_events(db, actions=["record.break_glass"])
    assert list(glass["detail"]) == [REASON] and list(glass["role"]) == [role]


def test_a_patient_asking_for_another_patients_record_gets_nothing_and_leaves_a_trace(db, clinic):
    users, _ = clinic
    with pytest.raises(PermissionDenied, match="do not have access"):
        access.open_patient_record(db, users["patient"], "p-other", at=T0, source="my_progress", reason=REASON)
    denied = store.audit_events(db, actions=["access.denied"])
    assert list(denied["patient_id"]) == ["p-other"] and list(denied["role"]) == ["patient"]
    assert store.record_access_log(db, "p-other").empty  # it was not a read


@pytest.mark.parametrize("role", ["admin"])
def test_admins_do_not_read_clinical_records_by_default(db, clinic, role):
    users, _ = clinic
    with pytest.raises(PermissionDenied):
        access.open_patient_record(db, users[role], "p-admin", at=T0, source="chart", reason=REASON)


def test_an_unknown_patient_is_not_found(db, clinic):
    users, _ = clinic
    with pytest.raises(NotFound):
        access.open_patient_record(db, users["therapist"], "nobody", at=T0, source="chart")


def test_access_log_follows_the_policy(db, clinic):
    users, _ = clinic
    access.open_patient_record(db, users["therapist"], "p-own", at=T0, source="chart")
    assert list(access.access_log(db, users["patient"], "p-own", at=T0, source="my_progress")["action"]) == ["record.view"]
    with pytest.raises(PermissionDenied):
        access.access_log(db, users["patient"], "p-other", at=T0, source="my_progress")
