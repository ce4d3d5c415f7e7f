"""Intake screening and the treatment plan (therapist, in clinic).

Spec: pick a patient from the caseload; record indications, prior treatments, possible
contraindications (with the esketamine label's own), interacting medicines with the
benzodiazepine dose, and the structured misuse questions. Saving never decides anything: it
lists the "needs physician review" flags, and a physician marks the record reviewed (who and
when are stored). Baseline scores for the patient's indications are shown, with a link to
record them. The plan: induction count and window, maintenance interval and count, boosters.
"""

import streamlit as st

from progress import REGISTRY, schedule, screening, store
from progress import course as course_rules
from progress.errors import ProgressError
from ui import context
from ui.caseload_picker import pick_patient
from ui.widgets import fmt_total

conn = context.db()
user = context.require_user(conn, "therapist")
patient_id = pick_patient(conn, user, title="Intake and plan", key="intake_patient", page="intake")
patient = store.get_patient(conn, patient_id)
indications = [i for i in patient["indications"].split(",") if i]
labels = {q.id: q.label + ("" if q.confirmed else " ¹") for q in (*screening.CONTRAINDICATIONS, *screening.MEDICINES)}

st.subheader("Screening", anchor=False)
records_box = st.container()  # the patient's screenings, drawn once a save below has landed
has_screening = not store.list_screenings(conn, patient_id).empty
with st.expander("New screening" if has_screening else "Screening form", expanded=not has_screening), st.form("intake_form"):
    st.multiselect("Indications", [q.id for q in screening.INDICATIONS], default=indications,
                   format_func=lambda i: screening.question(i).label, key="intake_indications")
    st.multiselect("Chronic pain conditions", list(screening.PAIN_CONDITIONS), key="intake_pain")
    c1, c2 = st.columns([1, 2])
    c1.number_input("Antidepressant trials", min_value=0, max_value=50, step=1, value=0, key="intake_trials")
    c2.multiselect("Other treatments tried [S44]", [q.id for q in screening.PRIOR_TREATMENTS],
                   format_func=lambda i: screening.question(i).label, key="intake_prior")
    st.checkbox("Esketamine (Spravato) is being considered", key="intake_esketamine")
    st.multiselect("Possible contraindications (answer yes to any that apply)",
                   [q.id for q in screening.CONTRAINDICATIONS], format_func=labels.get, key="intake_contra")
    st.multiselect("Interacting medicines", [q.id for q in screening.MEDICINES], format_func=labels.get, key="intake_meds")
    st.number_input("Benzodiazepine: daily dose, mg diazepam equivalents (if taken)", min_value=0.0,
                    max_value=500.0, step=0.5, value=0.0, key="intake_bzd")
    st.markdown("**Substance use and abuse risk**")
    st.caption(screening.MISUSE_LABEL)
    for q in screening.MISUSE_QUESTIONS:
        st.radio(q.label, ["no", "yes"], horizontal=True, key=f"intake_misuse_{q.id}")
    st.text_area("Notes", key="intake_notes", max_chars=2000)
    st.caption("¹ On the clinic's list; not confirmed item by item in the clinical reference (§3.3).")
    saved = st.form_submit_button("Save screening", type="primary")

if saved:
    meds = st.session_state["intake_meds"]
    record = {
        "indications": st.session_state["intake_indications"],
        "pain_conditions": st.session_state["intake_pain"],
        "prior_treatments": st.session_state["intake_prior"],
        "antidepressant_trials": int(st.session_state["intake_trials"]),
        "contraindications": st.session_state["intake_contra"],
        "medicines": meds,
        "benzodiazepine_mg": float(st.session_state["intake_bzd"]) if "benzodiazepine" in meds else None,
        "misuse": [q.id for q in screening.MISUSE_QUESTIONS if st.session_state[f"intake_misuse_{q.id}"] == "yes"],
        "esketamine": st.session_state["intake_esketamine"],
        "notes": st.session_state["intake_notes"],
    }
    try:
        sid = store.add_screening(conn, patient_id, record, screened_at=context.now_iso(),
                                  entered_by=user.id, actor=user.actor("intake"))
    except ProgressError as exc:
        st.error(f"Not saved: {exc}")
    else:
        st.success(f"Screening saved (record {sid}). It needs a physician's review before the course starts.")

screenings = store.list_screenings(conn, patient_id)
if screenings.empty:
    records_box.caption("No screening recorded for this patient yet.")
