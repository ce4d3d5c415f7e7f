"""Clinic-tablet mode: a therapist hands a signed-in tablet to a patient for one check-in.

While the patient holds it, the app shows only the check-in (no navigation, no other page, no
sign-out button, see dashboard.py). When the last questionnaire is saved, or the check-in is
stopped, the therapist is signed out and the tablet shows a locked screen with no patient data
(only the crisis numbers, if PHQ-9 item 9 was answered above 0); continuing needs the
therapist's password again. Each hand-over and lock is audited.
"""

from __future__ import annotations

import streamlit as st

from progress import auth
from progress.store import record_event
from ui import checkin_flow, context
from ui.widgets import crisis_panel

TABLET = "tablet_mode"  # {"patient_id": str} while a patient holds the tablet
LOCKED = "tablet_locked"  # {"crisis": bool, "saved": int} on the locked screen
STOP = "tablet_stop"  # set by the Stop button's callback; handled in the page run


def active() -> bool:
    """True while a patient holds the tablet (the shell then shows only the check-in)."""
    return TABLET in st.session_state


def hand_over(conn, user: auth.User, patient_id: str, queue: list[tuple[str, str]]) -> None:
    auth.require_patient_access(conn, user, patient_id)
    record_event(conn, user.actor("tablet"), "tablet.start", context.now_iso(), patient_id)
    st.session_state.pop(LOCKED, None)
    st.session_state[TABLET] = {"patient_id": patient_id}
    checkin_flow.start(queue)


def lock(conn, user: auth.User, *, crisis: bool, saved: int) -> None:
    """End tablet mode: audit, sign the therapist out, leave only the locked-screen flag."""
    patient_id = st.session_state.get(TABLET, {}).get("patient_id")
    record_event(conn, user.actor("tablet"), "tablet.lock", context.now_iso(), patient_id, detail=f"{saved} saved")
    context.sign_out(conn)  # clears the whole session state, patient data included
    st.session_state[LOCKED] = {"crisis": bool(crisis), "saved": int(saved)}


def request_stop() -> None:
    st.session_state[STOP] = True


def locked_screen() -> None:
    """On the sign-in page after a tablet check-in: what the patient may see, and nothing more."""
    state = st.session_state.get(LOCKED)
    if not state:
        return
    if state["crisis"]:
        crisis_panel()
    if state["saved"]:
        st.success(
            "Thank you. Your answers are saved and your care team will see them. "
            "Please hand the tablet back to your care team.", icon=":material/check_circle:",
        )
    else:
        st.info("The check-in was stopped. Please hand the tablet back to your care team.", icon=":material/pan_tool:")
    st.warning("**This tablet is locked.** A clinician must sign in again to continue.", icon=":material/lock:")
