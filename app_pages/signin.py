"""Sign in. Spec: a name and password form; a wrong name, wrong password or disabled account
all get the same message; success stores only the user id in this session (a reload asks
again); the demo database says which demo accounts exist."""

import streamlit as st

from progress import auth, store
from progress.errors import AuthError
from ui import context, tablet

conn = context.db()
st.title("Ketamine clinic progress")
st.caption("Measurement-based care: check-ins, charts and outcomes for ketamine treatment.")
tablet.locked_screen()  # after a clinic-tablet check-in: no patient data, crisis numbers if needed

signed_out = st.session_state.pop(context.SIGNED_OUT_KEY, None)
if signed_out:
    st.warning(signed_out, icon=":material/lock_clock:")
built = st.session_state.pop("demo_built", None)
if built:
    st.success(built, icon=":material/database:")

with st.form("signin", border=True):
    username = st.text_input("User name", key="signin_user", autocomplete="username")
    password = st.text_input("Password", type="password", key="signin_password", autocomplete="current-password")
    submitted = st.form_submit_button("Sign in", type="primary", width="stretch")

if submitted:
    try:
        user = auth.authenticate(conn, username.strip(), password, at=context.now_iso())
    except AuthError as exc:
        st.error(str(exc))
    else:
        context.sign_in(conn, user)
        st.rerun()

if store.get_setting(conn, "demo") == "1":
    st.info(
        "**Demo clinic (synthetic data).** Sign in as `patient`, `therapist`, `lead` or `admin` "
        "with the password `ketamine-demo`. These accounts exist only in the demo database.",
        icon=":material/info:",
    )
