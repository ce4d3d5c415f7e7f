"""Clinic tablet: start a check-in for a patient on a clinic tablet, before or after an infusion.

Spec: the therapist picks a patient of their caseload and which check-in (the "right now"
ratings before or after the infusion, or the questionnaires due now), then hands the tablet
over. The patient sees the same one-question-at-a-time flow as at home, with the crisis panel
the instant PHQ-9 item 9 is above 0 and the alert saved before any confirmation. After the last
Submit (or Stop) the tablet locks: the therapist is signed out and the screen shows no patient
data until a clinician signs in again.
"""

import streamlit as st

from progress import REGISTRY, auth, schedule, store
from ui import checkin_flow, context, tablet

conn = context.db()
user = context.require_user(conn, "therapist")

if tablet.active():
    if st.session_state.pop(tablet.STOP, False) or not checkin_flow.in_progress():
        tablet.lock(conn, user, crisis=checkin_flow.any_crisis(), saved=len(checkin_flow.saved()))
        st.rerun()
    st.title("Check-in")
    checkin_flow.render(
        conn,
        patient_id=st.session_state[tablet.TABLET]["patient_id"],
        entered_by=user.id,
        actor=user.actor("tablet"),
        on_finished=lambda done: tablet.lock(conn, user, crisis=any(s[3] for s in done), saved=len(done)),
        cancel_label="Stop and lock the tablet",
        on_cancel=tablet.request_stop,
    )
    st.stop()

st.session_state.pop(tablet.LOCKED, None)
st.title("Clinic tablet")
st.caption(
    "Start a check-in for a patient on this tablet, then hand it over. When they submit, the "
    "tablet locks and shows no patient data; sign in again to continue."
)
patients = auth.visible_patient_ids(conn, user)
if not patients:
    st.info("No patients in your caseload yet.", icon=":material/info:")
    st.stop()
wanted = st.query_params.get("patient")
patient_id = st.selectbox(
    "Patient", patients, index=patients.index(wanted) if wanted in patients else 0, key="tablet_patient"
)
patient = store.get_patient(conn, patient_id)
indications = [i for i in patient["indications"].split(",") if i]
choice = st.radio(
    "Which check-in",
    ["Before the infusion", "After the infusion", "Questionnaires due now"],
    key="tablet_what",
    horizontal=True,
)
if choice == "Questionnaires due now":
    summaries = store.instrument_summaries(conn, patient_id)
    last_taken = dict(zip(summaries["instrument"], summaries["latest_at"], strict=True)) if len(summaries) else {}
    summary = store.patient_summary(conn, patient_id)
    phase = summary.get("phase")
    booster = summary.get("last_infusion_at") if phase == "booster" else None
    due = schedule.due_now(indications, last_taken, as_of=context.now_iso(), phase=phase, last_booster_at=booster)
    queue = [(d.instrument, d.context) for d in due]
else:
    ctx = "pre_infusion" if choice == "Before the infusion" else "post_infusion"
    queue = [(i, ctx) for i in schedule.momentary_for(indications)]

if not queue:
    st.info("Nothing is due for this patient right now.", icon=":material/task_alt:")
    st.stop()
st.markdown("The patient will be asked: " + ", ".join(f"**{REGISTRY[i].short_name}**" for i, _ in queue))
if st.button("Hand the tablet to the patient", key="tablet_start", type="primary", icon=":material/tablet:"):
    tablet.hand_over(conn, user, patient_id, queue)
    st.rerun()
