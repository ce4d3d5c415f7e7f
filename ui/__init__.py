"""The Streamlit shell's shared helpers. Only dashboard.py, app_pages/ and ui/ import streamlit."""
