"""Patient chart (therapist, in session on a laptop or shared screen).

Spec: a therapist opens patients in their caseload; any other patient (a query parameter naming
one, or a lead opening a record by id) needs a stated reason first (break-glass, through
progress.access: audited and listed for the leads), and nothing of that record is drawn before
it; opening a chart is audited. Shows
course plan versus actual, open alerts with reasons, and per measure: the trend with severity
bands, cut-off lines, infusion markers by phase and the induction period shaded; baseline,
nadir, change, response / remission / reliable-change status; an item heatmap. "Right now"
ratings show pre/post-infusion deltas. Infusions with side effects. A date range control.
"""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from progress import REGISTRY, auth, charts, course, deltas, signals, store, timeline
from ui import context, downloads
from ui.widgets import CONTEXT_LABELS, empty_state, fmt_total

conn = context.db()
user = context.require_user(conn, "therapist", "lead")
patients = auth.visible_patient_ids(conn, user)
wanted = st.query_params.get("patient") or st.session_state.get("chart_patient") or (patients[0] if patients else None)
if wanted is None:  # a lead, or a therapist with no caseload: a record opens only by id, break-glass
    st.title("Patient chart")
    empty_state("No patients are assigned to you. To open a record outside your caseload, enter its id; you will be asked why.")
    typed = st.text_input("Patient id", key="chart_open_id").strip()
    if not typed:
        st.stop()
    wanted = typed
record = context.open_record(conn, user, wanted, "chart")  # policy (progress.access), break-glass, audit

header = st.container()  # filled once the patient is known, drawn above the controls
top = st.columns([2, 3])
options = patients if wanted in patients else [wanted, *patients]
patient_id = top[0].selectbox("Patient", options, index=options.index(wanted), key="chart_patient_select")
if patient_id != wanted:
    st.query_params["patient"] = patient_id
    st.session_state["chart_patient"] = patient_id
    record = context.open_record(conn, user, patient_id, "chart")

patient, infusions, summaries, all_series = record.patient, record.infusions, record.summaries, record.series
today = date.today()
start_default = (
    date.fromisoformat(all_series["administered_at"].iloc[0][:10]) if len(all_series) else today - timedelta(days=90)
)
picked = top[1].date_input(
    "Date range", value=(start_default, today), key="chart_range", max_value=today, format="YYYY-MM-DD"
)
date_range = None
if isinstance(picked, tuple) and len(picked) == 2:
    date_range = (f"{picked[0].isoformat()}T00:00:00Z", f"{picked[1].isoformat()}T23:59:59Z")

header.title(f"Patient {patient_id}")
header.caption(
    f"Indications: {patient['indications'].replace(',', ', ') or 'not recorded'} · "
    + " · ".join(course.plan_lines(store.latest_course(conn, patient_id), infusions, as_of=context.now_iso()))
)
with header:  # one-page therapist session summary (issue 8), built when clicked
    downloads.session_summary_button(conn, user, patient_id, context.now_iso)

alerts = store.list_alerts(conn, patient_ids=[patient_id], status="open")
for alert in alerts.itertuples():
    st.warning(f"**Open {alert.kind} alert** ({alert.severity}, {alert.created_at[:10]}): {alert.reason}", icon=":material/warning:")
if len(alerts):
    st.page_link("app_pages/alerts.py", label="Review and acknowledge alerts", icon=":material/notification_important:")

if summaries.empty:
    empty_state("No check-ins yet for this patient.")
    st.stop()

present = [i for i in REGISTRY if i in set(summaries["instrument"])]
periodic = [i for i in present if not REGISTRY[i].momentary]
momentary = [i for i in present if REGISTRY[i].momentary]
by_inst = summaries.set_index("instrument")

metric_cols = st.columns(max(len(periodic), 1) + 1)
metric_cols[0].metric("Infusions", len(infusions), help="All phases")
for col, instrument_id in zip(metric_cols[1:], periodic, strict=False):
    row = by_inst.loc[instrument_id]
    delta = None if pd.isna(row["change"]) else f"{row['change']:+g} since baseline"
    col.metric(
        f"{REGISTRY[instrument_id].short_name} · {row['status']}",
        f"{fmt_total(row['latest_total'])}{' ' + row['latest_band'] if row['latest_band'] else ''}",
        delta=delta,
        delta_color="inverse",
    )

tab_names = [REGISTRY[i].short_name for i in periodic]
tab_names += ["Infusion-day ratings"] if momentary else []
tab_names += ["Course timeline", "Sessions"]
# Only the open tab runs (on_change="rerun"): a two-year chart draws one trend per rerun, not
# every figure of every tab.
tabs = st.tabs(tab_names, key="chart_tab", on_change="rerun")

