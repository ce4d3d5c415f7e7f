"""Entry point: page config, the sign-in gate, and navigation built from the signed-in role.

Run with ``streamlit run dashboard.py``. With no database present, the demo clinic is built
first (synthetic data only). Pages live in app_pages/ (never pages/: a deep link to a file in
a pages/ folder could run it without this gate).
"""

import os
from pathlib import Path

import streamlit as st

from progress.auth import ROLE_PAGES
from ui import context, tablet

HERE = Path(__file__).resolve().parent
os.environ.setdefault("PROGRESS_VALIDATE_FIGURES", "0")  # checked in tests; ~30 ms a figure here
PAGES = {
    "checkin": ("app_pages/checkin.py", "Check-in", ":material/edit_note:"),
    "my_progress": ("app_pages/my_progress.py", "My progress", ":material/show_chart:"),
    "caseload": ("app_pages/caseload.py", "Caseload", ":material/groups:"),
    "chart": ("app_pages/chart.py", "Patient chart", ":material/monitoring:"),
    "record": ("app_pages/record.py", "Record a check-in", ":material/assignment_add:"),
    "intake": ("app_pages/intake.py", "Intake and plan", ":material/fact_check:"),
    "session": ("app_pages/session.py", "Infusion session", ":material/vaccines:"),
    "alerts": ("app_pages/alerts.py", "Alerts", ":material/notification_important:"),
    "due": ("app_pages/due.py", "Due and overdue", ":material/event_upcoming:"),
    "tablet": ("app_pages/tablet.py", "Clinic tablet", ":material/tablet:"),
    "cohort": ("app_pages/cohort.py", "Cohort outcomes", ":material/insights:"),
    "users": ("app_pages/users.py", "Users", ":material/manage_accounts:"),
    "audit": ("app_pages/audit.py", "Audit trail", ":material/policy:"),
}

try:  # one connection per run, closed however the run ends (st.stop, st.rerun, an error)
    context.ensure_database()
    conn = context.db()
    user = context.current_user(conn)
    st.set_page_config(
        page_title="Ketamine clinic progress",
        page_icon=":material/monitoring:",
        layout="centered" if user is None or user.role == "patient" or tablet.active() else "wide",
    )

    if user is None:
        nav = st.navigation([st.Page(HERE / "app_pages/signin.py", title="Sign in", default=True)], position="hidden")
    elif tablet.active():  # a clinic tablet in a patient's hands: the check-in only, no way out but Stop
        nav = st.navigation([st.Page(HERE / PAGES["tablet"][0], title="Check-in", url_path="tablet", default=True)], position="hidden")
        context.session_watch()  # a tablet left mid-check-in is signed out and cleared like any screen
    else:
        pages = [
            st.Page(HERE / PAGES[key][0], title=PAGES[key][1], icon=PAGES[key][2], url_path=key, default=i == 0)
            for i, key in enumerate(ROLE_PAGES[user.role])
        ]
        nav = st.navigation(pages)
        with st.sidebar:
            st.caption(f"Signed in as **{user.display_name}** ({user.role})")
            if st.button("Sign out", key="sign_out", icon=":material/logout:"):
                context.sign_out(conn)
                st.rerun()
        context.session_watch()  # signs out an idle screen even when nobody touches it
    nav.run()
finally:
    context.end_run()
