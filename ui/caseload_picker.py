"""The therapist's patient picker for course pages: caseload only, the chart's patient first."""

from __future__ import annotations

import streamlit as st

from progress import auth
from ui import context
from ui.widgets import empty_state


def pick_patient(conn, user: auth.User, *, title: str, key: str, page: str, where=st) -> str:
    """Draw the page title and a caseload selectbox (defaulting to the patient open on the
    chart); stop the page if the caseload is empty. Opening a record is audited once."""
    patients = auth.visible_patient_ids(conn, user)
    st.title(title)
    if not patients:
        empty_state("No patients are assigned to you yet.")
        st.stop()
    default = st.session_state.get("chart_patient")
    patient_id = where.selectbox("Patient", patients, index=patients.index(default) if default in patients else 0, key=key)
    context.audit_view(conn, user, patient_id, page)
    return patient_id
