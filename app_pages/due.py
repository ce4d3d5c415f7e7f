"""Due and overdue.

Spec: for the signed-in therapist's caseload only, every measure due now (intake baselines,
weekly and monthly measures, the first after a booster) with why, overdue ones first; the
patients with an infusion today and the "right now" ratings still to give; a way to start a
patient's check-in on the clinic tablet. Reads summaries (one query) plus today's ratings of
the patients infused today. The rules are in progress.schedule.
"""

import streamlit as st

from progress import REGISTRY, schedule, store
from ui import context
from ui.widgets import CONTEXT_LABELS, empty_state

conn = context.db()
user = context.require_user(conn, "therapist")
st.title("Due and overdue")
now = context.now_iso()
caseload = store.caseload(conn, user.id)
if caseload.empty:
    empty_state("No patients are assigned to you yet.")
    st.stop()
due = schedule.caseload_due(caseload, as_of=now)

c1, c2, c3 = st.columns(3)
c1.metric("Patients with something due", due["patient_id"].nunique())
c2.metric("Measures due", len(due))
c3.metric("Overdue", int(due["overdue"].sum()) if len(due) else 0)

st.markdown("#### Infusion today")
today = caseload.drop_duplicates("patient_id")
today = today[today["last_infusion_at"].fillna("").str.startswith(now[:10])]
rows = []
for p in today.itertuples():
    inds = [i for i in str(p.indications or "").split(",") if i]
    taken = store.load_series(conn, p.patient_id, since=now[:10] + "T00:00:00Z")
    for d in schedule.infusion_day_due(
        inds, as_of=now, infusion_at=p.last_infusion_at,
        taken_today=zip(taken["instrument"], taken["context"], taken["administered_at"], strict=True),
    ):
        rows.append({"Patient": p.patient_id, "Rating": REGISTRY[d.instrument].short_name,
                     "When": CONTEXT_LABELS[d.context], "Why": d.reason})
if rows:
    st.dataframe(rows, hide_index=True, width="stretch", key="due_today")
else:
    st.caption("No infusion recorded today is waiting for its before/after ratings.")

st.markdown("#### Questionnaires")
if due.empty:
    empty_state("Nothing is due in your caseload right now.")
    st.stop()
only_overdue = st.toggle("Overdue only", key="due_overdue_only")
view = due[due["overdue"]] if only_overdue else due
table = view.assign(
    measure=view["instrument"].map(lambda i: REGISTRY[i].short_name),
    recall=view["instrument"].map(lambda i: REGISTRY[i].recall_text),
    occasion=view["context"].map(lambda c: CONTEXT_LABELS.get(c, c)),
)
st.dataframe(
    table[["patient_id", "measure", "occasion", "reason", "recall", "overdue"]],
    column_config={
        "patient_id": st.column_config.TextColumn("Patient", width="small"),
        "measure": st.column_config.TextColumn("Measure", width="small"),
        "occasion": st.column_config.TextColumn("Occasion", width="small"),
        "reason": st.column_config.TextColumn("Why"),
        "recall": st.column_config.TextColumn("Recall period"),
        "overdue": st.column_config.CheckboxColumn("Overdue", width="small"),
    },
    hide_index=True,
    width="stretch",
    key="due_table",
)
st.caption(
    f"Overdue means more than {schedule.GRACE_DAYS} days past due. Overdue patients with an "
    "e-mail address get a reminder from the clinic's daily reminder run."
)
patients = list(dict.fromkeys(view["patient_id"]))
cols = st.columns([2, 1], vertical_alignment="bottom")
picked = cols[0].selectbox("Patient", patients, key="due_patient")
if cols[1].button("Start on the clinic tablet", key="due_tablet", icon=":material/tablet:"):
    st.switch_page("app_pages/tablet.py", query_params={"patient": picked})
