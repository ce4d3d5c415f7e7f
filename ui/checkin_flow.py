"""The one-question-at-a-time check-in, shared by the patient's own check-in and the clinic tablet.

One flow, so both keep the same safety behaviour: big buttons with the instrument's own anchors,
Back, a review screen, Submit only with every required item answered; the crisis panel the
instant PHQ-9 item 9 is answered above 0 (before submitting); on Submit the answers and the
safety alert are saved in one transaction (``store.save_assessment``) and only then is any
confirmation shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import streamlit as st

from progress import REGISTRY, schedule, score, store
from progress.errors import ProgressError
from ui import context
from ui.widgets import CONTEXT_LABELS, crisis_panel

FLOW = "checkin_flow"  # {"queue": [(instrument, context)], "index": int, "answers": {item: value}}
SAVED = "checkin_saved"  # [(instrument, total, band, safety)]

Saved = list[tuple[str, float, str | None, bool]]


def start(queue: list[tuple[str, str]]) -> None:
    # "key" names this check-in, so a repeated Submit (double tap, resent request) saves once
    st.session_state[FLOW] = {"queue": list(queue), "index": 0, "answers": {}, "key": uuid.uuid4().hex}
    st.session_state.pop(SAVED, None)


def in_progress() -> bool:
    flow = st.session_state.get(FLOW)
    return bool(flow and flow["queue"])


def saved() -> Saved:
    return st.session_state.get(SAVED, [])


def any_crisis() -> bool:
    """True when an answer given in this flow (saved or not yet) put PHQ-9 item 9 above 0."""
    flow = st.session_state.get(FLOW) or {}
    return any(s[3] for s in saved()) or bool((flow.get("answers") or {}).get("phq9_9"))


def cancel() -> None:
    st.session_state.pop(FLOW, None)


def _answer(item_id: str, value: int | None) -> None:
    flow = st.session_state[FLOW]
    flow["answers"][item_id] = value
    flow["index"] += 1


def _back() -> None:
    flow = st.session_state[FLOW]
    flow["index"] = max(0, flow["index"] - 1)


def questions(instrument, answers) -> list:
    """Scored items, then optional items; PHQ-9's difficulty item only if a problem was checked."""
    items = list(instrument.scored_items)
    if any(v for k, v in answers.items() if k in {i.id for i in items}):
        items += [i for i in instrument.items if not i.scored]
    return items


def _submit(conn, patient_id: str, entered_by: int, actor: store.Actor, instrument_id: str, ctx: str, answers: dict) -> None:
    result = score(instrument_id, {k: v for k, v in answers.items() if v is not None})
    now = context.now_iso()
    infusion_id = None
    if ctx == "post_infusion":
        infusions = store.list_infusions(conn, patient_id)
        same_day = [r for r in infusions.itertuples() if schedule.is_same_day(r.administered_at, now)]
        infusion_id = int(same_day[-1].id) if same_day else None
    flow = st.session_state[FLOW]
    store.save_assessment(
        conn, patient_id, result, administered_at=now, context=ctx, respondent="self",
        infusion_id=infusion_id, entered_by=entered_by, actor=actor,
        idempotency_key=f"checkin:{flow.get('key', uuid.uuid4().hex)}:{instrument_id}",
    )
    st.session_state.setdefault(SAVED, []).append((instrument_id, result.total, result.band, result.safety))
    flow["queue"] = flow["queue"][1:]
    flow["index"] = 0
    flow["answers"] = {}


def render(
    conn,
    *,
    patient_id: str,
    entered_by: int,
    actor: store.Actor,
    on_finished: Callable[[Saved], None] | None = None,
    cancel_label: str = "Cancel this check-in",
    on_cancel: Callable[[], None] = cancel,
) -> None:
    """Draw the current question (or the review screen) of the flow in progress.

    ``on_finished`` runs once the last questionnaire of the queue is saved (after the save, so
    any alert is already stored), before the page reruns.
    """
    flow = st.session_state[FLOW]
    instrument_id, ctx = flow["queue"][0]
    inst = REGISTRY[instrument_id]
    answers = flow["answers"]
    items = questions(inst, answers)
    if any_crisis():
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
                on_click=_answer,
                args=(item.id, option.value),
                width="stretch",
                type="primary" if answers.get(item.id) == option.value else "secondary",
            )
        cols = st.columns(2)
        if index > 0:
            cols[0].button("Back", key="ci_back", on_click=_back, icon=":material/arrow_back:")
        if not item.required:
            cols[1].button("Skip this question", key=f"skip_{item.id}", on_click=_answer, args=(item.id, None))
    else:
        st.progress(1.0, text="All questions answered")
        st.markdown("**Please check your answers**")
        for item in items:
            value = answers.get(item.id)
            label = "skipped" if value is None else item.label_for(value)
            st.markdown(f"- {item.text}: **{label}**")
        st.button("Back", key="ci_back", on_click=_back, icon=":material/arrow_back:")
        if st.button("Submit", key="ci_submit", type="primary", width="stretch"):
            try:
                _submit(conn, patient_id, entered_by, actor, instrument_id, ctx, answers)
            except ProgressError as exc:
                st.error(f"Your answers could not be saved: {exc} Nothing was lost; please try again.")
            else:
                if not st.session_state[FLOW]["queue"] and on_finished is not None:
                    on_finished(saved())
                st.rerun()
    st.button(cancel_label, key="ci_cancel", on_click=on_cancel)
