"""Sign in. Spec: a name and password form; a wrong name, wrong password or disabled account
all get the same message; success stores only the user id in this session (a reload asks
again); the demo database says which demo accounts exist. Where the clinic configured its
identity provider (OIDC, ``[auth]`` in secrets.toml), a button signs in there instead; the
person is matched to their clinic account by e-mail and keeps that account's role."""

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

identity = context.identity_provider_user()
if identity is not None:  # back from the clinic's identity provider: find the clinic account
    try:
        user = auth.user_for_identity(conn, identity[0], email_verified=identity[1], at=context.now_iso())
    except AuthError as exc:
        st.error(str(exc))
        st.button("Sign out of the clinic account", key="oidc_logout", on_click=st.logout)
        st.stop()
    context.sign_in(conn, user)
    st.rerun()
if context.identity_provider_configured():
    st.button(
        "Sign in with your clinic account", key="oidc_login", type="primary", width="stretch",
        on_click=st.login, icon=":material/badge:",
    )
    st.caption("Or with a user name and password:")

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
