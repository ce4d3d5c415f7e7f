"""Users (admin).

Spec: list accounts (no password hashes shown); add an account with a role (a patient account
links to an existing patient id); disable an account (it loses access at once, including open
sessions, because every run re-reads the user); reset a password. Every change is audited.
"""

import pandas as pd
import streamlit as st

from progress import auth, store
from progress.errors import ProgressError
from ui import context

conn = context.db()
user = context.require_user(conn, "admin")
st.title("Users")

users = pd.DataFrame(store.list_users(conn))
st.dataframe(
    users[["username", "display_name", "role", "patient_id", "disabled", "is_demo", "created_at"]],
    hide_index=True,
    width="stretch",
    column_config={"disabled": st.column_config.CheckboxColumn("Disabled"), "is_demo": st.column_config.CheckboxColumn("Demo")},
)

with st.form("user_add", clear_on_submit=True):
    st.markdown("**Add an account**")
    c1, c2, c3 = st.columns(3)
    username = c1.text_input("User name", key="ua_name")
    display = c2.text_input("Display name", key="ua_display")
    role = c3.selectbox("Role", store.ROLES, key="ua_role")
    c4, c5 = st.columns(2)
    patient_id = c4.text_input("Patient id (patient accounts only)", key="ua_patient")
    password = c5.text_input("Initial password (8+ characters)", type="password", key="ua_password")
    if st.form_submit_button("Add account", type="primary"):
        try:
            if role == "patient" and not store.patient_exists(conn, patient_id.strip()):
                raise ProgressError("A patient account needs the id of an existing patient.")
            new_id = store.add_user(
                conn, username.strip(), role, display_name=display.strip() or None,
                password_hash=auth.hash_password(password, username=username.strip()),
                patient_id=patient_id.strip() if role == "patient" else None, created_at=context.now_iso(),
            )
            store.record_event(conn, user.actor("users"), "user.create", context.now_iso(), detail=f"user {new_id}")
        except ProgressError as exc:
            st.error(str(exc))
        else:
            st.success(f"Added {username}.")

st.markdown("**Change an account**")
c1, c2 = st.columns(2)
target = c1.selectbox("Account", users["username"], key="uc_target")
row = store.get_user(conn, username=target)
with c2:
    if row["disabled"]:
        if st.button("Enable", key="uc_enable"):
            auth.set_disabled(conn, row["id"], False, user.actor("users"), context.now_iso())
            st.rerun()
    elif row["id"] != user.id and st.button("Disable", key="uc_disable"):
        auth.set_disabled(conn, row["id"], True, user.actor("users"), context.now_iso())  # ends open sessions
        st.rerun()
new_password = st.text_input("New password", type="password", key="uc_password")
if st.button("Reset password", key="uc_reset"):
    try:
        store.update_user(conn, row["id"], password_hash=auth.hash_password(new_password, username=row["username"]))
        store.record_event(conn, user.actor("users"), "user.reset_password", context.now_iso(), detail=f"user {row['id']}")
    except ProgressError as exc:
        st.error(str(exc))
    else:
        st.success(f"Password reset for {target}.")