for row in screenings.itertuples():
    with records_box.container(border=True):
        head = f"**Screening of {row.screened_at[:10]}**"
        if row.reviewed_at:
            st.markdown(f"{head} · reviewed by {row.reviewed_by_name} on {row.reviewed_at.replace('T', ' ')[:16]} UTC")
        else:
            st.markdown(f"{head} · **needs physician review**")
        rec = row.record
        tried = [screening.question(t).label for t in rec.get("prior_treatments", [])]
        st.caption(
            f"Indications: {', '.join(screening.question(i).label for i in rec.get('indications', [])) or 'none recorded'}"
            f" · antidepressant trials: {rec.get('antidepressant_trials', 0)}"
            f" · also tried: {', '.join(tried) or 'none recorded'}"
            + (" · esketamine considered" if rec.get("esketamine") else "")
        )
        for flag in row.flags:
            st.warning(f"Needs physician review: {flag['text']} {flag['source']}", icon=":material/stethoscope:")
        if not row.flags:
            st.caption("No answer on this record needs review.")
        if not row.reviewed_at:
            note = st.text_input("Review note", key=f"intake_review_note_{row.id}")
            if st.button("Mark reviewed by me", key=f"intake_review_{row.id}"):
                try:
                    store.review_screening(conn, int(row.id), user.actor("intake"), context.now_iso(), note)
                except ProgressError as exc:
                    st.error(str(exc))
                else:
                    st.rerun()

st.subheader("Baseline scores", anchor=False)
due = [i for i, (_, needs) in schedule.CADENCE.items() if not needs or any(n in indications for n in needs)]
series = store.load_series(conn, patient_id)
intake = series[series["context"] == "intake"]
cols = st.columns(max(len(due), 1))
for col, instrument_id in zip(cols, due, strict=False):
    got = intake[intake["instrument"] == instrument_id]
    value = fmt_total(got["total"].iloc[0]) if len(got) else "not yet"
    col.metric(f"{REGISTRY[instrument_id].short_name} at intake", value)
st.page_link("app_pages/record.py", label="Record a baseline check-in (choose 'Intake')", icon=":material/assignment_add:")

st.subheader("Treatment plan", anchor=False)
current = store.latest_course(conn, patient_id)
route_choices = list(store.ROUTES)
with st.form("plan_form"):
    p1, p2, p3 = st.columns(3)
    p1.selectbox("Route", route_choices, index=route_choices.index(current["route"]) if current else 0, key="plan_route")
    p2.number_input("Induction infusions", 1, 30, int(current["planned_induction"]) if current else course_rules.DEFAULT_INDUCTION, key="plan_induction")
    p3.number_input("Induction window (days)", 1, 180, int(current["induction_window_days"]) if current else course_rules.DEFAULT_WINDOW_DAYS, key="plan_window")
    m1, m2 = st.columns(2)
    m1.number_input("Maintenance every (days, 0 = none planned)", 0, 365, int((current or {}).get("maintenance_every_days") or 0), key="plan_every")
    m2.number_input("Maintenance infusions planned (0 = open)", 0, 100, int((current or {}).get("planned_maintenance") or 0), key="plan_maint")
    st.text_input("Booster plan", value=(current or {}).get("booster_plan") or "", key="plan_booster",
                  placeholder="e.g. review for a booster if PHQ-9 rises by 5 or more")
    st.caption("Typical induction: 6 infusions within about 21 days [S35][S39]; 4-8 over 7-28 days in practice [S38].")
    plan_saved = st.form_submit_button("Save plan", type="primary")

if plan_saved:
    args = dict(
        planned_induction=int(st.session_state["plan_induction"]),
        induction_window_days=int(st.session_state["plan_window"]),
        maintenance_every_days=int(st.session_state["plan_every"]) or None,
        planned_maintenance=int(st.session_state["plan_maint"]) or None,
        booster_plan=st.session_state["plan_booster"],
    )
    try:
        if current is None:
            store.add_course(conn, patient_id, started_at=context.now_iso(), route=st.session_state["plan_route"],
                             actor=user.actor("intake"), **args)
        else:
            store.update_plan(conn, int(current["id"]), route=st.session_state["plan_route"],
                              actor=user.actor("intake"), at=context.now_iso(), **args)
    except ProgressError as exc:
        st.error(f"Plan not saved: {exc}")
    else:
        st.success("Plan saved.")
        for note in course_rules.check_plan(args["planned_induction"], args["induction_window_days"]):
            st.info(note)
        current = store.latest_course(conn, patient_id)

for line in course_rules.plan_lines(current, store.list_infusions(conn, patient_id), as_of=context.now_iso()):
    st.markdown(f"- {line}")
