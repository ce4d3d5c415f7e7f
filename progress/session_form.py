"""A printable session record (HTML) carrying the esketamine REMS monitoring fields.

Plain HTML with print CSS, downloaded from the session page and printed or saved as PDF by
the browser. Every value is escaped. Fields: dose (56/84 mg, 28 mg devices [S30e]), device
lot, total monitoring time (at least 2 h [S30]), BP before, ~40 min after and before
discharge [S30b], sedation, dissociation and respiratory depression [S30c], pulse oximetry
[S30b][S30d]. What is missing is listed on the form rather than silently left blank.
"""

from __future__ import annotations

from html import escape

from progress import sessions
from progress.sessions import SessionDetails

_CSS = """
body{font-family:system-ui,Arial,sans-serif;color:#111;max-width:760px;margin:24px auto;font-size:14px}
h1{font-size:20px;margin:0 0 4px} h2{font-size:15px;margin:18px 0 6px;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%} td,th{border:1px solid #999;padding:4px 6px;text-align:left}
.warn{color:#8a1c00;font-weight:600} .muted{color:#555;font-size:12px}
@media print{body{margin:0}}
"""


def _row(label: str, value: object) -> str:
    return f"<tr><th>{escape(label)}</th><td>{escape(str(value))}</td></tr>"


def render_html(
    *,
    patient_id: str,
    administered_at: str,
    route: str,
    phase: str,
    dose: str,
    details: SessionDetails,
    clinician: str,
) -> str:
    """The whole printable document for one session."""
    esketamine = route == "intranasal"
    title = "Esketamine (REMS) monitoring form" if esketamine else "Infusion session record"
    vitals_rows = "".join(
        f"<tr><td>{escape(sessions.VITALS_LABELS[p])}</td><td>{escape(details.vitals.get(p, sessions.Reading()).bp())}</td>"
        f"<td>{escape(str(details.vitals.get(p, sessions.Reading()).heart_rate or '—'))}</td></tr>"
        for p in sessions.VITALS_POINTS
    )
    effects = ", ".join(f"{n} ({s})" for n, s in details.side_effects.items()) or "none recorded"
    problems = sessions.rems_problems(details) if esketamine else []
    flags = sessions.vitals_flags(details)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)} · {escape(patient_id)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p class='muted'>Patient {escape(patient_id)} · {escape(administered_at.replace('T', ' ')[:16])} UTC · "
        f"recorded by {escape(clinician)}. Synthetic demo data only where the clinic runs the demo.</p>",
        "<h2>Treatment</h2><table>",
        _row("Route", sessions.ROUTE_LABELS.get(route, route)),
        _row("Phase", phase),
        _row("Dose", dose),
        _row("Device lot" if esketamine else "Lot", details.lot or "—"),
        _row("Duration (min)", details.duration_min if details.duration_min is not None else "—"),
        _row("Total monitoring time (min)", details.observation_min if details.observation_min is not None else "—"),
        "</table><h2>Vital signs</h2><table><tr><th>When</th><th>BP (mmHg)</th><th>Heart rate</th></tr>",
        vitals_rows,
        "</table><table>",
        _row("Lowest SpO2 (%)", details.spo2_lowest if details.spo2_lowest is not None else "—"),
        "</table><h2>Observations</h2><table>",
        _row("Sedation (plain scale, not validated)", details.sedation or "—"),
        _row(sessions.CADSS6_LABEL, details.cadss6 if details.cadss6 is not None else "—"),
        _row("Respiratory depression", "yes" if details.respiratory_depression else "no"),
        _row("Side effects (severity)", effects),
        _row("Discharged with a driver", "yes" if details.driver else "no"),
        _row("Notes", details.notes or "—"),
        "</table>",
    ]
    if flags:
        parts.append("<h2>Vitals flags</h2><ul>" + "".join(f"<li class='warn'>{escape(f)}</li>" for f in flags) + "</ul>")
    if esketamine:
        parts.append(
            "<h2>REMS checks</h2>"
            + ("<ul>" + "".join(f"<li class='warn'>{escape(p)}</li>" for p in problems) + "</ul>" if problems
               else "<p>Monitoring at least 2 h [S30]; BP before, ~40 min and before discharge [S30b]: recorded.</p>")
        )
    parts.append(
        "<p class='muted'>Flags are prompts for clinical review, not diagnoses or dosing advice. "
        "Clinician signature: ______________________</p></body></html>"
    )
    return "".join(parts)
