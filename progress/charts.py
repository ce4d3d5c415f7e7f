"""Plotly figure builders: data frames in, ``plotly.graph_objects.Figure`` out.

Pure functions: no I/O, no clock, no Streamlit. Every clinical line or band drawn here is
read from the instrument declaration (``instrument.bands``, ``.cutoffs``,
``.outcomes.remission_below``), never written here.

Readable without colour
-----------------------
Colour is never the only carrier of meaning: every severity band has a text label at the
right edge, every cut-off line a text label, infusion phases differ in marker *shape*
(circle, square, diamond) as well as colour, total-only points are hollow, and the hover text
says everything in words ("Before infusion", "moderate", "Infusion #3 · induction · IV ·
0.5 mg/kg").

Palette
-------
Hues come from the Okabe-Ito set (Okabe & Ito 2008, "Color Universal Design"), chosen to stay
distinguishable with the common colour-vision deficiencies. The severity scale runs bluish
green -> yellow -> amber -> vermillion -> deep red, and each band's shading opacity is set so
the shaded bands step down in lightness as severity rises (they stay ordered in greyscale).
Phase colours (blue, sky blue, reddish purple) are kept out of the severity hues so that an
infusion marker is never read as a severity.

Template
--------
Figures use ``plotly_white``'s 2-D settings (white paper, light grid, its axis and hover
styling) as :data:`TEMPLATE`. The full ``plotly_white`` template also carries polar, 3-D, geo
and per-trace-type defaults, and validating it costs about 25 ms per figure; the 2-D subset
costs about 1 ms and looks the same for these charts.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from progress.model import Instrument, Item, ItemAtLeast

# -- palette -------------------------------------------------------------------------------

FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
TEXT_COLOUR = "#1F2937"
MUTED_TEXT = "#4B5563"
SCORE_COLOUR = "#1F2937"  # the patient's own line: near-black, so it sits above every band
SIGNAL_COLOUR = "#000000"
HOLLOW_FILL = "#FFFFFF"  # fill of total-only markers (a ring on the white page)
NEUTRAL_COLOUR = "#9CA3AF"  # unknown band or phase

# Severity bands by band name (every declaration uses these names).
BAND_COLOURS: dict[str, str] = {
    "minimal": "#009E73",  # Okabe-Ito bluish green
    "mild": "#F0E442",  # Okabe-Ito yellow
    "moderate": "#E69F00",  # Okabe-Ito orange (amber)
    "moderately severe": "#D55E00",  # Okabe-Ito vermillion
    "severe": "#A50F15",  # deep red (darker than vermillion: a lightness step)
}
# Shading opacity by band, chosen so the shaded bands step down in lightness with severity
# (CIE L* over white about 97, 96, 94, 92, 88): they stay ordered in greyscale and for
# every colour-vision type, not only by hue.
BAND_ALPHA: dict[str, float] = {
    "minimal": 0.06,
    "mild": 0.32,
    "moderate": 0.19,
    "moderately severe": 0.17,
    "severe": 0.17,
}

PHASES = ("induction", "maintenance", "booster")
PHASE_COLOURS: dict[str, str] = {
    "induction": "#0072B2",  # Okabe-Ito blue
    "maintenance": "#56B4E9",  # Okabe-Ito sky blue
    "booster": "#CC79A7",  # Okabe-Ito reddish purple
}
PHASE_SYMBOLS: dict[str, str] = {
    "induction": "circle",
    "maintenance": "square",
    "booster": "diamond",
}
INDUCTION_ALPHA = 0.07

# Before/after pairs (prepost_figure): the classic colour-blind-safe blue/orange pair.
PRE_COLOUR = "#0072B2"
POST_COLOUR = "#E69F00"
# Cohort summary (cohort_trajectory).
COHORT_COLOUR = "#0072B2"
RATE_COLOUR = "#0072B2"
# Item heat map: sequential, light -> dark (ColorBrewer YlOrRd), ordered in greyscale too.
ITEM_COLORSCALE = [
    [0.0, "#FFFFE5"],
    [0.25, "#FEE391"],
    [0.5, "#FEC44F"],
    [0.75, "#EC7014"],
    [1.0, "#8C2D04"],
]

# Human wording for assessment contexts (store.CONTEXTS).
CONTEXT_LABELS: dict[str, str] = {
    "intake": "Intake",
    "pre_infusion": "Before infusion",
    "post_infusion": "After infusion",
    "weekly": "Weekly",
    "maintenance": "Maintenance",
    "booster": "Booster",
}

# Short labels where truncating the item text would hide what matters. This belongs on
# ``Item`` (a ``short_label`` field) when the model grows one.
ITEM_SHORT_LABELS: dict[str, str] = {"phq9_9": "Thoughts of death/self-harm"}
SAFETY_MARK = "⚠"
ITEM_LABEL_CHARS = 40

# -- layout --------------------------------------------------------------------------------

HEIGHT = 320
MARGIN = {"l": 56, "r": 16, "t": 36, "b": 40, "pad": 0}
Y_PADDING = 0.04  # fraction of the instrument's range added below and above the y axis
STRIP_HEIGHT = 0.10  # share of the plot height given to the infusion strip
STRIP_GAP = 0.06
COHORT_MIN_N = 3

_WHITE = pio.templates["plotly_white"].layout.to_plotly_json()
TEMPLATE = go.layout.Template(
    layout={
        k: _WHITE[k]
        for k in (
            "autotypenumbers",
            "colorway",
            "font",
            "hovermode",
            "hoverlabel",
            "paper_bgcolor",
            "plot_bgcolor",
            "xaxis",
            "yaxis",
            "shapedefaults",
            "annotationdefaults",
        )
        if k in _WHITE
    }
)


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha:g})"


def band_colour(name: str | None) -> str:
    """Solid colour for a band name (neutral grey for an unknown or missing band)."""
    return BAND_COLOURS.get(name or "", NEUTRAL_COLOUR)


def band_fill(name: str | None) -> str:
    """Soft rgba shading for a band name."""
    return _rgba(band_colour(name), BAND_ALPHA.get(name or "", 0.10))


def phase_colour(phase: str | None) -> str:
    return PHASE_COLOURS.get(phase or "", NEUTRAL_COLOUR)


def phase_symbol(phase: str | None) -> str:
    return PHASE_SYMBOLS.get(phase or "", "triangle-up")


def figure(data: Sequence[dict] | None = None, layout: dict | None = None) -> go.Figure:
    """A figure from plain dicts. Plotly checks every property as it builds one (about 30 ms of
    a two-year trend's 35); the checks stay on in tests and scripts, and the app server turns
    them off (``PROGRESS_VALIDATE_FIGURES=0``, set by dashboard.py unless already set), as every
    builder here is exercised with them on (tests set it to 1)."""
    validate = os.environ.get("PROGRESS_VALIDATE_FIGURES", "1") != "0"
    return go.Figure(data=data, layout=layout, _validate=validate)


def _trace(kind: str, **props: Any) -> dict[str, Any]:
    """A trace as a plain dict: ``go.Figure`` validates it once (a ``go.Scatter`` built first
    would be validated twice, which costs about a third of the build time)."""
    return {"type": kind, **props}


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": TEMPLATE,
        "font": {"family": FONT_FAMILY, "size": 12, "color": TEXT_COLOUR},
        "height": HEIGHT,
        "margin": dict(MARGIN),
        "showlegend": True,
        "legend": {
            "orientation": "h",
            "traceorder": "normal",
            "x": 0,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "bottom",
            "font": {"size": 11},
            "bgcolor": "rgba(255,255,255,0)",
        },
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": 12}, "bgcolor": "white"},
        "hovermode": "closest",
    }
    layout.update(extra)
    return layout


def _empty(message: str) -> go.Figure:
    return figure(
        layout=_layout(
            showlegend=False,
            xaxis={"visible": False},
            yaxis={"visible": False},
            annotations=[
                {
                    "text": message,
                    "x": 0.5,
                    "y": 0.5,
                    "xref": "paper",
                    "yref": "paper",
                    "showarrow": False,
                    "font": {"size": 14, "color": MUTED_TEXT},
                }
            ],
        )
    )


# -- formatting ----------------------------------------------------------------------------


def _utc(value: Any) -> datetime:
    """Stored UTC ISO text (``2026-01-05T15:00:00Z``), a date or a datetime -> naive UTC.

    The x axes are in UTC; a datetime without an offset is taken to be UTC already.
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    elif isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _num(value: float) -> str:
    if value is None or pd.isna(value):
        return "–"
    v = float(value)
    return str(int(v)) if v.is_integer() else f"{v:.1f}"


def _signed(value: float) -> str:
    text = _num(abs(value))
    return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else "0")


