"""Audit trail (clinic leads and admins).

Spec: whether the hash chain is intact; every break-glass opening of a record (who, whose,
when, the stated reason) listed first so a lead can follow it up; the recent trail, filterable
by patient id and action. Events carry who, role, action, patient, when and page or command,
never scores or answers. Reading the trail is itself audited.
"""

import streamlit as st

from progress import store
from ui import context
from ui.widgets import empty_state

conn = context.db()
user = context.require_user(conn, "lead", "admin")
st.title("Audit trail")

ok, checked, broken = store.verify_audit_chain(conn)
if ok:
    st.success(f"Hash chain intact: {checked} event(s) checked.", icon=":material/verified:")
else:
    st.error(f"Hash chain broken at event {broken}: the trail has been altered. Report this.", icon=":material/report:")

st.subheader("Break-glass openings")
st.caption("A therapist or lead opened a record outside their own caseload and stated why.")
glass = store.audit_events(conn, actions=["record.break_glass"], limit=500)
if glass.empty:
    empty_state("No break-glass openings recorded.")
else:
    st.dataframe(
        glass.rename(columns={"detail": "reason"}), hide_index=True, width="stretch", key="audit_glass"
    )

st.subheader("Recent events")
c1, c2 = st.columns(2)
patient = c1.text_input("Patient id", key="audit_patient").strip() or None
action = c2.text_input("Action (e.g. record.view)", key="audit_action").strip() or None
events = store.audit_events(conn, patient, limit=500, actions=[action] if action else None)
if events.empty:
    empty_state("No events match.")
else:
    st.dataframe(events, hide_index=True, width="stretch", key="audit_events")
context.audit_once(conn, user, "audit.view", "audit", detail=patient or "")
