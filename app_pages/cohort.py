"""Cohort outcomes (clinic lead).

Spec: de-identified (pseudonymous ids only, never names); active patients, new courses,
response and remission rates at end of induction and at 3 and 6 months with the definitions
and denominators on screen; mean/median trajectories aligned to the first infusion (weeks)
and to infusion number with interquartile bands; by indication and instrument; relapse /
booster counts; open alerts; filters for date range, indication, route and clinician.
"""

from datetime import date, timedelta

import streamlit as st

from progress import REGISTRY, charts, charts_outcomes, cohort, signals, store, survival
from ui import context, downloads
from ui.widgets import empty_state

conn = context.db()
user = context.require_user(conn, "lead")
st.title("Cohort outcomes")
st.caption("De-identified: patients appear by pseudonymous id only.")

if store.is_empty(conn):
    empty_state("No patients yet.")
    st.stop()
downloads.cohort_buttons(user, context.now_iso)  # whole clinic, unfiltered (issue 8)

f1, f2, f3, f4, f5 = st.columns([2, 2, 2, 2, 2])
today = date.today()
period = f1.date_input("First infusion between", value=(today - timedelta(days=365), today), key="co_period", format="YYYY-MM-DD")
indication = f2.selectbox("Indication", ["All", *store.INDICATIONS], key="co_indication")
route = f3.selectbox("Route", ["All", *store.ROUTES], key="co_route")
clinician = f4.selectbox("Clinician", ["All", *store.cohort_clinicians(conn)], key="co_clinician")
measures = [i for i in REGISTRY if not REGISTRY[i].momentary]
instrument_id = f5.selectbox("Measure", measures, format_func=lambda i: REGISTRY[i].short_name, key="co_instrument")
inst = REGISTRY[instrument_id]

# Every figure below is an aggregate the store computes in SQL over per-patient rows kept
# current on each write (progress/store/outcomes.py): nothing here grows with the clinic.
whole_period = isinstance(period, tuple) and len(period) == 2
flt = store.CohortFilter(
    first_from=f"{period[0].isoformat()}T00:00:00Z" if whole_period else None,
    first_to=f"{period[1].isoformat()}T23:59:59Z" if whole_period else None,
    indication=None if indication == "All" else indication,
    route=None if route == "All" else route,
    clinician=None if clinician == "All" else clinician,
)
axis = "infusion" if st.session_state.get("co_align") == "Infusion number" else "week"
chunks = store.cohort_chunks(  # numeric rows, 2,000 patients at a time: memory stays flat
    conn, instrument_id, flt, axis=axis, active_since=(today - timedelta(days=30)).isoformat()
)
figures = cohort.totals(chunks, inst, axis, store.INDICATIONS, as_of=context.now_iso())
view = figures.overview

m = st.columns(5)
m[0].metric("Patients in view", view["patients"], help=f"of {store.clinic_size(conn)} in the clinic")
m[1].metric("Active (check-in in 30 days)", view["active"])
m[2].metric("Completed induction (≥4)", view["completed_induction"])
m[3].metric("Boosters given", view["boosters"])
m[4].metric("Open alerts", view["open_alerts"])

if view["patients"] == 0:
    empty_state("No patients match these filters.")
    st.stop()

left, right = st.columns(2)
with left:
    st.subheader(f"{inst.short_name}: response and remission")
    table = figures.rates
    if table.empty or table["denominator"].sum() == 0:
        empty_state("Not enough paired scores for these filters.")
    else:
        st.plotly_chart(charts.rates_figure(table), key="co_rates", width="stretch")
    st.caption(
        f"Baseline = last {inst.short_name} at or before the first infusion. Response = ≥"
        f"{(inst.outcomes.response_reduction or 0) * 100:.0f} % below baseline {inst.outcomes.response_source}."
        + (f" Remission = below {inst.outcomes.remission_below:g} {inst.outcomes.remission_source}, counted among patients not already below it at baseline."
           if inst.outcomes.remission_below is not None else "")
        + " Each rate shows numerator/denominator: patients with a baseline and a score in the window."
        " End of induction follows McInnes 2022 (14-31 days after the last induction infusion) [S38]."
    )
