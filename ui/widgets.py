"""Small shared widgets: crisis panel, empty states, labels."""

from __future__ import annotations

import streamlit as st

from progress.charts import CONTEXT_LABELS

__all__ = ["CONTEXT_LABELS", "band_text", "crisis_panel", "empty_state", "fmt_total"]



def crisis_panel() -> None:
    """Crisis resources shown the moment PHQ-9 item 9 is answered above 0 [S60][S60c]."""
    st.error(
        "**If you are thinking about ending your life or are in danger, get help now.**\n\n"
        "- **Canada:** call or text **9-8-8** (Suicide Crisis Helpline, 24/7)\n"
        "- **United States:** call or text **988** (Suicide & Crisis Lifeline)\n"
        "- **Emergency:** call **911** or your local emergency number, or go to the nearest "
        "emergency department\n\n"
        "Your clinic will be alerted and will follow up with you. Your answers are **not "
        "watched in real time**, so please use the numbers above if you need help now.",
        icon=":material/emergency:",
    )


def empty_state(message: str) -> None:
    st.info(message, icon=":material/info:")


def band_text(band: str | None) -> str:
    return f" ({band})" if band else ""


def fmt_total(total: float | None) -> str:
    if total is None:
        return "—"
    return f"{total:g}" if float(total) == int(total) else f"{total:.1f}"
