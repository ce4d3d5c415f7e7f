"""My progress (patient, phone first).

Spec: for each measure the patient has completed, a plain-language sentence ("your depression
score has gone from 19 (moderately severe) to 8 (mild) since you started") and the same trend
chart the therapist sees, simplified; an empty state before the first check-in. Only the
signed-in patient's own record is ever read.
"""

import streamlit as st

from progress import REGISTRY, access, charts, narrative
from ui import context
from ui.widgets import empty_state

conn = context.db()
user = context.require_user(conn, "patient")
patient_id = user.patient_id
record = context.audit_view(conn, user, patient_id, "my_progress")  # read once, used below

st.title("My progress")
summaries = record.summaries
if summaries.empty:
    empty_state("No check-ins yet. Your progress will appear here after your first check-in.")
    st.stop()

infusions = record.infusions
order = [i for i in REGISTRY if i in set(summaries["instrument"])]
periodic = [i for i in order if not REGISTRY[i].momentary]
for instrument_id in periodic:
    inst = REGISTRY[instrument_id]
    row = summaries.set_index("instrument").loc[instrument_id]
    st.subheader(inst.short_name)
    st.write(
        narrative.progress_sentence(
            inst,
            row["baseline_total"],
            inst.band_for(row["baseline_total"]),
            row["latest_total"],
            row["latest_band"],
            int(row["n"]),
        )
    )
    series = record.series[record.series["instrument"] == instrument_id]
    st.plotly_chart(
        charts.trend_figure(series, inst, infusions, simplified=True),
        key=f"trend_{instrument_id}",
        width="stretch",
        config={"displayModeBar": False},
    )
    st.caption(f"{inst.recall_text} · shaded areas show the score ranges · markers along the bottom are your infusions")

if infusions.shape[0]:
    st.caption(f"Infusions so far: {len(infusions)} (most recent: {infusions['phase'].iloc[-1]}).")

st.page_link("app_pages/checkin.py", label="Go to check-in", icon=":material/edit_note:")

with st.expander("Who has looked at my record"):
    log = access.access_log(conn, user, patient_id, at=context.now_iso(), source="my_progress")
    others = log[log["role"] != "patient"]
    if others.empty:
        st.write("Nobody but you has opened your record yet.")
    else:
        st.caption("Every time someone at the clinic opens or exports your record, it is logged here.")
        st.dataframe(others, hide_index=True, width="stretch", key="my_access_log")