with right:
    st.subheader("Trajectory from the first infusion")
    align = st.segmented_control("Align to", ["Weeks", "Infusion number"], default="Weeks", key="co_align")
    summary = figures.trajectory()
    st.plotly_chart(charts.cohort_trajectory(None, inst, x=axis, summary=summary), key="co_trajectory", width="stretch")
    st.caption("Median (line), interquartile range (band) and mean (dashed); points with fewer than 3 patients are hidden.")

st.subheader("By indication")
rows = []
for ind in store.INDICATIONS:
    counts = figures.by_indication[ind]
    if counts["patients"] == 0:
        continue
    t = figures.indication_rates(ind)
    first = t[t["label"].str.startswith("Response · End")]
    rows.append({
        "Indication": ind,
        "Patients": counts["patients"],
        "Response at end of induction": f"{int(first['numerator'].sum())}/{int(first['denominator'].sum())}" if len(first) else "—",
        "Boosters": counts["boosters"],
        "Open alerts": counts["open_alerts"],
    })
st.dataframe(rows, hide_index=True, width="stretch")

st.subheader("NHS Talking Therapies outcomes (PHQ-9 and GAD-7)")
tt_rates = figures.tt
st.dataframe(
    [
        {"Outcome": r.label, "Patients": f"{r.numerator}/{r.denominator}",
         "Rate": f"{r.numerator / r.denominator:.0%}" if r.denominator else "—"}
        for r in tt_rates.itertuples()
    ],
    hide_index=True, width="stretch", key="co_tt",
)
st.caption(
    "First score = baseline (last before the first infusion), last = the latest score; courses with at "
    "least two infusions [S48b]. Case = PHQ-9 ≥ 10 and/or GAD-7 ≥ 8; reliable change = PHQ-9 6 / GAD-7 4 "
    "points on at least one measure [S48][S48a][S48e]. Recovery counts only patients who were a case at the start."
)

st.subheader("Durability of response, boosters and review prompts")
d1, d2 = st.columns([3, 2])
with d1:
    days, relapsed_flags, weights = figures.durability()
    if not days:
        empty_state("No patient in view has responded yet.")
    else:
        curve = survival.kaplan_meier(days, relapsed_flags, weights)
        median = survival.median_time(curve)
        responders = sum(weights)
        relapsed = sum(w for r, w in zip(relapsed_flags, weights, strict=True) if r)
        st.plotly_chart(charts_outcomes.km_figure(curve, label="PHQ-9 responders"), key="co_km", width="stretch")
        st.caption(
            f"Kaplan-Meier estimate over {responders} PHQ-9 responders ({relapsed} with a "
            f"booster-review signal; the others are counted until their last check-in), in whole days. Median time to a signal: "
            + (f"**{median:.0f} days**." if median is not None else "not reached.")
            + " Response = first PHQ-9 ≥ 50 % below baseline or below 5 after the first infusion [S50][S51]; "
            "the event is the first booster-review prompt after it (a review prompt, not a confirmed relapse)."
        )
with d2:
    given, years = figures.boosters, figures.years
    st.metric(
        "Boosters per patient-year", f"{given / years:.2f}" if years > 0 else "—",
        help=f"{given} booster infusions over {years:.1f} patient-years (first infusion to last check-in)",
    )
    st.caption(f"{given} boosters / {years:.1f} patient-years followed.")
    st.dataframe(
        [
            {"Open review prompt": signals.TITLES[kind], "Patients": view["open_prompts"][kind],
             "Patients in view": view["patients"]}
            for kind in (signals.BOOSTER_REVIEW, signals.DETERIORATION, signals.NOT_ON_TRACK)
        ],
        hide_index=True, width="stretch", key="co_signals",
    )
    st.caption("Signals are prompts for clinical review, never diagnoses or dosing advice; the patient's chart gives each reason.")
