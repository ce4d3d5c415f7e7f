"""Alerts: review prompts for a clinician, followed from open to acknowledged to resolved.

Spec: a therapist sees the alerts of their caseload; a lead sees the alerts escalated
clinic-wide (open longer than the clinic's window, pseudonymous ids). Open alerts first, each
with its reason, its escalation deadline and its history from the audit trail.
"Acknowledge" records who and when. "Resolve" needs the documentation of
clinical-reference.md §5 (how risk was assessed, risk level, safety plan reviewed, means-safety
counselling, disposition, a note). Alerts are never deleted or closed without that note.
Every run first records any escalation that has fallen due (idempotent, audited).
"""

import streamlit as st

from progress import alerts as rules
from progress import auth, store
from progress.errors import ProgressError
from ui import context
from ui.widgets import empty_state

ACTIONS = {
    "alert.create": "Raised",
    "alert.escalate": "Escalated to clinic leads",
    "alert.acknowledge": "Acknowledged",
    "alert.resolve": "Resolved",
}


def when(text: str | None) -> str:
    return (text or "").replace("T", " ")[:16]


def act(step, *args) -> None:
    try:
        step(*args)
    except ProgressError as exc:
        st.error(str(exc))
    else:
        st.rerun()


conn = context.db()
user = context.require_user(conn, "therapist", "lead")
now = context.now_iso()
st.title("Alerts")
try:
    window_days = store.escalation_rule(conn)[0]
    store.escalate_due_alerts(conn, as_of=now, actor=store.Actor.system("alerts page"))
except ProgressError as exc:  # a broken clinic setting must not hide the alerts themselves
    window_days = None
    st.error(f"Alerts cannot be escalated until this setting is fixed: {exc}")

if user.role == "therapist":
    scope, escalated = auth.visible_patient_ids(conn, user), None
    st.caption("Alerts for patients in your caseload. Alerts are prompts for clinical review, never a diagnosis.")
else:
    scope, escalated = None, True
    st.caption(
        "Alerts escalated clinic-wide: not acknowledged within the clinic's window of "
        f"{window_days if window_days is not None else '?'} business day(s). Patients are shown by pseudonymous id."
    )
show = st.segmented_control(
    "Show", ["To do", "Resolved", "All"], default="To do", key="alerts_status"
)
alerts = store.list_alerts(conn, patient_ids=scope, escalated=escalated)
if show in (None, "To do"):
    alerts = alerts[alerts["status"] != "resolved"]
elif show == "Resolved":
    alerts = alerts[alerts["status"] == "resolved"]

if alerts.empty:
    empty_state("No alerts to review." if show in (None, "To do") else "No alerts to show.")
    st.stop()

