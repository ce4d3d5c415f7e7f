"""One timeline for a treatment course: scores above; infusions, side effects, vitals flags,
psychotherapy follow-ups and alerts on lanes beneath, on the same time axis.

Pure: data frames in (``store.load_series``, ``store.list_sessions``, ``store.list_followups``,
``store.list_alerts``), a tidy events frame and a plotly Figure out. Scores of different
scales share the top panel as a percentage of each scale's range; the hover gives the raw
total. Every event carries a text label, so the chart reads without colour.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from progress.charts import PHASE_COLOURS, PHASE_SYMBOLS, TEMPLATE, figure
from progress.model import Instrument

LANES = ("Infusions", "Side effects", "Vitals flags", "Psychotherapy", "Alerts")
_LANE_STYLE = {  # colour, marker symbol (Okabe-Ito hues, shapes differ)
    "Side effects": ("#E69F00", "diamond"),
    "Vitals flags": ("#D55E00", "triangle-up"),
    "Psychotherapy": ("#009E73", "circle"),
    "Alerts": ("#000000", "x"),
}
_SCORE_COLOURS = ("#0072B2", "#CC79A7", "#56B4E9", "#009E73", "#E69F00", "#D55E00", "#000000")
EVENT_COLUMNS = ["at", "lane", "label", "phase"]


def _text(value: object) -> str | None:
    """A timestamp cell, or None where the frame holds None/NaN."""
    return value if isinstance(value, str) and value else None


def _when(ts: str) -> str:
    return ts.replace("T", " ")[:16]


def course_events(
    sessions: pd.DataFrame,
    followups: pd.DataFrame,
    alerts: pd.DataFrame,
) -> pd.DataFrame:
    """Every non-score event, one row each: ``at``, ``lane``, ``label`` (plain words), ``phase``."""
    rows: list[dict] = []
    for s in sessions.to_dict("records"):
        dose = f"{s['dose_mg_per_kg']:g} mg/kg" if pd.notna(s.get("dose_mg_per_kg")) else (
            f"{s['dose_mg']:g} mg" if pd.notna(s.get("dose_mg")) else "dose not recorded")
        rows.append({"at": s["administered_at"], "lane": "Infusions", "phase": s["phase"],
                     "label": f"Infusion #{s['number']} · {s['phase']} · {s['route']} · {dose}"})
        severities = s.get("severities") or {}
        for effect in list(severities) or s.get("side_effects") or []:
            grade = severities.get(effect)
            rows.append({"at": s["administered_at"], "lane": "Side effects", "phase": s["phase"],
                         "label": f"#{s['number']}: {effect}" + (f" ({grade})" if grade else "")})
        for flag in s.get("flags") or []:
            rows.append({"at": s["administered_at"], "lane": "Vitals flags", "phase": s["phase"],
                         "label": f"#{s['number']}: {flag}"})
    for f in followups.to_dict("records"):
        done, booked = _text(f.get("done_at")), _text(f.get("scheduled_at"))
        at = done or booked or f["due_from"]
        state = "done" if done else ("booked" if booked else "due")
        rows.append({"at": at, "lane": "Psychotherapy", "phase": None,
                     "label": f"Psychotherapy follow-up {state} ({_when(at)})"})
    for a in alerts.to_dict("records"):
        rows.append({"at": a["created_at"], "lane": "Alerts", "phase": None,
                     "label": f"{a['kind']} alert ({a['severity']}, {a['status']}): {a['reason'][:120]}"})
    return pd.DataFrame(rows, columns=EVENT_COLUMNS).sort_values("at", kind="stable").reset_index(drop=True)


def score_points(series: pd.DataFrame, registry: Mapping[str, Instrument]) -> pd.DataFrame:
    """Each assessment as ``at``, ``instrument``, ``total``, ``percent`` of its scale, ``label``."""
    rows = []
    for r in series.to_dict("records"):
        inst = registry.get(r["instrument"])
        if inst is None:
            continue
        span = (inst.total_max - inst.total_min) or 1
        total = float(r["total"])
        rows.append({
            "at": r["administered_at"], "instrument": inst.id, "total": total,
            "percent": round(100 * (total - inst.total_min) / span, 1),
            "label": f"{inst.short_name} {total:g} of {inst.total_max:g}"
                     + (f" ({r['band']})" if r.get("band") else "") + f" · {r['context'].replace('_', '-')} · {_when(r['administered_at'])}",
        })
    return pd.DataFrame(rows, columns=["at", "instrument", "total", "percent", "label"])


def timeline_figure(
    series: pd.DataFrame,
    events: pd.DataFrame,
    registry: Mapping[str, Instrument],
) -> go.Figure:
    """Scores (top, % of each scale) over the course's event lanes (bottom), sharing one time axis.

    Traces are plain dicts and the two panels are axis domains on one figure (not
    ``make_subplots``), so the figure is validated once: about a tenth of the build time.
    """
    traces: list[dict] = []
    points = score_points(series, registry)
    for n, (inst_id, group) in enumerate(points.groupby("instrument", sort=False)):
        inst = registry[inst_id]
        traces.append({
            "type": "scatter", "x": list(group["at"]), "y": list(group["percent"]), "text": list(group["label"]),
            "mode": "markers" if inst.momentary else "lines+markers", "name": inst.short_name,
            "line": {"color": _SCORE_COLOURS[n % len(_SCORE_COLOURS)], "width": 2},
            "marker": {"size": 6 if inst.momentary else 7, "symbol": "circle-open" if inst.momentary else "circle"},
            "hovertemplate": "%{text}<extra></extra>", "meta": "score", "xaxis": "x", "yaxis": "y",
        })
    for lane in LANES:
        group = events[events["lane"] == lane]
        if group.empty:
            continue
        parts = group.groupby("phase", sort=False) if lane == "Infusions" else [(None, group)]
        for phase, g in parts:
            colour, symbol = (PHASE_COLOURS.get(phase, "#9CA3AF"), PHASE_SYMBOLS.get(phase, "circle")) if lane == "Infusions" else _LANE_STYLE[lane]
            traces.append({
                "type": "scatter", "x": list(g["at"]), "y": [lane] * len(g), "text": list(g["label"]), "mode": "markers",
                "name": f"Infusion: {phase}" if lane == "Infusions" else lane,
                "marker": {"size": 11 if lane == "Infusions" else 10, "color": colour, "symbol": symbol},
                "hovertemplate": "%{text}<extra></extra>", "meta": lane, "xaxis": "x", "yaxis": "y2",
                "showlegend": lane == "Infusions",  # the other lanes are named on the axis
            })
    layout = {
        "template": TEMPLATE, "height": 500, "margin": {"l": 10, "r": 10, "t": 36, "b": 10},
        "legend": {"orientation": "h", "y": -0.07, "yanchor": "top", "x": 0, "font": {"size": 11}},
        "hovermode": "closest",
        "title": {"text": "Course timeline: scores, sessions, follow-ups and alerts", "font": {"size": 14}},
        "xaxis": {"anchor": "y2", "type": "date"},
        "yaxis": {"domain": [0.47, 1.0], "title": {"text": "% of scale"}, "range": [-5, 105]},
        "yaxis2": {"domain": [0.0, 0.40], "type": "category", "categoryorder": "array",
                   "categoryarray": list(reversed(LANES)), "range": [-0.5, len(LANES) - 0.5],
                   "tickmode": "array", "tickvals": list(LANES), "ticktext": list(LANES)},  # every lane named, even on a phone
    }
    if points.empty and events.empty:
        layout["annotations"] = [{"text": "Nothing recorded yet", "showarrow": False, "xref": "paper",
                                  "yref": "paper", "x": 0.5, "y": 0.5}]
    return figure(data=traces, layout=layout)


def session_table(sessions: pd.DataFrame) -> pd.DataFrame:
    """One row per session for the chart: when, phase, route, dose, BP before / ~40 min /
    discharge, side effects with severity, flags, dissociation, observation, linked check-ins."""
    rows = []
    for s in sessions.to_dict("records"):
        vitals = s.get("vitals") or {}
        sev = s.get("severities") or {}

        def bp(point: str, vitals=vitals) -> str:
            v = vitals.get(point) or {}
            text = f"{v['systolic']}/{v['diastolic']}" if v.get("systolic") and v.get("diastolic") else "—"
            return text + (f" · {v['heart_rate']}" if v.get("heart_rate") else "")

        rows.append({
            "#": s["number"],
            "when": _when(s["administered_at"]),
            "phase": s["phase"],
            "route": s["route"],
            "dose": f"{s['dose_mg_per_kg']:g} mg/kg" if pd.notna(s.get("dose_mg_per_kg")) else (
                f"{s['dose_mg']:g} mg" if pd.notna(s.get("dose_mg")) else "—"),
            "BP·HR before": bp("before"),
            "BP·HR ~40 min": bp("during"),
            "BP·HR discharge": bp("discharge"),
            "side effects": ", ".join(f"{e} ({sev[e]})" if e in sev else e for e in list(sev) or s.get("side_effects") or []) or "none recorded",
            "flags": "; ".join(s.get("flags") or []) or "—",
            "CADSS-6": "—" if pd.isna(s.get("cadss6")) else f"{int(s['cadss6'])}",
            "observed (min)": "—" if pd.isna(s.get("observation_min")) else f"{int(s['observation_min'])}",
            "check-ins before/after": f"{int(s.get('n_pre') or 0)}/{int(s.get('n_post') or 0)}",
        })
    return pd.DataFrame(rows)