def _date(ts: datetime) -> str:
    return f"{ts.day} {ts:%b %Y}"


def _date_time(ts: datetime) -> str:
    return f"{ts.day} {ts:%b %Y}, {ts:%H:%M} UTC"


def _percent(numerator: float, denominator: float) -> str:
    if not denominator:
        return "–"
    return f"{math.floor(100.0 * numerator / denominator + 0.5):d} %"


def _words(name: str) -> str:
    """``probable_ptsd`` -> ``probable PTSD``."""
    acronyms = {"ptsd": "PTSD", "gad": "GAD", "mdd": "MDD"}
    return " ".join(acronyms.get(w, w) for w in name.replace("_", " ").split())


def _y_range(instrument: Instrument) -> list[float]:
    pad = Y_PADDING * (instrument.total_max - instrument.total_min)
    return [instrument.total_min - pad, instrument.total_max + pad]


def _records(df: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows as plain dicts over ``columns`` (missing columns read as None).

    Column-wise ``tolist`` and ``zip``: pandas row iteration (``iterrows``, ``to_dict``) was
    measured at tens of milliseconds for a hundred rows with list/dict columns, more than the
    whole figure build.
    """
    n = len(df)
    lists = [df[c].tolist() if c in df.columns else [None] * n for c in columns]
    return [dict(zip(columns, values, strict=True)) for values in zip(*lists, strict=True)]


def _truthy(value: Any) -> bool:
    if value is None:
        return False
    try:
        if pd.isna(value):
            return False
    except (TypeError, ValueError):
        pass
    return bool(value)


# -- shared decorations --------------------------------------------------------------------


def _band_decorations(instrument: Instrument, yref: str = "y") -> tuple[list[dict], list[dict]]:
    """One shaded rectangle per declared band (y0/y1 = the band's low/high) and its label."""
    shapes, notes = [], []
    for band in instrument.bands:
        shapes.append(
            {
                "type": "rect",
                "name": f"band:{band.name}",
                "xref": "x domain",
                "yref": yref,
                "x0": 0,
                "x1": 1,
                "y0": band.low,
                "y1": band.high,
                "fillcolor": band_fill(band.name),
                "line": {"width": 0},
                "layer": "below",
            }
        )
        notes.append(
            {
                "name": f"band:{band.name}",
                "text": band.name.capitalize(),
                "xref": "x domain",
                "yref": yref,
                "x": 1,
                "y": (band.low + band.high) / 2,
                "xanchor": "right",
                "yanchor": "middle",
                "showarrow": False,
                "font": {"size": 10, "color": MUTED_TEXT},
                "bgcolor": "rgba(255,255,255,0.6)",
            }
        )
    return shapes, notes


def _threshold_decorations(instrument: Instrument) -> tuple[list[dict], list[dict]]:
    """Dashed cut-off lines and a dotted remission bound, one line per distinct value."""
    lines: dict[float, dict[str, Any]] = {}
    for cutoff in instrument.cutoffs:
        entry = lines.setdefault(float(cutoff.value), {"names": [], "dash": "dash", "kind": []})
        entry["names"].append(_words(cutoff.name))
        entry["kind"].append(f"cutoff:{cutoff.name}")
    remission = instrument.outcomes.remission_below
    if remission is not None:
        entry = lines.setdefault(float(remission), {"names": [], "dash": "dot", "kind": []})
        entry["names"].append("remission below")
        entry["kind"].append("remission")
    shapes, notes = [], []
    for value, entry in sorted(lines.items()):
        name = " ".join(entry["kind"])
        label = f"{' / '.join(entry['names'])} {_num(value)}"
        shapes.append(
            {
                "type": "line",
                "name": name,
                "xref": "x domain",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": value,
                "y1": value,
                "line": {"color": MUTED_TEXT, "width": 1.2, "dash": entry["dash"]},
                "layer": "above",
            }
        )
        notes.append(
            {
                "name": name,
                "text": label,
                "xref": "x domain",
                "yref": "y",
                "x": 0,
                "y": value,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 10, "color": MUTED_TEXT},
                "bgcolor": "rgba(255,255,255,0.6)",
            }
        )
    return shapes, notes


def _induction_runs(inf: list[dict[str, Any]]) -> list[tuple[datetime, datetime]]:
    """Consecutive runs of induction infusions (a second course's induction is its own run)."""
    runs: list[tuple[datetime, datetime]] = []
    start = end = None
    for row in inf:
        if row["phase"] == "induction":
            start = row["ts"] if start is None else start
            end = row["ts"]
        elif start is not None:
            runs.append((start, end))
            start = end = None
    if start is not None:
        runs.append((start, end))
    return runs


def _dose_text(row: dict[str, Any]) -> str:
    per_kg, mg = row.get("dose_mg_per_kg"), row.get("dose_mg")
    parts = []
    if _truthy(per_kg):
        parts.append(f"{float(per_kg):g} mg/kg")
    if _truthy(mg):
        parts.append(f"({float(mg):g} mg)" if parts else f"{float(mg):g} mg")
    return " ".join(parts) if parts else "dose not recorded"


_INFUSION_COLUMNS = (
    "id",
    "administered_at",
    "phase",
    "number",
    "route",
    "dose_mg_per_kg",
    "dose_mg",
)


def _prepare_infusions(infusions: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Infusions as plain records in time order, each with ``ts`` and ``number`` (1..n)."""
    if infusions is None or len(infusions) == 0:
        return []
    rows = _records(infusions, _INFUSION_COLUMNS)
    for row in rows:
        row["ts"] = _utc(row["administered_at"])
        if not _truthy(row["phase"]):
            row["phase"] = None
    rows.sort(key=lambda r: r["ts"])
    for n, row in enumerate(rows, start=1):
        row["number"] = int(row["number"]) if _truthy(row["number"]) else n
    return rows


def _infusion_traces(
    inf: list[dict[str, Any]], *, simplified: bool, yaxis: str
) -> list[dict[str, Any]]:
    """One marker trace per phase (colour and symbol), on the strip axis ``yaxis``."""
    traces = []
    present = [r["phase"] for r in inf]
    phases: list[str | None] = [p for p in PHASES if p in present]
    phases += sorted({p for p in present if p is not None and p not in PHASES})
    if None in present:
        phases.append(None)
    for phase in phases:
        rows = [r for r in inf if r["phase"] == phase]
        hover = []
        for r in rows:
            head = f"Infusion #{r['number']} · {phase or 'phase not recorded'}"
            if simplified:
                hover.append(f"{head}<br>{_date(r['ts'])}")
            else:
                route = r["route"] if _truthy(r["route"]) else "route not recorded"
                hover.append(f"{head} · {route} · {_dose_text(r)}<br>{_date_time(r['ts'])}")
        label = (phase or "other").capitalize()
        traces.append(
            _trace(
                "scatter",
                x=[r["ts"] for r in rows],
                y=[0] * len(rows),
                yaxis=yaxis,
                mode="markers",
                name=f"{label} infusion",
                legendgroup=f"infusion:{phase}",
                marker={
                    "symbol": phase_symbol(phase),
                    "color": phase_colour(phase),
                    "size": 9,
                    "line": {"color": "white", "width": 1},
                },
                customdata=[r["id"] for r in rows],
                hovertext=hover,
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    return traces


# -- trend ---------------------------------------------------------------------------------


_POINT_COLUMNS = (
    "id",
    "instrument",
    "administered_at",
    "total",
    "band",
    "context",
    "recall_period",
    "total_only",
    "prorated",
    "n_missing",
)


def _prepare_series(series: pd.DataFrame | None, instrument: Instrument) -> list[dict[str, Any]]:
    """This instrument's rows with a total, as plain records in time order with ``ts``."""
    if series is None or len(series) == 0:
        return []
    rows = []
    for row in _records(series, _POINT_COLUMNS):
        if row["instrument"] not in (None, instrument.id):
            continue
        try:
            total = float(row["total"])
        except (TypeError, ValueError):
            continue
        if math.isnan(total):
            continue
        row["total"] = total
        row["ts"] = _utc(row["administered_at"])
        rows.append(row)
    rows.sort(key=lambda r: (r["ts"], r["id"] if r["id"] is not None else 0))
    return rows


def _x_range(date_range: Sequence[Any] | None) -> list[datetime] | None:
    """``(start, end)`` -> x range in UTC. A plain-date end includes that whole day; a
    range with a missing bound (a date picker mid-selection) leaves the axis automatic."""
    if date_range is None or len(date_range) != 2 or any(v is None for v in date_range):
        return None
    start, end = date_range
    end_utc = _utc(end)
    if isinstance(end, date) and not isinstance(end, datetime):
        end_utc += timedelta(days=1)
    return [_utc(start), end_utc]


def _point_hover(row: dict[str, Any], instrument: Instrument, *, simplified: bool) -> str:
    total = _num(row["total"])
    band = row.get("band") if _truthy(row.get("band")) else instrument.band_for(row["total"])
    context = CONTEXT_LABELS.get(row.get("context") or "", str(row.get("context") or ""))
    if simplified:
        lines = [_date(row["ts"]), f"Your score: {total} of {_num(instrument.total_max)}"]
        if band:
            lines.append(f"{str(band).capitalize()} range")
        if context:
            lines.append(context)
        return "<br>".join(lines)
    lines = [
        _date_time(row["ts"]),
        f"{instrument.short_name} {total} / {_num(instrument.total_max)}",
    ]
    if band:
        lines.append(f"Band: {band}")
    if context:
        lines.append(context)
    recall = row.get("recall_period")
    if _truthy(recall) and recall != instrument.recall_period:
        lines.append(f"Recall period {recall} (declared {instrument.recall_period})")
    if _truthy(row.get("total_only")):
        lines.append("Total only (items not recorded)")
    if _truthy(row.get("prorated")):
        lines.append(f"Prorated ({int(row.get('n_missing') or 0)} item(s) missing)")
    return "<br>".join(lines)


def trend_figure(
    series: pd.DataFrame,
    instrument: Instrument,
    infusions: pd.DataFrame | None = None,
    *,
    simplified: bool = False,
    highlight: Iterable[int] | None = None,
    date_range: Sequence[Any] | None = None,
) -> go.Figure:
    """Totals over time on the instrument's severity bands, with the infusions beneath.

    Parameters
    ----------
    series
        ``store.load_series`` rows (other instruments' rows are ignored). Uses ``id``,
        ``administered_at``, ``total``, ``band``, ``context``, ``total_only``, ``prorated``,
        ``n_missing``, ``recall_period`` where present.
    instrument
        The declaration: bands, cut-offs, remission bound and y range come from it.
    infusions
        ``store.list_infusions`` rows, drawn on a strip under the plot, one trace per phase
        (colour and shape), and induction runs shaded.
    simplified
        Patient view: no cut-off or remission lines, plainer hover and axis wording.
    highlight
        Assessment ids to ring (signal points).
    date_range
        ``(start, end)`` for the x axis: ISO text, datetimes or dates (a date ``end``
        includes that whole day); ignored while either bound is None.

    Returns an annotated empty figure ("No check-ins yet") when there is nothing to draw.
    """
    s = _prepare_series(series, instrument)
    if not s:
        return _empty("No check-ins yet")
    inf = _prepare_infusions(infusions)
    has_strip = len(inf) > 0

    shapes, notes = _band_decorations(instrument)
    if not simplified:
        more_shapes, more_notes = _threshold_decorations(instrument)
        shapes += more_shapes
        notes += more_notes

    data: list[dict[str, Any]] = []
    data.append(
        _trace(
            "scatter",
            x=[r["ts"] for r in s],
            y=[r["total"] for r in s],
            mode="lines+markers",
            name="Your score" if simplified else f"{instrument.short_name} total",
            line={"color": SCORE_COLOUR, "width": 2},
            marker={
                "symbol": "circle",
                "size": 8,
                "color": SCORE_COLOUR,
                "line": {"color": SCORE_COLOUR, "width": 1.5},
            },
            customdata=[r["id"] for r in s],
            hovertext=[_point_hover(r, instrument, simplified=simplified) for r in s],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    # Total-only points (no item answers) are drawn hollow: a white-filled ring laid over the
    # filled marker, so the legend shows both kinds and hover still reaches the main trace.
    hollow = [r for r in s if _truthy(r["total_only"])]
    if hollow:
        data.append(
            _trace(
                "scatter",
                x=[r["ts"] for r in hollow],
                y=[r["total"] for r in hollow],
                mode="markers",
                name="Score without item answers" if simplified else "Total only",
                marker={
                    "symbol": "circle",
                    "size": 8,
                    "color": HOLLOW_FILL,
                    "line": {"color": SCORE_COLOUR, "width": 1.5},
                },
                customdata=[r["id"] for r in hollow],
                hoverinfo="skip",
            )
        )
    ids = set(highlight or ())
    ringed = [r for r in s if r["id"] in ids]
    if ringed:
        data.append(
            _trace(
                "scatter",
                x=[r["ts"] for r in ringed],
                y=[r["total"] for r in ringed],
                mode="markers",
                name="Signal",
                marker={
                    "symbol": "circle-open",
                    "size": 18,
                    "color": SIGNAL_COLOUR,
                    "line": {"width": 2.5, "color": SIGNAL_COLOUR},
                },
                customdata=[r["id"] for r in ringed],
                hoverinfo="skip",
            )
        )

    if has_strip:
        for x0, x1 in _induction_runs(inf):
            shapes.append(
                {
                    "type": "rect",
                    "name": "induction",
                    "xref": "x",
                    "yref": "paper",
                    "x0": x0,
                    "x1": x1,
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": _rgba(PHASE_COLOURS["induction"], INDUCTION_ALPHA),
                    "line": {"width": 0},
                    "layer": "below",
                }
            )
            notes.append(
                {
                    "name": "induction",
                    "text": "Induction",
                    "xref": "x",
                    "yref": "paper",
                    "x": x0,
                    "y": 1,
                    "xanchor": "left",
                    "yanchor": "top",
                    "showarrow": False,
                    "font": {"size": 10, "color": PHASE_COLOURS["induction"]},
                }
            )
        data.extend(_infusion_traces(inf, simplified=simplified, yaxis="y2"))

    y_title = "Score" if simplified else f"{instrument.short_name} total"
    yaxis: dict[str, Any] = {
        "range": _y_range(instrument),
        "fixedrange": True,
        "title": {"text": y_title},
        "zeroline": False,
    }
    xaxis: dict[str, Any] = {"type": "date", "showgrid": True}
    extra: dict[str, Any] = {}
    if has_strip:
        yaxis["domain"] = [STRIP_HEIGHT + STRIP_GAP, 1]
        xaxis["anchor"] = "y2"
        extra["yaxis2"] = {
            "domain": [0, STRIP_HEIGHT],
            "range": [-1, 1],
            "fixedrange": True,
            "showgrid": False,
            "zeroline": False,
            "tickvals": [0],
            "ticktext": ["Infusions"],
            "tickfont": {"size": 10, "color": MUTED_TEXT},
        }
    x_range = _x_range(date_range)
    if x_range is not None:
        xaxis["range"] = x_range
    return figure(
        data=data,
        layout=_layout(xaxis=xaxis, yaxis=yaxis, shapes=shapes, annotations=notes, **extra),
    )


# -- before / after ------------------------------------------------------------------------


def prepost_figure(deltas_df: pd.DataFrame, instrument: Instrument) -> go.Figure:
    """Dumbbells per infusion: the rating before (circle) and after (diamond), joined.

    ``deltas_df`` is :func:`progress.deltas.prepost_deltas` output. The mean change over the
    infusions with both ratings is annotated (negative means lower, i.e. better).
    """
    if deltas_df is None or len(deltas_df) == 0:
        return _empty("No before-and-after ratings yet")
    d = deltas_df.sort_values("number", kind="stable").reset_index(drop=True)
    d = d[d["pre"].notna() | d["post"].notna()]
    if d.empty:
        return _empty("No before-and-after ratings yet")

    rows = _records(d, ("number", "phase", "pre", "post"))
    for r in rows:
        r["paired"] = not (pd.isna(r["pre"]) or pd.isna(r["post"]))
    seg_x: list[Any] = []
    seg_y: list[Any] = []
    for r in rows:
        if r["paired"]:
            seg_x += [r["number"], r["number"], None]
            seg_y += [r["pre"], r["post"], None]

    def hover(r: dict[str, Any]) -> str:
        phase = r["phase"] if _truthy(r["phase"]) else "phase not recorded"
        parts = [f"Infusion #{int(r['number'])} · {phase}"]
        parts.append(f"Before: {_num(r['pre'])} · After: {_num(r['post'])}")
        if r["paired"]:
            parts.append(f"Change {_signed(r['post'] - r['pre'])}")
        return "<br>".join(parts)

    texts = [hover(r) for r in rows]
    data = [
        _trace(
            "scatter",
            x=seg_x,
            y=seg_y,
            mode="lines",
            line={"color": NEUTRAL_COLOUR, "width": 2},
            showlegend=False,
            hoverinfo="skip",
            name="change",
        ),
        _trace(
            "scatter",
            x=d["number"].tolist(),
            y=d["pre"].tolist(),
            mode="markers",
            name="Before infusion",
            marker={"symbol": "circle", "size": 9, "color": PRE_COLOUR},
            hovertext=texts,
            hovertemplate="%{hovertext}<extra></extra>",
        ),
        _trace(
            "scatter",
            x=d["number"].tolist(),
            y=d["post"].tolist(),
            mode="markers",
            name="After infusion",
            marker={"symbol": "diamond", "size": 10, "color": POST_COLOUR},
            hovertext=texts,
            hovertemplate="%{hovertext}<extra></extra>",
        ),
    ]
    both = d[d["pre"].notna() & d["post"].notna()]
    if len(both):
        mean = float((both["post"] - both["pre"]).mean())
        summary = (
            f"Mean change after infusion: {_signed(round(mean, 1))} points "
            f"(n = {len(both)} pair{'s' if len(both) != 1 else ''})"
        )
    else:
        summary = "No infusion has both a before and an after rating yet"
    notes = [
        {
            "name": "mean_delta",
            "text": summary,
            "xref": "paper",
            "yref": "paper",
            "x": 1,
            "y": 1,
            "xanchor": "right",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": 11, "color": MUTED_TEXT},
        }
    ]
    return figure(
        data=data,
        layout=_layout(
            xaxis={"title": {"text": "Infusion"}, "tickmode": "linear", "dtick": 1},
            yaxis={
                "range": _y_range(instrument),
                "fixedrange": True,
                "title": {"text": instrument.short_name},
                "zeroline": False,
            },
            annotations=notes,
            margin={**MARGIN, "t": 52},
            legend={**_layout()["legend"], "y": 1.08},
        ),
    )


# -- items ---------------------------------------------------------------------------------


def safety_items(instrument: Instrument) -> set[str]:
    """Item ids that are never dropped and always marked (PHQ-9 item 9)."""
    ids = {r.item for r in instrument.flag_rules if isinstance(r, ItemAtLeast) and r.safety}
    return ids | set(instrument.missing.never_missing)


def item_label(instrument: Instrument, item: Item) -> str:
    """``"3. Trouble falling or staying asleep, or…"``; safety items end with ⚠."""
    number = instrument.items.index(item) + 1
    text = ITEM_SHORT_LABELS.get(item.id)
    if text is None:
        text = item.text
        if len(text) > ITEM_LABEL_CHARS:
            cut = text[:ITEM_LABEL_CHARS].rsplit(" ", 1)[0].rstrip(",;:")
            text = cut + "…"
    label = f"{number}. {text}"
    return f"{label} {SAFETY_MARK}" if item.id in safety_items(instrument) else label


def item_heatmap(answers_long: pd.DataFrame, instrument: Instrument) -> go.Figure:
    """Items (rows, in declaration order, top to bottom) by assessment (columns).

    Scored items always have a row (so the PHQ-9 safety item 9 is never dropped, and is
    marked ⚠ and outlined); unscored items (PHQ-9 item 10) appear only when answered.
    Colour runs over the items' declared answer range; hover gives the answer anchor.
    """
    if answers_long is None or len(answers_long) == 0:
        return _empty("No item answers yet")
    a = answers_long
    known = {i.id for i in instrument.items}
    a = a[a["item_id"].isin(known)]
    if a.empty:
        return _empty("No item answers yet")
    answered = set(a["item_id"])
    items = [
        i
        for i in instrument.items
        if i.scored or i.id in answered or i.id in safety_items(instrument)
    ]

    cols = (
        a[["assessment_id", "administered_at"]]
        .drop_duplicates("assessment_id")
        .assign(ts=lambda f: [_utc(v) for v in f["administered_at"]])
        .sort_values(["ts", "assessment_id"], kind="stable")
        .reset_index(drop=True)
    )
    grid = a.pivot_table(index="item_id", columns="assessment_id", values="value", aggfunc="last")
    grid = grid.reindex(index=[i.id for i in items], columns=list(cols["assessment_id"]))

    x_labels: list[str] = []
    seen: dict[str, int] = {}
    for ts in cols["ts"]:
        label = _date(ts)
        seen[label] = seen.get(label, 0) + 1
        x_labels.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    y_labels = [item_label(instrument, i) for i in items]

    z: list[list[Any]] = []
    hover: list[list[str]] = []
    for item, label, row in zip(items, y_labels, grid.to_numpy().tolist(), strict=True):
        z_row, h_row = [], []
        for x_label, value in zip(x_labels, row, strict=True):
            if pd.isna(value):
                z_row.append(None)
                h_row.append(f"{label}<br>{x_label}<br>Not answered")
            else:
                v = int(value)
                z_row.append(v)
                h_row.append(f"{label}<br>{x_label}<br>{v} · {item.label_for(v)}")
        z.append(z_row)
        hover.append(h_row)

    zmin = min(i.min_value for i in items)
    zmax = max(i.max_value for i in items)
    first = items[0].options
    if len(first) <= 5 and all(i.options == first for i in items):
        colorbar = {
            "tickvals": [o.value for o in first],
            "ticktext": [f"{o.value} {o.label}" for o in first],
        }
    else:
        colorbar = {}
    colorbar.update({"thickness": 12, "outlinewidth": 0, "len": 1, "tickfont": {"size": 10}})

    show_values = len(x_labels) <= 16
    heat = _trace(
        "heatmap",
        z=z,
        x=x_labels,
        y=y_labels,
        zmin=zmin,
        zmax=zmax,
        colorscale=ITEM_COLORSCALE,
        colorbar=colorbar,
        xgap=1,
        ygap=1,
        hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>",
        texttemplate="%{z}" if show_values else None,
        textfont={"size": 10},
        name=instrument.short_name,
    )
    shapes = []
    for idx, item in enumerate(items):
        if item.id in safety_items(instrument):
            shapes.append(
                {
                    "type": "rect",
                    "name": f"safety:{item.id}",
                    "xref": "x domain",
                    "yref": "y",
                    "x0": 0,
                    "x1": 1,
                    "y0": idx - 0.5,
                    "y1": idx + 0.5,
                    "line": {"color": BAND_COLOURS["moderately severe"], "width": 2},
                    "layer": "above",
                }
            )
    height = max(HEIGHT - 80, 22 * len(items) + 90)
    return figure(
        data=[heat],
        layout=_layout(
            height=height,
            showlegend=False,
            margin={**MARGIN, "t": 16},
            xaxis={
                "type": "category",
                "showgrid": False,
                "tickangle": -45 if len(x_labels) > 8 else 0,
            },
            yaxis={"autorange": "reversed", "showgrid": False, "tickfont": {"size": 11}},
            shapes=shapes,
        ),
    )


# -- cohort --------------------------------------------------------------------------------

_COHORT_X_TITLES = {"week": "Weeks since first infusion", "infusion": "Infusions received"}


def _cohort_x_words(x: str, value: float) -> str:
    """Hover wording for one x value: "Week 4", "After 3 infusions", "Before the first infusion"."""
    if x == "week":
        return f"Week {_num(value)}"
    if x == "infusion":
        if value == 0:
            return "Before the first infusion"
        return f"After {_num(value)} infusion{'s' if value != 1 else ''}"
    return f"{x.replace('_', ' ').capitalize()} {_num(value)}"


def cohort_summary(
    points: pd.DataFrame, *, x: str = "x", min_n: int = COHORT_MIN_N
) -> pd.DataFrame:
    """Per x: n patients, median, q25, q75 and mean of the patient totals (n >= ``min_n``).

    A patient with several totals at one x counts once, with the mean of those totals.
    Quartiles use linear interpolation between order statistics (pandas/numpy default,
    Hyndman-Fan type 7).
    """
    cols = ["x", "n", "median", "q25", "q75", "mean"]
    if points is None or len(points) == 0:
        return pd.DataFrame(columns=cols)
    p = points[["patient_id", x, "total"]].rename(columns={x: "x"}).dropna()
    if p.empty:
        return pd.DataFrame(columns=cols)
    per_patient = p.groupby(["x", "patient_id"], as_index=False)["total"].mean()
    g = per_patient.groupby("x")["total"]
    out = pd.DataFrame(
        {
            "n": g.size(),
            "median": g.median(),
            "q25": g.quantile(0.25),
            "q75": g.quantile(0.75),
            "mean": g.mean(),
        }
    ).reset_index()
    return out[out["n"] >= min_n].reset_index(drop=True)[cols]


def cohort_trajectory(
    points: pd.DataFrame | None, instrument: Instrument, *, x: str = "week",
    summary: pd.DataFrame | None = None,
) -> go.Figure:
    """Median, interquartile band and mean of patient totals per week (or per infusion).

    ``points`` has ``patient_id``, ``x`` and ``total`` (``progress.cohort.trajectory_by_week``
    or ``trajectory_by_infusion``); a column named by the ``x`` keyword is read instead of
    ``x`` when present. ``x="week"``: whole weeks since the first infusion; ``x="infusion"``:
    infusions received before the score (0 = before the first). Only x values with at least
    :data:`COHORT_MIN_N` patients are drawn; bands are shaded as in :func:`trend_figure`.
    ``summary`` (x, n, median, q25, q75, mean), when given, is drawn instead of ``points``:
    the store's aggregate for large clinics (``progress.cohort.summary_from_histogram``).
    """
    if summary is None:
        column = x if points is not None and x in getattr(points, "columns", ()) else "x"
        summary = cohort_summary(points, x=column) if points is not None and len(points) else None
    else:
        summary = summary[summary["n"] >= COHORT_MIN_N]
    if summary is None or summary.empty:
        return _empty(f"Not enough patients yet (at least {COHORT_MIN_N} per point)")
    x_title = _COHORT_X_TITLES.get(x, x.replace("_", " ").capitalize())
    xs = summary["x"].tolist()
    hover = [
        f"{_cohort_x_words(x, r.x)} · n = {int(r.n)}<br>Median {_num(r.median)} "
        f"(IQR {_num(r.q25)}–{_num(r.q75)})<br>Mean {r.mean:.1f}"
        for r in summary.itertuples()
    ]
    shapes, notes = _band_decorations(instrument)
    data = [
        _trace(
            "scatter",
            x=xs,
            y=summary["q25"].tolist(),
            mode="lines",
            line={"width": 0, "color": COHORT_COLOUR},
            name="q25",
            showlegend=False,
            hoverinfo="skip",
        ),
        _trace(
            "scatter",
            x=xs,
            y=summary["q75"].tolist(),
            mode="lines",
            line={"width": 0, "color": COHORT_COLOUR},
            fill="tonexty",
            fillcolor=_rgba(COHORT_COLOUR, 0.20),
            name="Middle half (IQR)",
            hoverinfo="skip",
        ),
        _trace(
            "scatter",
            x=xs,
            y=summary["median"].tolist(),
            mode="lines+markers",
            line={"color": COHORT_COLOUR, "width": 2.5},
            marker={"size": 6, "color": COHORT_COLOUR},
            name="Median",
            customdata=summary["n"].tolist(),
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
        ),
        _trace(
            "scatter",
            x=xs,
            y=summary["mean"].tolist(),
            mode="lines",
            line={"color": TEXT_COLOUR, "width": 1.5, "dash": "dash"},
            name="Mean",
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
        ),
    ]
    return figure(
        data=data,
        layout=_layout(
            xaxis={"title": {"text": x_title}, "zeroline": False},
            yaxis={
                "range": _y_range(instrument),
                "fixedrange": True,
                "title": {"text": f"{instrument.short_name} total"},
                "zeroline": False,
            },
            shapes=shapes,
            annotations=notes,
        ),
    )


# -- rates ---------------------------------------------------------------------------------


def rates_figure(rates: pd.DataFrame) -> go.Figure:
    """Horizontal bars of rates with ``"n/d (p %)"`` on each bar, first row at the top."""
    if rates is None or len(rates) == 0:
        return _empty("No data yet")
    r = rates.reset_index(drop=True)
    num = pd.to_numeric(r["numerator"]).astype(float)
    den = pd.to_numeric(r["denominator"]).astype(float)
    pct = [100.0 * n / d if d else 0.0 for n, d in zip(num, den, strict=True)]
    text = [f"{_num(n)}/{_num(d)} ({_percent(n, d)})" for n, d in zip(num, den, strict=True)]
    hover = [
        f"{label}<br>{_num(n)} of {_num(d)} ({_percent(n, d)})"
        for label, n, d in zip(r["label"], num, den, strict=True)
    ]
    bar = _trace(
        "bar",
        x=pct,
        y=r["label"].astype(str).tolist(),
        orientation="h",
        marker={"color": RATE_COLOUR},
        text=text,
        textposition="outside",
        cliponaxis=False,
        textfont={"size": 11, "color": TEXT_COLOUR},
        hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>",
        name="rate",
    )
    return figure(
        data=[bar],
        layout=_layout(
            height=max(160, 36 * len(r) + 70),
            showlegend=False,
            margin={**MARGIN, "r": 90, "t": 16},
            xaxis={"range": [0, 100], "ticksuffix": " %", "fixedrange": True},
            yaxis={"autorange": "reversed", "fixedrange": True},
            bargap=0.35,
        ),
    )


__all__ = [
    "BAND_ALPHA",
    "BAND_COLOURS",
    "CONTEXT_LABELS",
    "PHASE_COLOURS",
    "PHASE_SYMBOLS",
    "TEMPLATE",
    "Y_PADDING",
    "band_colour",
    "band_fill",
    "cohort_summary",
    "cohort_trajectory",
    "item_heatmap",
    "item_label",
    "phase_colour",
    "phase_symbol",
    "prepost_figure",
    "rates_figure",
    "safety_items",
    "trend_figure",
]