alerts = alerts.astype(object).where(alerts.notna(), None)  # missing values as None, not NaN (truthy)
n_open = int((alerts["status"] == "open").sum())
st.caption(f"{len(alerts)} alert(s), {n_open} not yet acknowledged. Alerts are never deleted.")
PAGE = 25  # open alerts come first; a long list is drawn a page at a time
shown = st.session_state.get("alerts_shown", PAGE)
for alert in alerts.iloc[:shown].itertuples():
    alert_id = int(alert.id)
    with st.container(border=True, key=f"alert_{alert_id}"):
        head = st.columns([3, 1])
        status = alert.status + (" · :red[escalated]" if alert.escalated_at else "")
        head[0].markdown(
            f"**{alert.kind.replace('_', ' ').title()} · {alert.severity}** · patient `{alert.patient_id}` · "
            f"raised {when(alert.created_at)} UTC · **{status}**"
        )
        head[0].write(alert.reason)
        if alert.status == "open" and not alert.escalated_at and window_days is not None:
            due = store.escalation_due(conn, alert.created_at)
            head[0].caption(f"Escalates to the clinic leads if not acknowledged by {due.strftime('%a %Y-%m-%d %H:%M %Z')}.")
        if user.role == "therapist":
            head[1].page_link("app_pages/chart.py", label="Open chart", query_params={"patient": alert.patient_id})

        if alert.status == "open":
            if head[1].button("Acknowledge", key=f"ack_{alert_id}", type="primary"):
                act(store.acknowledge_alert, conn, alert_id, user.actor("alerts"), context.now_iso())
        elif alert.status == "acknowledged":
            head[1].caption(f"Acknowledged by {alert.acknowledged_by_name or 'unknown'} at {when(alert.acknowledged_at)}")
            resolve = st.expander("Resolve with a note", key=f"resolve_open_{alert_id}", on_change="rerun")
            # The form is built only when opened: widgets cost per widget already on the page,
            # so a caseload with a hundred acknowledged alerts would otherwise take seconds.
            if resolve.open:
                with resolve, st.form(f"resolve_{alert_id}", border=False):
                    safety = alert.kind == "safety"
                    c1, c2, c3 = st.columns(3)
                    method = c1.selectbox(
                        "How risk was assessed", rules.RISK_ASSESSMENTS if not safety else rules.RISK_ASSESSMENTS[:-1],
                        index=None, key=f"res_method_{alert_id}", placeholder="Choose",
                    )
                    level = c2.selectbox(
                        "Risk level", rules.RISK_LEVELS if not safety else rules.RISK_LEVELS[:-1],
                        index=None, key=f"res_level_{alert_id}", placeholder="Choose",
                    )
                    disposition = c3.selectbox(
                        "Disposition", rules.DISPOSITIONS, index=None, key=f"res_disp_{alert_id}", placeholder="Choose",
                    )
                    c4, c5 = st.columns(2)
                    plan = c4.radio("Safety plan reviewed or updated", ["Yes", "No"], index=None,
                                    key=f"res_plan_{alert_id}", horizontal=True)
                    means = c5.radio("Means-safety counselling given", ["Yes", "No"], index=None,
                                     key=f"res_means_{alert_id}", horizontal=True)
                    note = st.text_area("Note: what was done and the follow-up plan", key=f"res_note_{alert_id}", height=80)
                    if st.form_submit_button("Resolve", type="primary", key=f"res_submit_{alert_id}"):
                        missing = [name for name, v in (("how risk was assessed", method), ("risk level", level),
                                   ("disposition", disposition), ("safety plan reviewed", plan),
                                   ("means-safety counselling", means)) if v is None]
                        if missing:
                            st.error(f"Please answer: {', '.join(missing)}.")
                        else:
                            act(store.resolve_alert, conn, alert_id, user.actor("alerts"), context.now_iso(),
                                rules.Resolution(method, level, plan == "Yes", means == "Yes", disposition, note))
        else:
            head[1].caption(f"Resolved by {alert.resolved_by_name or 'unknown'} at {when(alert.resolved_at)}")
            st.markdown(
                f"**Resolution:** {alert.risk_assessment}; risk {alert.risk_level}; safety plan reviewed: "
                f"{'yes' if alert.safety_plan_reviewed else 'no'}; means-safety counselling: "
                f"{'yes' if alert.means_counselling else 'no'}; **{alert.disposition}**. {alert.note}"
            )
        history = st.expander("History (audit trail)", key=f"alert_history_open_{alert_id}", on_change="rerun")
        if history.open:  # read when opened
            for event in store.alert_history(conn, alert_id).itertuples():
                who = event.who or ("system" if event.role == "system" else event.role or "")
                history.markdown(f"- {when(event.at)} UTC · **{ACTIONS.get(event.action, event.action)}** · {who} ({event.source})")
if len(alerts) > shown:
    st.button(
        f"Show {min(PAGE, len(alerts) - shown)} more ({len(alerts) - shown} not shown)", key="alerts_more",
        on_click=lambda: st.session_state.update(alerts_shown=shown + PAGE),
    )
