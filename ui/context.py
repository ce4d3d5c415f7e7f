"""Per-run context: the database connection, the signed-in user, the clock.

One connection is opened per script run (about 1 ms on SQLite, 10 ms on PostgreSQL) and
closed when the run ends (:func:`end_run`, called by dashboard.py): SQLite connections cannot
cross threads and each browser session runs in its own thread, and a PostgreSQL server would
run out of connections if every run left one open for the garbage collector. The signed-in user is
re-read from the database on every run, so a disabled account loses access at once and
nothing in the browser is trusted. Nothing here caches patient data.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import streamlit as st

from progress import access, auth, store
from progress.errors import ProgressError

USER_KEY = "user_id"
SESSION_KEY = "session_token"
SIGNED_OUT_KEY = "signed_out_reason"
_SIGNED_OUT = {
    "idle": "You were signed out after a period without activity. Please sign in again.",
    "lifetime": "Your session reached its maximum length. Please sign in again.",
    "disabled": "This account has been disabled.",
}
_BUILD_LOCK = threading.Lock()
DEMO_PATIENTS = 200


_RUN = threading.local()  # the script thread's connection for the current run


def db():
    """This run's database connection: opened on first use in the run, shared by the entry
    script and the page, closed by :func:`end_run`."""
    conn = getattr(_RUN, "conn", None)
    if conn is None:
        conn = _RUN.conn = store.open_db()
    return conn


def end_run() -> None:
    """Close this run's connection (dashboard.py calls it when the run ends, however it ends)."""
    conn = getattr(_RUN, "conn", None)
    _RUN.conn = None
    if conn is not None:
        conn.close()


def ensure_database() -> None:
    """On a machine with no database, build the demo clinic once and say so on screen."""
    conn = store.open_db()
    try:
        if not store.is_empty(conn) or store.list_users(conn):  # a clinic's own (even if new) database
            return
        with _BUILD_LOCK, st.spinner("No database found: creating the demo clinic (synthetic data)..."):
            if store.is_empty(conn):
                from progress import demo

                started = datetime.now(UTC)
                demo.build_demo(conn, patients=DEMO_PATIENTS, seed=7, anchor=date.today())
                seconds = (datetime.now(UTC) - started).total_seconds()
                st.session_state["demo_built"] = (
                    f"Created the demo clinic ({DEMO_PATIENTS} synthetic patients) in "
                    f"{seconds:.1f} s at {store.describe_target()}. Sign in with a demo account."
                )
    finally:
        conn.close()


def now_iso() -> str:
    """The shell's clock, as stored timestamps are written."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def current_user(conn) -> auth.User | None:
    """The user of this browser session's live server-side session, or None.

    The session token lives only in server-side session state; the database checks it on every
    run (idle timeout, absolute lifetime, account disabled) and restarts the idle clock. A user
    id set without a token (code that signs in directly, tests) gets a session opened here, so
    every signed-in run is under the same timeouts.
    """
    user_id = st.session_state.get(USER_KEY)
    if user_id is None:
        return None
    token = st.session_state.get(SESSION_KEY)
    if token is None:
        user = auth.load_user(conn, user_id)
        if user is None:
            st.session_state.pop(USER_KEY, None)
            return None
        st.session_state[SESSION_KEY] = auth.start_session(conn, user, now_iso())
        return user
    user, reason = auth.resume_session(conn, token, now_iso())
    if user is None or user.id != user_id:
        _forget(reason)
        return None
    return user


def _forget(reason: str | None) -> None:
    """Drop everything this browser session held (patient data included) and say why. A
    timeout also ends the identity-provider sign-in, or its cookie would sign straight back in."""
    st.session_state.clear()
    if reason in _SIGNED_OUT:
        st.session_state[SIGNED_OUT_KEY] = _SIGNED_OUT[reason]
    if identity_provider_user() is not None:
        st.logout()


@st.fragment(run_every=60)
def session_watch() -> None:
    """Once a minute, without counting as activity: if the session is over, rerun the whole app
    so the page stops showing patient data even when nobody touches it."""
    conn = store.open_db()
    try:
        user, _ = auth.resume_session(conn, st.session_state.get(SESSION_KEY), now_iso(), touch=False)
    finally:
        conn.close()
    if user is None:
        st.rerun(scope="app")


def require_user(conn, *roles: str) -> auth.User:
    """The signed-in user, or stop the page (and say why) if there is none or the role is wrong."""
    user = current_user(conn)
    if user is None:
        st.warning("Please sign in.")
        st.stop()
    if roles and user.role not in roles:
        st.error("This page is not available for your role.")
        st.stop()
    return user


def sign_in(conn, user: auth.User) -> None:
    st.session_state.clear()  # nothing from before sign-in carries over (session fixation)
    st.session_state[SESSION_KEY] = auth.start_session(conn, user, now_iso())
    st.session_state[USER_KEY] = user.id


def identity_provider_configured() -> bool:
    """True when the clinic set up sign-in through its identity provider: an ``[auth]``
    section in .streamlit/secrets.toml (OIDC via ``st.login``, Streamlit's auth extra)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # StreamlitSecretNotFoundError: no secrets file at all
        return False


def identity_provider_user() -> tuple[str | None, bool | None] | None:
    """(e-mail, e-mail verified) of the person signed in at the identity provider, or None."""
    if not identity_provider_configured() or not st.user.is_logged_in:
        return None
    return st.user.get("email"), st.user.get("email_verified")


def sign_out(conn) -> None:
    auth.end_session(conn, st.session_state.get(SESSION_KEY), current_user(conn), now_iso())
    st.session_state.clear()
    if identity_provider_user() is not None:
        st.logout()  # also end the identity-provider cookie, or the next run signs in again


def open_record(conn, user: auth.User, patient_id: str, page: str) -> access.PatientRecord:
    """Open ``patient_id``'s record through the core policy (progress.access), logged once per
    session and page. Break-glass: ask for the reason and stop until one is given. Denied: say
    so, forget the requested id and stop, so nothing of that record is drawn."""
    reasons = st.session_state.setdefault("_glass_reasons", {})
    seen = st.session_state.setdefault("_audited_views", set())
    key = ("record.view", page, patient_id, reasons.get(patient_id, ""))
    try:
        record = access.open_patient_record(
            conn, user, patient_id, at=now_iso(), source=page, reason=reasons.get(patient_id),
            audit=key not in seen,
        )
    except access.BreakGlassRequired as exc:
        st.warning(str(exc), icon=":material/lock_open:")
        with st.form(f"glass_{page}"):
            text = st.text_input("Why do you need to open this record?", key=f"glass_reason_{page}")
            if st.form_submit_button("Open the record (recorded)"):
                reasons[patient_id] = text
                st.rerun()
        st.stop()
    except ProgressError as exc:  # denied, or no such patient
        st.error(str(exc))
        st.query_params.clear()
        st.session_state.pop("chart_patient", None)
        st.stop()
    seen.add(key)
    return record


def audit_view(conn, user: auth.User, patient_id: str, page: str) -> access.PatientRecord:
    """Open (policy-checked, audited once per session and page) the record a page is about to draw."""
    return open_record(conn, user, patient_id, page)


def audit_once(conn, user: auth.User, action: str, page: str, patient_id: str | None = None, detail: str = "") -> None:
    """Record ``action`` by ``user`` on ``page`` once per session for the same patient and detail
    (a rerun of the same view is not a new read)."""
    seen = st.session_state.setdefault("_audited_views", set())
    key = (action, page, patient_id, detail)
    if key not in seen:
        store.record_event(conn, user.actor(page), action, now_iso(), patient_id, detail=detail)
        seen.add(key)
