"""Record a check-in on behalf of a patient (in clinic).

Spec: the therapist picks a patient from their caseload, a measure and its context; every
item is a required choice with the instrument's anchors (no default answer); submitting with
any item unanswered names the missing items and saves nothing; the respondent is recorded as
"clinician" with the therapist as the person who entered it; a positive PHQ-9 item 9 raises
the safety alert in the same transaction and is shown at once.
"""

import hashlib
from datetime import UTC, datetime, time

import streamlit as st

from progress import REGISTRY, auth, score, store
from progress.errors import ProgressError
from ui import context
from ui.widgets import CONTEXT_LABELS, fmt_total

conn = context.db()
user = context.require_user(conn, "therapist")
patients = auth.visible_patient_ids(conn, user)
st.title("Record a check-in")
if not patients:
    st.info("No patients are assigned to you yet.")
    st.stop()

c1, c2, c3 = st.columns(3)
default = st.session_state.get("chart_patient")
patient_id = c1.selectbox("Patient", patients, index=patients.index(default) if default in patients else 0, key="rec_patient")
instrument_id = c2.selectbox(
    "Measure", list(REGISTRY), format_func=lambda i: f"{REGISTRY[i].short_name} ({REGISTRY[i].recall_text.lower()})", key="rec_instrument"
)
ctx = c3.selectbox("Moment in the course", list(CONTEXT_LABELS), format_func=CONTEXT_LABELS.get, index=3, key="rec_context")
inst = REGISTRY[instrument_id]

with st.form(f"rec_form_{instrument_id}", clear_on_submit=True):
    st.caption(inst.preamble)
    d1, d2 = st.columns(2)
    when_date = d1.date_input("Date", key="rec_date")
    when_time = d2.time_input("Time (UTC)", value=time(12, 0), key="rec_time")
    for n, item in enumerate(inst.items, start=1):
        st.radio(
            f"{n}. {item.text}" + ("" if item.required else " (optional)"),
            [o.value for o in item.options],
            format_func=lambda v, item=item: f"{v} · {item.label_for(v)}" if len(item.options) <= 5 else str(v),
            index=None,
            horizontal=True,
            key=f"rec_{item.id}",
        )
    submitted = st.form_submit_button("Save check-in", type="primary")

if submitted:
    answers = {i.id: st.session_state.get(f"rec_{i.id}") for i in inst.items}
    missing = [str(n) for n, i in enumerate(inst.items, start=1) if i.required and answers[i.id] is None]
    if missing:
        st.error(f"Not saved: please answer question{'s' if len(missing) > 1 else ''} {', '.join(missing)}.")
    else:
        try:
            result = score(instrument_id, {k: v for k, v in answers.items() if v is not None})
            at = datetime.combine(when_date, when_time, tzinfo=UTC).isoformat()
            saved = store.save_assessment(
                conn, patient_id, result, administered_at=at, context=ctx, respondent="clinician",
                entered_by=user.id, actor=user.actor("record"),
                # the same answers for the same patient, measure, context and time are the same
                # check-in: a repeated Save (double click, resent form) is stored once
                idempotency_key="record:" + hashlib.sha256(
                    f"{patient_id}|{instrument_id}|{ctx}|{at}|{sorted(result.answers.items())}".encode()
                ).hexdigest(),
            )
        except ProgressError as exc:
            st.error(f"Not saved: {exc}")
        else:
            st.success(f"Saved {inst.short_name} for {patient_id}: {fmt_total(result.total)}{f' ({result.band})' if result.band else ''}.")
            if saved.alert_id:
                st.error(
                    "PHQ-9 item 9 is positive: a safety alert was raised for this patient. Please assess "
                    "risk now (for example with the C-SSRS screener) and make sure the patient has crisis "
                    "resources (Canada 9-8-8, US 988, emergency 911).",
                    icon=":material/emergency:",
                )
