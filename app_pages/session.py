"""Infusion session record (therapist or nurse, at the chair).

Spec: pick a patient; the route decides the dose unit (mg/kg for IV/IM, 28/56/84 mg for
esketamine devices, mg for oral); date and time, phase, duration; BP and heart rate before,
at ~40 min and at discharge; side effects with severity (the rare serious ones raise an
alert); a CADSS-6 dissociation rating labelled as unvalidated; observation time; discharge
with a driver; esketamine adds lot, sedation, respiratory depression and pulse oximetry for
the REMS form. Saving stores it all in one transaction with its alerts, schedules the
psychotherapy follow-up and links the day's before/after check-ins. The printable form is an
HTML download. Follow-ups are booked (a time within their window) and marked done here.
"""

from datetime import UTC, datetime, time

import pandas as pd
import streamlit as st

from progress import course as course_rules
from progress import session_form, sessions, store
from progress.errors import ProgressError
from progress.sessions import Reading, SessionDetails
from ui import context
from ui.caseload_picker import pick_patient
from ui.widgets import empty_state

conn = context.db()
user = context.require_user(conn, "therapist")
c1, c2, c3 = st.columns(3)
patient_id = pick_patient(conn, user, title="Infusion session", key="sess_patient", page="session", where=c1)
current = store.latest_course(conn, patient_id)
routes = list(sessions.ROUTE_LABELS)
route = c2.selectbox("Route", routes, index=routes.index(current["route"]) if current else 0,
                     format_func=sessions.ROUTE_LABELS.get, key="sess_route")
given = store.list_infusions(conn, patient_id)
induction_done = current is not None and int((given["phase"] == "induction").sum()) >= int(current["planned_induction"])
phase = c3.selectbox("Phase", list(store.PHASES), index=1 if induction_done else 0, key="sess_phase",
                     help="Maintenance is offered once the planned induction series is complete.")
esketamine = route == "intranasal"

with st.form("sess_form", clear_on_submit=False):
    d1, d2, d3 = st.columns(3)
    when_date = d1.date_input("Date", key="sess_date")
    when_time = d2.time_input("Start time (UTC)", value=time(10, 0), key="sess_time")
    d3.number_input("Duration (min)", 1, 600, 40, key="sess_duration")
    if route in sessions.PER_KG_ROUTES:
        st.number_input("Dose (mg/kg)", 0.01, 10.0, 0.5, step=0.05, key="sess_dose_kg",
                        help="0.5 mg/kg over 40 min is the studied IV dose [S35][S37]; the prescriber decides.")
    elif esketamine:
        st.radio("Dose (28 mg devices)", sessions.ESKETAMINE_DOSES_MG, index=1, horizontal=True,
                 format_func=lambda v: f"{v:g} mg", key="sess_dose_mg")
    else:
        st.number_input("Dose (mg)", 1.0, 999.0, 100.0, key="sess_dose_mg")
    st.markdown("**Vitals** (BP systolic / diastolic mmHg, heart rate per minute; leave empty if not taken)")
    for point in sessions.VITALS_POINTS:
        v1, v2, v3 = st.columns(3)
        v1.number_input(f"{sessions.VITALS_LABELS[point]}: systolic", 50, 300, None, key=f"sess_{point}_sys")
        v2.number_input(f"{sessions.VITALS_LABELS[point]}: diastolic", 20, 200, None, key=f"sess_{point}_dia")
        v3.number_input(f"{sessions.VITALS_LABELS[point]}: heart rate", 20, 250, None, key=f"sess_{point}_hr")
    st.number_input("Lowest SpO2 % (pulse oximetry; empty if not taken)", 50, 100, None, key="sess_spo2")
    for heading, names in (("**Side effects** (choose a severity for each one seen)", sessions.SIDE_EFFECTS),
                           ("**Rare serious side effects** (each raises an alert for review)", sessions.SERIOUS_SIDE_EFFECTS)):
        st.markdown(heading)
        for start in range(0, len(names), 3):  # row by row, so a phone keeps the list order
            for col, name in zip(st.columns(3), names[start:start + 3], strict=False):
                col.selectbox(name, ["—", *sessions.SEVERITIES], key=f"sess_fx_{name}")
    o1, o2 = st.columns(2)
    o1.number_input(sessions.CADSS6_LABEL + "; empty if not rated", 0, sessions.CADSS6_MAX, None, key="sess_cadss6")
    o2.selectbox("Sedation (plain scale, not validated)", ["not recorded", *sessions.SEDATION_LEVELS], key="sess_sedation")
    o1.number_input("Observation / monitoring time (min)", 0, 1440, 120 if esketamine else 60, key="sess_observation")
    o2.checkbox("Respiratory depression", key="sess_resp")
    st.checkbox("Discharged with a driver", key="sess_driver")
    st.text_input("Device lot (required for esketamine)" if esketamine else "Lot (optional)", key="sess_lot")
    st.text_area("Notes", key="sess_notes", max_chars=2000)
    submitted = st.form_submit_button("Save session", type="primary")
result_box = st.container()  # the outcome of a save, right under the button that was pressed


def _opt(value: int | None) -> int | None:
    return None if value is None else int(value)