signal_rows = store.list_signals(conn, patient_id=patient_id)
for tab, instrument_id in zip(tabs, periodic, strict=False):
    if not tab.open:
        continue
    inst = REGISTRY[instrument_id]
    row = by_inst.loc[instrument_id]
    series = all_series[all_series["instrument"] == instrument_id]
    mine = signal_rows[signal_rows["instrument"] == instrument_id]
    with tab:
        for sig in mine[mine["active"] == 1].itertuples():
            st.info(f"**{signals.TITLES[sig.kind]}** ({sig.at[:10]}): {sig.reason}", icon=":material/flag:")
        raising = {t for pts in mine.loc[mine["active"] == 1, "points"] for t in pts}  # open prompts only
        ringed = series.loc[series["administered_at"].isin(raising), "id"]
        st.plotly_chart(
            charts.trend_figure(series, inst, infusions, date_range=date_range, highlight=ringed.tolist()),
            key=f"chart_trend_{instrument_id}",
            width="stretch",
        )
        rc = inst.outcomes.reliable_change
        facts = [
            f"Baseline **{fmt_total(row['baseline_total'])}**" if not pd.isna(row["baseline_total"]) else "No baseline before the first infusion",
            f"lowest **{fmt_total(row['nadir_total'])}** ({row['nadir_at'][:10]})",
            f"latest **{fmt_total(row['latest_total'])}** ({row['latest_at'][:10]})",
            f"status: **{row['status']}**",
        ]
        if row["reliable"]:
            facts.append(f"reliable change (±{rc:g} points {inst.outcomes.reliable_change_source}): **{row['reliable']}**")
        st.markdown(" · ".join(facts))
        st.caption(
            f"{inst.recall_text} (recall {inst.recall_period}); weekly points overlap in recall. "
            f"Response = ≥{(inst.outcomes.response_reduction or 0) * 100:.0f} % below baseline {inst.outcomes.response_source}"
            + (f"; remission = below {inst.outcomes.remission_below:g} {inst.outcomes.remission_source}" if inst.outcomes.remission_below else "")
            + "."
        )
        earlier = mine[mine["active"] == 0]
        if len(earlier):
            with st.expander(f"Earlier signals ({len(earlier)}), now closed"):
                for sig in earlier.itertuples():
                    st.markdown(f"- **{signals.TITLES[sig.kind]}** ({sig.at[:10]}): {sig.reason}")
        items = st.expander("Items over time: which symptoms moved", key=f"chart_items_open_{instrument_id}", on_change="rerun")
        if items.open:  # drawn when opened
            answers = store.load_answers(conn, patient_id, instrument_id)
            items.plotly_chart(charts.item_heatmap(answers, inst), key=f"chart_items_{instrument_id}", width="stretch")

if momentary and tabs[len(periodic)].open:
    with tabs[len(periodic)]:
        st.caption(
            "Same-day before/after comparisons use only 'right now' ratings: PHQ-9 and GAD-7 ask "
            "about 2 weeks and cannot show a change within a day. These ratings are not validated scales."
        )
        for instrument_id in momentary:
            inst = REGISTRY[instrument_id]
            table = deltas.prepost_deltas(all_series[all_series["instrument"] == instrument_id], infusions, instrument_id)
            st.markdown(f"**{inst.short_name}** (0-10, higher is worse)")
            st.plotly_chart(charts.prepost_figure(table, inst), key=f"chart_prepost_{instrument_id}", width="stretch")

if tabs[-2].open:
    with tabs[-2]:
        sessions, followups = store.list_sessions(conn, patient_id), store.list_followups(conn, patient_id)
        events = timeline.course_events(sessions, followups, store.list_alerts(conn, patient_ids=[patient_id]))
        st.plotly_chart(timeline.timeline_figure(all_series, events, REGISTRY), key="chart_timeline", width="stretch")
        st.caption(
            "Scores are drawn as a percentage of each scale's range (hover for the score); beneath them "
            "every infusion, side effect, vitals flag, psychotherapy follow-up and alert on the same dates."
        )
if tabs[-1].open:
    with tabs[-1]:
        sessions, followups = store.list_sessions(conn, patient_id), store.list_followups(conn, patient_id)
        if sessions.empty:
            empty_state("No infusions recorded yet.")
        else:
            st.dataframe(timeline.session_table(sessions), hide_index=True, width="stretch", key="chart_sessions")
            st.caption("BP in mmHg · heart rate; flags are prompts for review, with their sources.")
        if len(followups):
            now = context.now_iso()
            done = int(followups["done_at"].notna().sum())
            late = [course.followup_status(f, as_of=now) for f in followups.to_dict("records")].count("overdue")
            st.markdown(f"**Psychotherapy follow-ups:** {done} of {len(followups)} done" + (f", **{late} overdue**" if late else ""))
        st.page_link("app_pages/session.py", label="Record a session", icon=":material/vaccines:")

st.caption("Context labels: " + ", ".join(CONTEXT_LABELS.values()) + ". Signals are prompts for clinical review, not diagnoses or dosing advice.")
