"""The printable session / REMS form: every field present, values escaped, gaps listed."""

from __future__ import annotations

from progress import session_form
from progress.sessions import Reading, SessionDetails


def render(route: str, details: SessionDetails) -> str:
    return session_form.render_html(patient_id="KC-0001", administered_at="2026-03-02T10:00:00Z", route=route,
                                    phase="induction", dose="56 mg", details=details, clinician="Dr. <Lee>")


def test_esketamine_form_carries_rems_fields_and_lists_what_is_missing():
    html = render("intranasal", SessionDetails(lot="AB12", observation_min=90, vitals={"before": Reading(130, 85, 72)}))
    for text in ("Esketamine (REMS) monitoring form", "Device lot", "AB12", "Total monitoring time", "130/85",
                 "Respiratory depression", "Sedation", "under 120 min (2 h) [S30]"):
        assert text in html
    assert "Dr. &lt;Lee&gt;" in html and "<Lee>" not in html


def test_complete_esketamine_form_says_checks_recorded_and_iv_form_has_no_rems_section():
    full = SessionDetails(lot="AB12", observation_min=125, sedation="mild", spo2_lowest=97,
                          vitals={p: Reading(120, 80, 70) for p in ("before", "during", "discharge")})
    assert "recorded" in render("intranasal", full) and "class='warn'" not in render("intranasal", full)
    assert "REMS checks" not in render("IV", full)