def _details() -> SessionDetails:
    ss = st.session_state
    vitals = {}
    for point in sessions.VITALS_POINTS:
        r = Reading(_opt(ss[f"sess_{point}_sys"]), _opt(ss[f"sess_{point}_dia"]), _opt(ss[f"sess_{point}_hr"]))
        if any(x is not None for x in vars(r).values()):
            vitals[point] = r
    return SessionDetails(
        duration_min=int(ss["sess_duration"]),
        observation_min=int(ss["sess_observation"]),
        vitals=vitals,
        spo2_lowest=_opt(ss["sess_spo2"]),
        side_effects={n: ss[f"sess_fx_{n}"] for n in sessions.SIDE_EFFECTS + sessions.SERIOUS_SIDE_EFFECTS if ss[f"sess_fx_{n}"] != "—"},
        cadss6=_opt(ss["sess_cadss6"]),
        sedation=None if ss["sess_sedation"] == "not recorded" else ss["sess_sedation"],
        respiratory_depression=bool(ss["sess_resp"]),
        lot=ss["sess_lot"],
        driver=bool(ss["sess_driver"]),
        notes=ss["sess_notes"],
    )


if submitted:
    details = _details()
    per_kg = route in sessions.PER_KG_ROUTES
    try:
        saved = store.record_session(
            conn, patient_id,
            administered_at=datetime.combine(when_date, when_time, tzinfo=UTC).isoformat(),
            route=route, phase=phase, details=details,
            dose_mg_per_kg=float(st.session_state["sess_dose_kg"]) if per_kg else None,
            dose_mg=None if per_kg else float(st.session_state["sess_dose_mg"]),
            course_id=int(current["id"]) if current else None, actor=user.actor("session"),
        )
    except ProgressError as exc:
        result_box.error(f"Not saved: {exc}")
    else:
        result_box.success(f"Session saved (infusion {saved.infusion_id}); {saved.linked_checkins} same-day check-in(s) linked.")
        for flag in saved.flags:
            result_box.warning(f"Vitals flag: {flag}", icon=":material/warning:")
        if saved.alert_ids:
            result_box.error(f"{len(saved.alert_ids)} alert(s) raised for clinical review.", icon=":material/notification_important:")
        for problem in sessions.rems_problems(details) if esketamine else []:
            result_box.warning(f"REMS form: {problem}")
        for note in sessions.discharge_notes(details, route):
            result_box.info(note)

history = store.list_sessions(conn, patient_id)
st.subheader("Sessions", anchor=False)
if history.empty:
    empty_state("No sessions recorded for this patient yet.")
else:
    last = history.iloc[-1].to_dict()
    dose = f"{last['dose_mg_per_kg']:g} mg/kg" if pd.notna(last["dose_mg_per_kg"]) else f"{last['dose_mg']:g} mg"
    html = session_form.render_html(
        patient_id=patient_id, administered_at=last["administered_at"], route=last["route"], phase=last["phase"],
        dose=dose, details=store.session_details(last), clinician=user.display_name,
    )
    b1, b2 = st.columns(2)
    b1.download_button("Printable form, latest session (HTML)", html, file_name=f"session-{patient_id}-{last['id']}.html",
                       mime="text/html", key="sess_download")
    if b2.button("Link today's check-ins to the latest session", key="sess_link"):
        n = store.link_checkins(conn, int(last["id"]), user.actor("session"), context.now_iso())
        st.success(f"{n} check-in(s) linked.")
    st.caption(f"{len(history)} session(s); the per-session summary is on the patient chart.")

st.subheader("Psychotherapy follow-ups", anchor=False)
st.caption("Due 24-48 h after each infusion by default (clinic settings followup.from_hours / followup.until_hours).")
followups = store.list_followups(conn, patient_id)
now = context.now_iso()
pending = [f for f in followups.to_dict("records") if not isinstance(f["done_at"], str)]
if not pending:
    empty_state("No follow-up waiting.")
for f in pending[-5:]:
    fid = int(f["id"])
    status = course_rules.followup_status(f, as_of=now)
    booked = f" · booked {f['scheduled_at'][:16].replace('T', ' ')}" if isinstance(f["scheduled_at"], str) else ""
    with st.container(border=True):
        st.markdown(f"After infusion of {f['infusion_at'][:16].replace('T', ' ')} · due {f['due_from'][:16].replace('T', ' ')} "
                    f"to {f['due_until'][:16].replace('T', ' ')} UTC · **{status}**{booked}")
        g1, g2, g3, g4 = st.columns([2, 2, 1, 1], vertical_alignment="bottom")
        g1.date_input("Book on", value=datetime.fromisoformat(f["due_from"][:10]).date(), key=f"sess_fu_date_{fid}")
        g2.time_input("at (UTC)", value=time(15, 0), key=f"sess_fu_time_{fid}")
        if g3.button("Book", key=f"sess_fu_book_{fid}"):
            at = datetime.combine(st.session_state[f"sess_fu_date_{fid}"], st.session_state[f"sess_fu_time_{fid}"], tzinfo=UTC)
            store.schedule_followup(conn, fid, at.isoformat(), user.actor("session"), now)
            st.rerun()
        if g4.button("Mark done", key=f"sess_fu_done_{fid}"):
            store.complete_followup(conn, fid, user.actor("session"), now)
            st.rerun()
