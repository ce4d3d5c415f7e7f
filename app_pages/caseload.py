"""Therapist caseload.

Spec: every patient in the signed-in therapist's care (and only those), one row each, with
latest PHQ-9 / GAD-7 / PCL-5 / PEG and band, change since baseline, status (responding, in
remission, not yet responding, signal open), open review prompts (booster review, reliable
deterioration, not on track), days since last check-in and overdue, open alerts; sortable; selecting a row opens that patient's chart. Reads summaries only.
"""

import streamlit as st

from progress import caseload, store
from ui import context
from ui.widgets import empty_state

conn = context.db()
user = context.require_user(conn, "therapist")
st.title("Caseload")

table = caseload.caseload_table(store.caseload(conn, user.id), as_of=context.now_iso())
if table.empty:
    empty_state("No patients are assigned to you yet.")
    st.stop()

c1, c2, c3, c4 = st.columns(4)
c1.metric("Patients", len(table))
c2.metric("Open alerts", int(table["open_alerts"].sum()), help="Safety alerts waiting for a clinician")
c3.metric("Overdue check-ins", int(table["overdue"].sum()))
c4.metric("Responding or in remission", int(table["phq9_status"].isin(["responding", "in remission"]).sum()))

show = st.segmented_control(
    "Show", ["All", "Signal open", "Overdue", "Not yet responding"], default="All", key="caseload_filter"
)
view = table
if show == "Signal open":
    view = table[(table["open_alerts"] > 0) | (table["signals"] != "")]
elif show == "Overdue":
    view = table[table["overdue"]]
elif show == "Not yet responding":
    view = table[table["phq9_status"] == "not yet responding"]

columns = {
    "patient_id": st.column_config.TextColumn("Patient", width="small"),
    "status": st.column_config.TextColumn("Status"),
    "open_alerts": st.column_config.NumberColumn("Alerts", format="%d ⚠", help="Open alerts"),
    "signals": st.column_config.TextColumn(
        "Signals", help="Review prompts from the score history (booster review, deterioration, "
        "not on track); the chart gives each one's reason"),
    "phq9": st.column_config.NumberColumn("PHQ-9", format="%d"),
    "phq9_band": st.column_config.TextColumn("PHQ-9 band"),
    "phq9_change": st.column_config.NumberColumn("PHQ-9 Δ", format="%+d", help="Change since baseline"),
    "gad7": st.column_config.NumberColumn("GAD-7", format="%d"),
    "gad7_change": st.column_config.NumberColumn("GAD-7 Δ", format="%+d"),
    "pcl5": st.column_config.NumberColumn("PCL-5", format="%d"),
    "peg": st.column_config.NumberColumn("PEG", format="%.1f"),
    "phase": st.column_config.TextColumn("Phase"),
    "infusions": st.column_config.NumberColumn("Infusions", format="%d"),
    "days_since_checkin": st.column_config.NumberColumn("Days since check-in", format="%d"),
    "overdue": st.column_config.CheckboxColumn("Overdue"),
    "indications": st.column_config.TextColumn("Indications"),
}
event = st.dataframe(
    view[list(columns)],
    column_config=columns,
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="caseload_table",
)
st.caption("Select a row to open the patient's chart. Click a column header to sort.")
rows = event["selection"]["rows"] if event else []
if rows:
    context.audit_once(conn, user, "record.open", "caseload", view.iloc[rows[0]]["patient_id"])
    st.session_state["chart_patient"] = view.iloc[rows[0]]["patient_id"]
    st.switch_page("app_pages/chart.py", query_params={"patient": view.iloc[rows[0]]["patient_id"]})
