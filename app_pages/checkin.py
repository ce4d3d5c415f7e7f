"""Patient check-in (phone first).

Spec:
- Lists what is due now (weekly PHQ-9 and GAD-7, PCL-5 monthly for PTSD, PEG for pain) and
  the infusion-day checks (before / after, "right now" ratings only).
- One question at a time with big buttons carrying the instrument's own anchors, a progress
  bar, Back; a review screen; Submit is only reachable with every required item answered.
- PHQ-9 item 9 above 0 shows the crisis panel at once, before submitting; on submit the
  answers and the safety alert are saved in one transaction, and only then is the
  confirmation shown, with the panel and the note that answers are not watched in real time.
"""

import streamlit as st

from progress import REGISTRY, schedule, store
from ui import checkin_flow, context
from ui.widgets import crisis_panel, fmt_total

conn = context.db()
user = context.require_user(conn, "patient")
patient_id = user.patient_id
patient = store.get_patient(conn, patient_id)
indications = [i for i in patient["indications"].split(",") if i]
start = checkin_flow.start

st.title("Check-in")
saved = checkin_flow.saved()

if any(s[3] for s in saved):
    crisis_panel()
for instrument_id, total, band, _ in saved:
    inst = REGISTRY[instrument_id]
    st.success(
        f"Saved your {inst.short_name}: {fmt_total(total)}{f' ({band})' if band else ''}. "
        "Thank you. Your care team will see it at your next review.",
        icon=":material/check_circle:",
    )

if checkin_flow.in_progress():
    checkin_flow.render(conn, patient_id=patient_id, entered_by=user.id, actor=user.actor("checkin"))
    st.stop()

# Nothing in progress: show what is due.
summaries = store.instrument_summaries(conn, patient_id)
last_taken = dict(zip(summaries["instrument"], summaries["latest_at"], strict=True)) if len(summaries) else {}
summary = store.patient_summary(conn, patient_id)
phase = summary.get("phase")
now = context.now_iso()
booster = summary.get("last_infusion_at") if phase == "booster" else None
due = schedule.due_now(indications, last_taken, as_of=now, phase=phase, last_booster_at=booster)
today = store.load_series(conn, patient_id, since=now[:10] + "T00:00:00Z")
due_today = schedule.infusion_day_due(
    indications, as_of=now, infusion_at=summary.get("last_infusion_at"),
    taken_today=zip(today["instrument"], today["context"], today["administered_at"], strict=True),
)

st.markdown("#### Due now")
if not due:
    st.info("Nothing is due right now. Thank you for keeping up with your check-ins.", icon=":material/task_alt:")
for d in due:
    inst = REGISTRY[d.instrument]
    with st.container(border=True):
        st.markdown(
            f"**{inst.short_name}** · {inst.construct} · {len(inst.scored_items)} questions"
            + (" · :red[overdue]" if d.overdue else "")
        )
        st.caption(f"{inst.recall_text}. {d.reason}.")
        st.button("Start", key=f"start_{d.instrument}", on_click=start, args=([(d.instrument, d.context)],), type="primary", width="stretch")

if len(due) > 1:
    st.button(
        "Do all of them, one after another",
        key="start_all",
        on_click=start,
        args=([(d.instrument, d.context) for d in due],),
        width="stretch",
    )

st.markdown("#### Infusion day")
st.caption("Quick ratings of how you feel right now, before and after your infusion.")
if due_today:
    when = "before" if due_today[0].context == "pre_infusion" else "after"
    st.button(
        f"Today's ratings {when} your infusion ({len(due_today)} quick questions)", key="start_today",
        on_click=start, args=([(d.instrument, d.context) for d in due_today],), type="primary", width="stretch",
    )
momentary = schedule.momentary_for(indications)
cols = st.columns(2)
cols[0].button(
    "Before my infusion", key="start_pre", on_click=start,
    args=([(i, "pre_infusion") for i in momentary],), width="stretch",
)
cols[1].button(
    "After my infusion", key="start_post", on_click=start,
    args=([(i, "post_infusion") for i in momentary],), width="stretch",
)

with st.expander("Fill in another questionnaire"):
    st.caption("If something has changed, you can tell your care team now rather than waiting.")
    others = [i for i in REGISTRY.values() if not i.momentary and i.id not in {d.instrument for d in due}]
    phase_ctx = schedule.PHASE_CONTEXT.get(phase, "maintenance")
    for inst in others:
        st.button(
            f"{inst.short_name} · {inst.construct}", key=f"start_other_{inst.id}", on_click=start,
            args=([(inst.id, phase_ctx)],), width="stretch",
        )

st.page_link("app_pages/my_progress.py", label="See my progress", icon=":material/show_chart:")
