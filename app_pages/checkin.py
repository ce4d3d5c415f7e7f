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

from progress import REGISTRY, schedule, score, store
from progress.errors import ProgressError
from ui import context
from ui.widgets import CONTEXT_LABELS, crisis_panel, fmt_total

FLOW = "checkin_flow"  # {"queue": [(instrument, context)], "index": int, "answers": {item: value}}
SAVED = "checkin_saved"  # list of (instrument, total, band, safety)

conn = context.db()
user = context.require_user(conn, "patient")
patient_id = user.patient_id
patient = store.get_patient(conn, patient_id)
indications = [i for i in patient["indications"].split(",") if i]


def start(queue: list[tuple[str, str]]) -> None:
    st.session_state[FLOW] = {"queue": queue, "index": 0, "answers": {}}
    st.session_state.pop(SAVED, None)


def answer(item_id: str, value: int | None) -> None:
    flow = st.session_state[FLOW]
    flow["answers"][item_id] = value
    flow["index"] += 1


def back() -> None:
    flow = st.session_state[FLOW]
    flow["index"] = max(0, flow["index"] - 1)


def questions(instrument, answers) -> list:
    """Scored items, then optional items; PHQ-9's difficulty item only if a problem was checked."""
    items = list(instrument.scored_items)
    if any(v for k, v in answers.items() if k in {i.id for i in items}):
        items += [i for i in instrument.items if not i.scored]
    return items


def submit(instrument_id: str, ctx: str, answers: dict) -> None:
    result = score(instrument_id, {k: v for k, v in answers.items() if v is not None})
    infusion_id = None
    if ctx == "post_infusion":
        infusions = store.list_infusions(conn, patient_id)
        today = context.now_iso()
        same_day = [r for r in infusions.itertuples() if schedule.is_same_day(r.administered_at, today)]
        infusion_id = int(same_day[-1].id) if same_day else None
    store.save_assessment(
        conn,
        patient_id,
        result,
        administered_at=context.now_iso(),
        context=ctx,
        respondent="self",
        infusion_id=infusion_id,
        entered_by=user.id,
        actor=user.actor("checkin"),
    )
    st.session_state.setdefault(SAVED, []).append(
        (instrument_id, result.total, result.band, result.safety)
    )
    flow = st.session_state[FLOW]
    flow["queue"] = flow["queue"][1:]
    flow["index"] = 0
    flow["answers"] = {}


st.title("Check-in")
flow = st.session_state.get(FLOW)
saved = st.session_state.get(SAVED, [])

if any(s[3] for s in saved):
    crisis_panel()
for instrument_id, total, band, _ in saved:
    inst = REGISTRY[instrument_id]
    st.success(
        f"Saved your {inst.short_name}: {fmt_total(total)}{f' ({band})' if band else ''}. "
        "Thank you. Your care team will see it at your next review.",
        icon=":material/check_circle:",
    )

if flow and flow["queue"]:
    instrument_id, ctx = flow["queue"][0]
    inst = REGISTRY[instrument_id]
    answers = flow["answers"]
    items = questions(inst, answers)
    if answers.get("phq9_9"):
        crisis_panel()
    st.markdown(f"**{inst.short_name}** · {CONTEXT_LABELS[ctx]}")
    if len(flow["queue"]) > 1:
        st.caption(f"Then: {', '.join(REGISTRY[i].short_name for i, _ in flow['queue'][1:])}")
    index = flow["index"]
    if index < len(items):
        item = items[index]
        st.progress(index / len(items), text=f"Question {index + 1} of {len(items)}")
        if item.scored:
            st.caption(inst.preamble)
        st.subheader(item.text, anchor=False)
        for option in item.options:
            st.button(
                option.label if len(item.options) > 5 else f"{option.value} · {option.label}",
                key=f"ans_{item.id}_{option.value}",
                on_click=answer,
                args=(item.id, option.value),
                width="stretch",
                type="primary" if answers.get(item.id) == option.value else "secondary",
            )
        cols = st.columns(2)
        if index > 0:
            cols[0].button("Back", key="ci_back", on_click=back, icon=":material/arrow_back:")
        if not item.required:
            cols[1].button("Skip this question", key=f"skip_{item.id}", on_click=answer, args=(item.id, None))
    else:
        st.progress(1.0, text="All questions answered")
        st.markdown("**Please check your answers**")
        for item in items:
            value = answers.get(item.id)
            label = "skipped" if value is None else item.label_for(value)
            st.markdown(f"- {item.text}: **{label}**")
        st.button("Back", key="ci_back", on_click=back, icon=":material/arrow_back:")
        if st.button("Submit", key="ci_submit", type="primary", width="stretch"):
            try:
                submit(instrument_id, ctx, answers)
            except ProgressError as exc:
                st.error(f"Your answers could not be saved: {exc} Nothing was lost; please try again.")
            else:
                st.rerun()
    st.button("Cancel this check-in", key="ci_cancel", on_click=lambda: st.session_state.pop(FLOW, None))
    st.stop()

# Nothing in progress: show what is due.
summaries = store.instrument_summaries(conn, patient_id)
last_taken = dict(zip(summaries["instrument"], summaries["latest_at"], strict=True)) if len(summaries) else {}
phase = store.patient_summary(conn, patient_id).get("phase")
due = schedule.due_now(indications, last_taken, as_of=context.now_iso(), phase=phase)

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
    phase_ctx = "intake" if phase is None else ("weekly" if phase == "induction" else "maintenance")
    for inst in others:
        st.button(
            f"{inst.short_name} · {inst.construct}", key=f"start_other_{inst.id}", on_click=start,
            args=([(inst.id, phase_ctx)],), width="stretch",
        )

st.page_link("app_pages/my_progress.py", label="See my progress", icon=":material/show_chart:")
