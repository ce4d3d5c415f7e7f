"""Alerts.

Spec: a therapist sees alerts for their caseload, a lead every alert (pseudonymous ids);
open alerts first, each with its reason; "Acknowledge" records who and when and an audit
event; alerts are never deleted.
"""

import streamlit as st

from progress import auth, store
from progress.errors import ProgressError
from ui import context
from ui.widgets import empty_state

conn = context.db()
user = context.require_user(conn, "therapist", "lead")
st.title("Alerts")
scope = auth.visible_patient_ids(conn, user) if user.role == "therapist" else None
status = st.segmented_control("Show", ["open", "acknowledged", "all"], default="open", key="alerts_status")
alerts = store.list_alerts(conn, patient_ids=scope, status=None if status in (None, "all") else status)

if alerts.empty:
    empty_state("No alerts to show." if status != "open" else "No open alerts. Well done.")
    st.stop()

st.caption(f"{len(alerts)} alert(s). Alerts are prompts for clinical review; they are never deleted.")
for alert in alerts.itertuples():
    with st.container(border=True):
        head = st.columns([3, 1])
        head[0].markdown(
            f"**{alert.kind.title()} · {alert.severity}** · patient `{alert.patient_id}` · raised {alert.created_at.replace('T', ' ')[:16]} UTC"
        )
        head[0].write(alert.reason)
        if alert.status == "open":
            if head[1].button("Acknowledge", key=f"ack_{alert.id}", type="primary"):
                try:
                    store.acknowledge_alert(conn, int(alert.id), user.actor("alerts"), context.now_iso())
                except ProgressError as exc:
                    st.error(str(exc))
                else:
                    st.rerun()
        else:
            head[1].caption(
                f"Acknowledged by {alert.acknowledged_by_name or 'unknown'} at "
                f"{(alert.acknowledged_at or '').replace('T', ' ')[:16]}"
            )
        if user.role == "therapist":
            head[1].page_link("app_pages/chart.py", label="Open chart", query_params={"patient": alert.patient_id})
