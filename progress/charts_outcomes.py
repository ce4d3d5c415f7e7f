"""Plotly builders for the lead's outcome views (kept apart from charts.py, which is large):
data in, figure out."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from progress.charts import _layout


def km_figure(curve: pd.DataFrame, *, label: str) -> go.Figure:
    """A Kaplan-Meier step curve with its 95 % band, starting at 1.0 on day 0."""
    times = [0.0, *curve["time"].tolist()]
    surv = [1.0, *curve["survival"].tolist()]
    lower = [1.0, *curve["lower"].tolist()]
    upper = [1.0, *curve["upper"].tolist()]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=times, y=upper, mode="lines", line={"width": 0, "shape": "hv"}, hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(
        x=times, y=lower, mode="lines", line={"width": 0, "shape": "hv"}, fill="tonexty",
        fillcolor="rgba(46,111,142,0.15)", hoverinfo="skip", name="95 % interval",
    ))
    fig.add_trace(go.Scatter(
        x=times, y=surv, mode="lines", line={"color": "#2E6F8E", "width": 2.5, "shape": "hv"},
        name=label, hovertemplate="Day %{x:.0f}: %{y:.0%} still without a booster-review signal<extra></extra>",
    ))
    fig.update_layout(**_layout(
        height=320,
        xaxis={"title": "Days since first response"},
        yaxis={"title": "Share without a signal", "range": [0, 1.02], "tickformat": ".0%"},
    ))
    return fig
