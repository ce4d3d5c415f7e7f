"""Download buttons whose file is built only when clicked, and audited when it is.

Streamlit runs a callable ``data`` on another thread after the click, so the callable opens
its own connection (SQLite connections cannot cross threads) and closes it. Building on click
keeps the page's every rerun fast: a PDF costs about 0.2 s, and most reruns never need one.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable

import sqlite_utils
import streamlit as st

from progress import access, auth, io_csv_tables, policy, report, store
from progress.store import Actor


def deferred(
    build: Callable[[sqlite_utils.Database], bytes],
    *,
    actor: Actor,
    action: str,
    at: Callable[[], str],
    patient_id: str | None = None,
    detail: str = "",
) -> Callable[[], bytes]:
    """A zero-argument callable that builds the file on a fresh connection and records
    ``action`` in the audit log (one event per download)."""

    def run() -> bytes:
        conn = store.open_db()
        try:
            data = build(conn)
            store.record_event(conn, actor, action, at(), patient_id, detail=detail)
            return data
        finally:
            conn.close()

    return run


def download(
    label: str, data: Callable[[], bytes], *, file_name: str, mime: str, key: str,
    help: str | None = None,
) -> None:
    st.download_button(label, data=data, file_name=file_name, mime=mime, key=key,
                       icon=":material/download:", on_click="ignore", help=help)


def may_export(conn: sqlite_utils.Database, user: auth.User, patient_id: str) -> bool:
    """The rights policy's ``export_record`` for this user and patient (a therapist: own
    caseload only; a record opened break-glass can be read, not exported)."""
    return policy.decide(user.role, "export_record", access.scope_of(conn, user, patient_id)) == "allow"


def session_summary_button(
    conn: sqlite_utils.Database, user: auth.User, patient_id: str, now: Callable[[], str]
) -> None:
    """The patient chart's one-page therapist session summary (PDF), where export is allowed."""
    if not may_export(conn, user, patient_id):
        return

    def build(c: sqlite_utils.Database) -> bytes:
        access.authorize(c, user, "export_record", patient_id, at=now(), source="chart")
        return report.session_summary_pdf(c, patient_id, as_of=now())

    download(
        "Session summary (PDF)",
        deferred(build, actor=user.actor("chart"), action="record.export", at=now,
                 patient_id=patient_id, detail="session summary pdf"),
        file_name=f"session-summary-{patient_id}.pdf", mime="application/pdf",
        key="chart_summary_pdf",
    )


def _cohort_csv(conn: sqlite_utils.Database) -> bytes:
    buf = io.StringIO(newline="")
    io_csv_tables.export_table(conn, buf, "cohort", salt=secrets.token_hex(16))
    return buf.getvalue().encode("utf-8")


WHOLE_CLINIC = "The whole clinic, whatever the filters below."


def cohort_buttons(user: auth.User, now: Callable[[], str]) -> None:
    """The cohort page's outcomes report (PDF) and de-identified cohort table (CSV), for the
    roles the policy lets see the cohort."""
    if policy.decide(user.role, "view_cohort", "clinic") != "allow":
        return
    left, right = st.columns(2)
    with left:
        download(
            "Cohort outcomes report (PDF)",
            deferred(lambda conn: report.cohort_report_pdf(conn, as_of=now()),
                     actor=user.actor("cohort"), action="cohort.export", at=now,
                     detail="cohort report pdf"),
            file_name="cohort-outcomes.pdf", mime="application/pdf", key="co_report_pdf",
            help=WHOLE_CLINIC,
        )
    with right:
        download(
            "De-identified cohort table (CSV)",
            deferred(_cohort_csv, actor=user.actor("cohort"), action="cohort.export", at=now,
                     detail="cohort csv"),
            file_name="cohort-deidentified.csv", mime="text/csv", key="co_table_csv",
            help=WHOLE_CLINIC + " Cohort numbers instead of ids, days since the first infusion "
            "instead of dates; numbering changes on every download.",
        )


__all__ = ["cohort_buttons", "deferred", "download", "may_export", "session_summary_button"]
