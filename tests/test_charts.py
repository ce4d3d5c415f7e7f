"""Figure builders: assert on figure content (traces, shapes, annotations, hover text).

No database and no browser: small frames built by hand, the declarations from
``progress.instruments`` as the expected bands and cut-offs.
"""

from __future__ import annotations

import json
import statistics
from datetime import date, datetime

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from progress import charts
from progress.deltas import prepost_deltas
from progress.instruments import GAD7, MOOD_NRS, PAIN_NRS, PCL5, PEG, PHQ9, REGISTRY

# -- builders ------------------------------------------------------------------------------


def series_frame(rows, instrument="phq9") -> pd.DataFrame:
    """rows: (id, administered_at, total, context[, total_only])."""
    out = []
    for r in rows:
        aid, at, total, context = r[:4]
        total_only = r[4] if len(r) > 4 else 0
        inst = REGISTRY[instrument]
        out.append(
            {
                "id": aid,
                "instrument": instrument,
                "administered_at": at,
                "context": context,
                "infusion_id": None,
                "respondent": "self",
                "total": float(total),
                "band": inst.band_for(total),
                "subscales": {},
                "flags": [],
                "n_missing": 0,
                "prorated": 0,
                "total_only": total_only,
                "recall_period": inst.recall_period,
            }
        )
    return pd.DataFrame(out)


PHQ9_ROWS = [
    (1, "2026-01-04T10:00:00Z", 19, "intake"),
    (2, "2026-01-05T14:30:00Z", 17, "pre_infusion"),
    (3, "2026-01-12T10:00:00Z", 12, "weekly"),
    (4, "2026-01-19T10:00:00Z", 9, "weekly", 1),
    (5, "2026-01-26T10:00:00Z", 6, "weekly"),
]


def infusion_frame(rows) -> pd.DataFrame:
    """rows: (id, administered_at, phase)."""
    return pd.DataFrame(
        [
            {
                "id": i,
                "administered_at": at,
                "route": "IV",
                "dose_mg_per_kg": 0.5,
                "dose_mg": 35.0,
                "phase": phase,
                "side_effects": [],
                "number": n,
            }
            for n, (i, at, phase) in enumerate(rows, start=1)
        ]
    )


INFUSIONS = infusion_frame(
    [
        (11, "2026-01-05T15:00:00Z", "induction"),
        (12, "2026-01-07T15:00:00Z", "induction"),
        (13, "2026-01-09T15:00:00Z", "induction"),
        (14, "2026-01-23T15:00:00Z", "maintenance"),
        (15, "2026-02-20T15:00:00Z", "booster"),
    ]
)


def shapes_named(fig: go.Figure, prefix: str) -> list:
    return [s for s in fig.layout.shapes if (s.name or "").startswith(prefix)]


def annotation_texts(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def trace(fig: go.Figure, name: str):
    matches = [t for t in fig.data if t.name == name]
    assert matches, f"no trace named {name!r} in {[t.name for t in fig.data]}"
    return matches[0]


def lines_at(fig: go.Figure) -> dict[float, object]:
    return {s.y0: s for s in fig.layout.shapes if s.type == "line"}


# -- trend: bands and thresholds -----------------------------------------------------------


@pytest.mark.parametrize("instrument", [PHQ9, GAD7, PAIN_NRS], ids=lambda i: i.id)
def test_band_rectangles_match_the_declaration(instrument):
    fig = charts.trend_figure(
        series_frame([(1, "2026-01-05T10:00:00Z", 3, "weekly")], instrument.id), instrument
    )
    bands = shapes_named(fig, "band:")
    assert [(s.y0, s.y1) for s in bands] == [(b.low, b.high) for b in instrument.bands]
    assert all(s.type == "rect" and s.xref == "x domain" and s.layer == "below" for s in bands)
    assert len({s.fillcolor for s in bands}) == len(bands)


def test_phq9_has_five_band_shapes_at_the_kroenke_cut_points():
    fig = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9)
    bands = shapes_named(fig, "band:")
    assert [(s.y0, s.y1) for s in bands] == [(0, 4), (5, 9), (10, 14), (15, 19), (20, 27)]


def test_every_band_has_a_text_label_at_the_right_edge():
    fig = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9)
    labels = [a for a in fig.layout.annotations if (a.name or "").startswith("band:")]
    assert [a.text for a in labels] == [
        "Minimal",
        "Mild",
        "Moderate",
        "Moderately severe",
        "Severe",
    ]
    assert all(a.x == 1 and a.xref == "x domain" and a.xanchor == "right" for a in labels)
    assert [a.y for a in labels] == [2, 7, 12, 17, 23.5]


def test_phq9_caseness_line_is_dashed_at_10_and_labelled():
    fig = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9)
    line = lines_at(fig)[10]
    assert line.y1 == 10 and line.line.dash == "dash"
    assert "cutoff:caseness" in line.name
    assert any("caseness" in t and t.endswith("10") for t in annotation_texts(fig))


@pytest.mark.parametrize(
    ("instrument", "expected"),
    [
        (PHQ9, {5: "dot", 10: "dash"}),  # remission < 5; caseness and probable depression 10
        (GAD7, {5: "dot", 8: "dash", 10: "dash"}),
        (PCL5, {33: "dash"}),  # remission bound equals the probable-PTSD cut-off: one line
        (PAIN_NRS, {}),
        (PEG, {}),
        (MOOD_NRS, {}),
    ],
    ids=lambda v: v.id if hasattr(v, "id") else "",
)
def test_threshold_lines_come_from_the_declaration(instrument, expected):
    fig = charts.trend_figure(
        series_frame([(1, "2026-01-05T10:00:00Z", 3, "weekly")], instrument.id), instrument
    )
    assert {y: s.line.dash for y, s in lines_at(fig).items()} == expected


def test_pcl5_has_no_band_shapes_but_a_cutoff_line_at_33():
    fig = charts.trend_figure(
        series_frame([(1, "2026-01-05T10:00:00Z", 40, "intake")], "pcl5"), PCL5
    )
    assert shapes_named(fig, "band:") == []
    assert 33 in lines_at(fig)
    assert "probable PTSD / remission below 33" in annotation_texts(fig)


def test_remission_bound_is_labelled():
    fig = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9)
    assert "remission below 5" in annotation_texts(fig)


# -- trend: points ---------------------------------------------------------------------------


def test_points_are_drawn_in_time_order_with_ids_as_customdata():
    rows = list(reversed(PHQ9_ROWS))
    fig = charts.trend_figure(series_frame(rows), PHQ9)
    main = trace(fig, "PHQ-9 total")
    assert main.mode == "lines+markers"
    assert list(main.y) == [19, 17, 12, 9, 6]
    assert list(main.customdata) == [1, 2, 3, 4, 5]
    assert main.x[0] == datetime(2026, 1, 4, 10, 0)


def test_point_hover_gives_date_score_band_and_context_in_words():
    fig = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9)
    hover = trace(fig, "PHQ-9 total").hovertext
    assert hover[0].startswith("4 Jan 2026, 10:00 UTC")
    assert "PHQ-9 19 / 27" in hover[0] and "moderately severe" in hover[0] and "Intake" in hover[0]
    assert "Before infusion" in hover[1] and "moderately severe" in hover[1]
    assert "Weekly" in hover[2] and "Band: moderate" in hover[2]
    assert "Total only" in hover[3] and "Total only" not in hover[2]


@pytest.mark.parametrize(
    ("context", "words"),
    list(charts.CONTEXT_LABELS.items()),
)
def test_every_context_has_human_wording(context, words):
    fig = charts.trend_figure(series_frame([(1, "2026-01-05T10:00:00Z", 8, context)]), PHQ9)
    assert words in trace(fig, "PHQ-9 total").hovertext[0]
    assert context not in trace(fig, "PHQ-9 total").hovertext[0] or context == words.lower()


def test_band_is_read_from_the_declaration_when_the_row_has_none():
    series = series_frame(PHQ9_ROWS).assign(band=None)
    fig = charts.trend_figure(series, PHQ9)
    assert "Band: moderate" in trace(fig, "PHQ-9 total").hovertext[2]


def test_total_only_points_are_hollow():
    fig = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9)
    hollow = trace(fig, "Total only")
    assert list(hollow.customdata) == [4] and list(hollow.y) == [9]
    assert hollow.marker.color == charts.HOLLOW_FILL
    assert hollow.marker.line.color == charts.SCORE_COLOUR and hollow.marker.line.width > 0
    assert hollow.hoverinfo == "skip"  # hover stays on the main trace


def test_no_hollow_trace_without_total_only_points():
    fig = charts.trend_figure(series_frame(PHQ9_ROWS[:3]), PHQ9)
    assert "Total only" not in [t.name for t in fig.data]


def test_other_instruments_rows_are_ignored():
    mixed = pd.concat(
        [series_frame(PHQ9_ROWS), series_frame([(9, "2026-01-06T10:00:00Z", 3, "weekly")], "gad7")]
    )
    fig = charts.trend_figure(mixed, PHQ9)
    assert list(trace(fig, "PHQ-9 total").customdata) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    "series",
    [
        series_frame([]),
        pd.DataFrame(),
        None,
        series_frame([(9, "2026-01-06T10:00:00Z", 3, "weekly")], "gad7"),
    ],
    ids=["no-rows", "no-columns", "none", "only-other-instruments"],
)
def test_empty_series_shows_no_check_ins_yet(series):
    fig = charts.trend_figure(series, PHQ9, INFUSIONS)
    assert annotation_texts(fig) == ["No check-ins yet"]
    assert fig.data == ()


@pytest.mark.parametrize(
    "instrument", [PHQ9, GAD7, PCL5, PAIN_NRS, PEG, MOOD_NRS], ids=lambda i: i.id
)
def test_y_range_is_the_instrument_range_with_small_padding(instrument):
    fig = charts.trend_figure(
        series_frame([(1, "2026-01-05T10:00:00Z", 3, "weekly")], instrument.id), instrument
    )
    span = instrument.total_max - instrument.total_min
    pad = charts.Y_PADDING * span
    assert 0 < pad <= 0.05 * span
    low, high = fig.layout.yaxis.range
    assert low == pytest.approx(instrument.total_min - pad)
    assert high == pytest.approx(instrument.total_max + pad)
    assert fig.layout.yaxis.fixedrange is True


# -- trend: infusions ------------------------------------------------------------------------


def test_infusions_are_marked_by_phase_colour_and_shape_on_a_strip():
    fig = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9, INFUSIONS)
    for phase, expected_ids in (
        ("induction", [11, 12, 13]),
        ("maintenance", [14]),
        ("booster", [15]),
    ):
        t = trace(fig, f"{phase.capitalize()} infusion")
        assert t.marker.symbol == charts.PHASE_SYMBOLS[phase]
        assert t.marker.color == charts.PHASE_COLOURS[phase]
        assert t.yaxis == "y2"
        assert list(t.customdata) == expected_ids
    assert {charts.PHASE_SYMBOLS[p] for p in charts.PHASES} == {"circle", "square", "diamond"}
    assert fig.layout.yaxis2.domain[1] < fig.layout.yaxis.domain[0]
    assert list(fig.layout.yaxis2.ticktext) == ["Infusions"]


def test_infusion_hover_names_number_phase_route_and_dose():
    fig = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9, INFUSIONS)
    hover = trace(fig, "Induction infusion").hovertext
    assert hover[2].startswith("Infusion #3 · induction · IV · 0.5 mg/kg (35 mg)")
    assert "9 Jan 2026" in hover[2]
    assert trace(fig, "Booster infusion").hovertext[0].startswith("Infusion #5 · booster")


def test_induction_period_is_shaded_from_first_to_last_induction_infusion():
    fig = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9, INFUSIONS)
    (shade,) = shapes_named(fig, "induction")
    assert pd.Timestamp(shade.x0) == pd.Timestamp("2026-01-05 15:00")
    assert pd.Timestamp(shade.x1) == pd.Timestamp("2026-01-09 15:00")
    assert shade.type == "rect" and shade.layer == "below"
    assert "Induction" in annotation_texts(fig)


def test_a_second_induction_course_is_shaded_separately():
    inf = infusion_frame(
        [
            (1, "2026-01-05T15:00:00Z", "induction"),
            (2, "2026-01-07T15:00:00Z", "induction"),
            (3, "2026-02-10T15:00:00Z", "maintenance"),
            (4, "2026-06-01T15:00:00Z", "induction"),
        ]
    )
    fig = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9, inf)
    runs = [(pd.Timestamp(s.x0), pd.Timestamp(s.x1)) for s in shapes_named(fig, "induction")]
    assert runs == [
        (pd.Timestamp("2026-01-05 15:00"), pd.Timestamp("2026-01-07 15:00")),
        (pd.Timestamp("2026-06-01 15:00"), pd.Timestamp("2026-06-01 15:00")),
    ]


def test_no_strip_without_infusions():
    fig = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9)
    assert "yaxis2" not in fig.layout.to_plotly_json()
    assert shapes_named(fig, "induction") == []
    assert [t.name for t in fig.data] == ["PHQ-9 total", "Total only"]


# -- trend: options ------------------------------------------------------------------------


def test_simplified_drops_threshold_lines_and_uses_plainer_words():
    fig = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9, INFUSIONS, simplified=True)
    assert lines_at(fig) == {}
    assert not any("caseness" in t or "remission" in t for t in annotation_texts(fig))
    assert len(shapes_named(fig, "band:")) == 5  # bands stay
    main = trace(fig, "Your score")
    assert "Your score: 12 of 27" in main.hovertext[2] and "Moderate range" in main.hovertext[2]
    assert "Weekly" in main.hovertext[2]
    inf_hover = trace(fig, "Induction infusion").hovertext[0]
    assert inf_hover.startswith("Infusion #1 · induction") and "mg" not in inf_hover
    assert fig.layout.yaxis.title.text == "Score"


def test_highlight_rings_the_given_assessments():
    fig = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9, highlight=[3, 5, 999])
    ring = trace(fig, "Signal")
    assert list(ring.customdata) == [3, 5]
    assert list(ring.y) == [12, 6]
    assert ring.marker.symbol == "circle-open" and ring.marker.size > 8


def test_no_ring_when_nothing_to_highlight():
    for highlight in (None, [], [999]):
        fig = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9, highlight=highlight)
        assert "Signal" not in [t.name for t in fig.data]


def test_date_range_sets_the_x_range_in_utc():
    fig = charts.trend_figure(
        series_frame(PHQ9_ROWS), PHQ9, date_range=("2026-01-01", "2026-02-01T05:00:00+05:00")
    )
    assert [pd.Timestamp(v) for v in fig.layout.xaxis.range] == [
        pd.Timestamp("2026-01-01 00:00"),
        pd.Timestamp("2026-02-01 00:00"),
    ]


def test_date_range_from_a_date_picker_includes_the_end_day():
    fig = charts.trend_figure(
        series_frame(PHQ9_ROWS), PHQ9, date_range=(date(2026, 1, 1), date(2026, 1, 31))
    )
    assert [pd.Timestamp(v) for v in fig.layout.xaxis.range] == [
        pd.Timestamp("2026-01-01"),
        pd.Timestamp("2026-02-01"),
    ]


@pytest.mark.parametrize("date_range", [(date(2026, 1, 1), None), (date(2026, 1, 1),), None])
def test_incomplete_date_range_leaves_the_x_axis_automatic(date_range):
    fig = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9, date_range=date_range)
    assert fig.layout.xaxis.range is None


# -- common layout ---------------------------------------------------------------------------


def test_layout_conventions():
    fig = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9, INFUSIONS)
    white = pio.templates["plotly_white"].layout
    assert fig.layout.template.layout.plot_bgcolor == white.plot_bgcolor
    assert fig.layout.template.layout.xaxis.gridcolor == white.xaxis.gridcolor
    assert "sans-serif" in fig.layout.font.family
    assert fig.layout.height == 320
    assert fig.layout.margin.l <= 60 and fig.layout.margin.t <= 40
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.y >= 1
    assert fig.layout.title.text is None
    assert all(t.hovertemplate == "%{hovertext}<extra></extra>" for t in fig.data if t.hovertext)


def test_figures_serialise_to_json():
    fig = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9, INFUSIONS, highlight=[3])
    assert '"Infusions"' in fig.to_json()


# -- palette ---------------------------------------------------------------------------------


def _lightness(rgb: tuple[float, float, float]) -> float:
    def linear(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    y = 0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])
    return 116 * y ** (1 / 3) - 16


def _over_white(rgba: str) -> tuple[float, float, float]:
    r, g, b, a = (float(v) for v in rgba[5:-1].split(","))
    return tuple(255 - (255 - c) * a for c in (r, g, b))


def test_every_declared_band_name_has_a_colour():
    names = {b.name for inst in REGISTRY.values() for b in inst.bands}
    assert names <= set(charts.BAND_COLOURS)
    assert names <= set(charts.BAND_ALPHA)


def test_band_shading_darkens_with_severity_so_it_reads_in_greyscale():
    order = ["minimal", "mild", "moderate", "moderately severe", "severe"]
    lightness = [_lightness(_over_white(charts.band_fill(n))) for n in order]
    assert lightness == sorted(lightness, reverse=True)
    assert len(set(lightness)) == len(lightness)


def test_phase_colours_are_not_severity_colours():
    assert not set(charts.PHASE_COLOURS.values()) & set(charts.BAND_COLOURS.values())


# -- before / after --------------------------------------------------------------------------


def _deltas() -> pd.DataFrame:
    columns = ["id", "administered_at", "context", "infusion_id", "total"]
    series = pd.DataFrame(
        [
            (1, "2026-01-05T14:30:00Z", "pre_infusion", 11, 7.0),
            (2, "2026-01-05T16:00:00Z", "post_infusion", 11, 3.0),
            (3, "2026-01-07T14:30:00Z", "pre_infusion", 12, 6.0),
            (4, "2026-01-07T16:00:00Z", "post_infusion", 12, 5.0),
            (5, "2026-01-09T14:30:00Z", "pre_infusion", 13, 5.0),
        ],
        columns=columns,
    ).assign(instrument="mood_nrs")
    return prepost_deltas(series, INFUSIONS, "mood_nrs")


def test_prepost_draws_a_dumbbell_per_complete_pair():
    fig = charts.prepost_figure(_deltas(), MOOD_NRS)
    pre, post = trace(fig, "Before infusion"), trace(fig, "After infusion")
    assert list(pre.x) == [1, 2, 3] and list(pre.y) == [7, 6, 5]
    assert list(post.y)[:2] == [3, 5]
    assert pre.marker.symbol != post.marker.symbol
    segments = trace(fig, "change")
    assert list(segments.x) == [1, 1, None, 2, 2, None]  # infusion 3 has no post: no segment
    assert list(segments.y) == [7, 3, None, 6, 5, None]
    assert fig.layout.yaxis.range[0] < 0 and fig.layout.yaxis.range[1] > 10


def test_prepost_hover_names_infusion_and_phase_and_mean_delta_is_annotated():
    fig = charts.prepost_figure(_deltas(), MOOD_NRS)
    hover = trace(fig, "Before infusion").hovertext
    assert hover[0].startswith("Infusion #1 · induction") and "Change −4" in hover[0]
    assert "After: –" in hover[2]
    # mean of (3 - 7) and (5 - 6) = -2.5
    assert "Mean change after infusion: −2.5 points (n = 2 pairs)" in annotation_texts(fig)


@pytest.mark.parametrize(
    "frame", [None, pd.DataFrame(), _deltas().assign(pre=float("nan"), post=float("nan"))]
)
def test_prepost_empty_is_annotated(frame):
    fig = charts.prepost_figure(frame, MOOD_NRS)
    assert annotation_texts(fig) == ["No before-and-after ratings yet"]


# -- item heat map ---------------------------------------------------------------------------


def answers_frame(instrument, values_by_assessment, *, skip=()) -> pd.DataFrame:
    """values_by_assessment: {(assessment_id, administered_at): [value per scored item]}."""
    rows = []
    for (aid, at), values in values_by_assessment.items():
        for item, v in zip(instrument.scored_items, values, strict=True):
            if (aid, item.id) not in skip:
                rows.append(
                    {"assessment_id": aid, "administered_at": at, "item_id": item.id, "value": v}
                )
    return pd.DataFrame(rows)


PHQ9_ANSWERS = {
    (2, "2026-01-12T10:00:00Z"): [1, 1, 2, 2, 1, 1, 1, 2, 1],
    (1, "2026-01-05T10:00:00Z"): [3, 3, 2, 2, 2, 2, 2, 2, 1],
    (3, "2026-01-19T10:00:00Z"): [0, 1, 1, 1, 0, 0, 1, 0, 0],
}


def test_heatmap_is_items_by_assessments_in_declaration_and_time_order():
    fig = charts.item_heatmap(answers_frame(PHQ9, PHQ9_ANSWERS), PHQ9)
    heat = fig.data[0]
    assert heat.type == "heatmap"
    assert (len(heat.z), len(heat.z[0])) == (9, 3)
    assert list(heat.x) == ["5 Jan 2026", "12 Jan 2026", "19 Jan 2026"]
    assert [row[0] for row in heat.z] == [3, 3, 2, 2, 2, 2, 2, 2, 1]  # 5 Jan, item 1..9
    assert heat.y[0].startswith("1. Little interest")
    assert all(len(label) <= 48 for label in heat.y)
    assert fig.layout.yaxis.autorange == "reversed"  # item 1 at the top
    assert (heat.zmin, heat.zmax) == (0, 3)


def test_heatmap_marks_phq9_item_9_and_never_drops_it():
    answers = answers_frame(PHQ9, PHQ9_ANSWERS, skip={(a, "phq9_9") for a in (1, 2, 3)})
    fig = charts.item_heatmap(answers, PHQ9)
    heat = fig.data[0]
    assert heat.y[8] == "9. Thoughts of death/self-harm ⚠"
    assert list(heat.z[8]) == [None, None, None]
    assert "Not answered" in heat.hovertext[8][0]
    (outline,) = shapes_named(fig, "safety:phq9_9")
    assert (outline.y0, outline.y1) == (7.5, 8.5)


def test_heatmap_hover_gives_the_answer_anchor():
    fig = charts.item_heatmap(answers_frame(PHQ9, PHQ9_ANSWERS), PHQ9)
    hover = fig.data[0].hovertext
    assert "3 · Nearly every day" in hover[0][0]
    assert "0 · Not at all" in hover[0][2]
    assert list(fig.data[0].colorbar.ticktext) == [
        "0 Not at all",
        "1 Several days",
        "2 More than half the days",
        "3 Nearly every day",
    ]


def test_heatmap_shows_unscored_items_only_when_answered():
    answers = answers_frame(PHQ9, PHQ9_ANSWERS)
    assert len(charts.item_heatmap(answers, PHQ9).data[0].y) == 9
    extra = pd.DataFrame(
        [
            {
                "assessment_id": 1,
                "administered_at": "2026-01-05T10:00:00Z",
                "item_id": "phq9_10",
                "value": 2,
            }
        ]
    )
    fig = charts.item_heatmap(pd.concat([answers, extra]), PHQ9)
    assert len(fig.data[0].y) == 10 and fig.data[0].y[9].startswith("10. ")
    assert "Very difficult" in fig.data[0].hovertext[9][0]


def test_heatmap_pcl5_has_twenty_unmarked_rows_on_its_0_to_4_range():
    values = {(1, "2026-01-05T10:00:00Z"): [2] * 20}
    fig = charts.item_heatmap(answers_frame(PCL5, values), PCL5)
    heat = fig.data[0]
    assert len(heat.y) == 20 and not any("⚠" in y for y in heat.y)
    assert (heat.zmin, heat.zmax) == (0, 4)


def test_heatmap_same_day_assessments_get_distinct_columns():
    values = {(1, "2026-01-05T09:00:00Z"): [0] * 9, (2, "2026-01-05T17:00:00Z"): [1] * 9}
    assert list(charts.item_heatmap(answers_frame(PHQ9, values), PHQ9).data[0].x) == [
        "5 Jan 2026",
        "5 Jan 2026 (2)",
    ]


@pytest.mark.parametrize(
    "frame", [None, pd.DataFrame(columns=["assessment_id", "administered_at", "item_id", "value"])]
)
def test_heatmap_empty_is_annotated(frame):
    assert annotation_texts(charts.item_heatmap(frame, PHQ9)) == ["No item answers yet"]


# -- cohort ----------------------------------------------------------------------------------

# x=0: four patients 10, 12, 14, 20 -> median 13, q25 11.5, q75 15.5, mean 14
#      (type-7 quartiles: position 0.75 -> 10 + 0.75*2; position 2.25 -> 14 + 0.25*6)
# x=1: three patients 8, 9, 13 (p3 answered twice: 12 and 14 -> 13) -> median 9, q25 8.5,
#      q75 11, mean 10
# x=2: two patients -> dropped (n < 3)
COHORT = pd.DataFrame(
    [
        ("p1", 0, 10),
        ("p2", 0, 12),
        ("p3", 0, 14),
        ("p4", 0, 20),
        ("p1", 1, 8),
        ("p2", 1, 9),
        ("p3", 1, 12),
        ("p3", 1, 14),
        ("p1", 2, 5),
        ("p2", 2, 6),
    ],
    columns=["patient_id", "x", "total"],
)


def test_cohort_summary_matches_hand_computed_quartiles():
    summary = charts.cohort_summary(COHORT)
    assert summary["x"].tolist() == [0, 1]
    assert summary["n"].tolist() == [4, 3]
    assert summary["median"].tolist() == [13, 9]
    assert summary["q25"].tolist() == [11.5, 8.5]
    assert summary["q75"].tolist() == [15.5, 11]
    assert summary["mean"].tolist() == [14, 10]
    assert summary["median"].tolist() == [
        statistics.median([10, 12, 14, 20]),
        statistics.median([8, 9, 13]),
    ]


def test_cohort_trajectory_draws_median_iqr_band_and_dashed_mean():
    fig = charts.cohort_trajectory(COHORT, PHQ9)
    q25, q75 = trace(fig, "q25"), trace(fig, "Middle half (IQR)")
    median, mean = trace(fig, "Median"), trace(fig, "Mean")
    assert list(median.x) == [0, 1]
    assert list(median.y) == [13, 9]
    assert list(q25.y) == [11.5, 8.5] and list(q75.y) == [15.5, 11]
    assert q75.fill == "tonexty" and fig.data.index(q25) == fig.data.index(q75) - 1
    assert list(mean.y) == [14, 10] and mean.line.dash == "dash"
    assert "n = 4" in median.hovertext[0] and "IQR 11.5–15.5" in median.hovertext[0]
    assert list(median.customdata) == [4, 3]
    assert len(shapes_named(fig, "band:")) == 5
    assert fig.layout.xaxis.title.text == "Weeks since first infusion"


def test_cohort_trajectory_reads_a_named_x_column():
    points = COHORT.rename(columns={"x": "infusion"})
    fig = charts.cohort_trajectory(points, PHQ9, x="infusion")
    assert list(trace(fig, "Median").y) == [13, 9]
    assert fig.layout.xaxis.title.text == "Infusions received"
    hover = trace(fig, "Median").hovertext
    assert hover[0].startswith("Before the first infusion · n = 4")
    assert hover[1].startswith("After 1 infusion · n = 3")


@pytest.mark.parametrize(
    "points", [None, COHORT.head(0), COHORT[COHORT["x"] == 2]], ids=["none", "empty", "n-below-3"]
)
def test_cohort_trajectory_without_enough_patients_is_annotated(points):
    fig = charts.cohort_trajectory(points, PHQ9)
    assert annotation_texts(fig) == ["Not enough patients yet (at least 3 per point)"]


# -- rates -----------------------------------------------------------------------------------


def test_rates_show_numerator_denominator_and_percent():
    rates = pd.DataFrame(
        {
            "label": ["Response", "Remission", "No data"],
            "numerator": [3, 1, 0],
            "denominator": [8, 8, 0],
        }
    )
    fig = charts.rates_figure(rates)
    bar = fig.data[0]
    assert bar.type == "bar" and bar.orientation == "h"
    assert list(bar.text) == ["3/8 (38 %)", "1/8 (13 %)", "0/0 (–)"]
    assert list(bar.x) == [37.5, 12.5, 0.0]
    assert list(bar.y) == ["Response", "Remission", "No data"]
    assert "3 of 8" in bar.hovertext[0]
    assert list(fig.layout.xaxis.range) == [0, 100]
    assert fig.layout.yaxis.autorange == "reversed"


def test_rates_empty_is_annotated():
    assert annotation_texts(
        charts.rates_figure(pd.DataFrame(columns=["label", "numerator", "denominator"]))
    ) == ["No data yet"]


# -- size (speed is measured in benchmarks/, never asserted here) -----------------------------


def test_trend_figure_draws_two_years_of_weekly_points_and_every_infusion():
    """104 weekly points and 30 infusions (two years of care) on the full clinician view."""
    start = pd.Timestamp("2025-01-06 15:00", tz="UTC")
    rows = [
        (
            k + 1,
            (start + pd.Timedelta(weeks=k)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            (k * 7) % 28,
            "weekly",
            int(k % 10 == 0),
        )
        for k in range(104)
    ]
    phases = ["induction"] * 6 + ["maintenance"] * 20 + ["booster"] * 4
    inf = infusion_frame(
        [
            (
                100 + k,
                (start + pd.Timedelta(days=1 + 10 * k)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                phases[k],
            )
            for k in range(30)
        ]
    )
    series = series_frame(rows)
    fig = charts.trend_figure(series, PHQ9, inf, highlight=[5, 50])
    assert len(trace(fig, "PHQ-9 total").y) == 104
    assert sum(len(t.x) for t in fig.data if t.name.endswith("infusion")) == 30



def test_the_server_skips_plotly_checks_but_draws_the_same_figure(monkeypatch):
    """PROGRESS_VALIDATE_FIGURES=0 (the app server) builds the same JSON as the checked build;
    the check itself is on in tests and does reject a wrong property."""
    checked = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9, INFUSIONS).to_plotly_json()
    monkeypatch.setenv("PROGRESS_VALIDATE_FIGURES", "0")
    unchecked = charts.trend_figure(series_frame(PHQ9_ROWS), PHQ9, INFUSIONS)
    assert unchecked._validate is False
    assert json.loads(pio.to_json(unchecked, validate=False)) == json.loads(pio.to_json(go.Figure(checked), validate=False))
    monkeypatch.setenv("PROGRESS_VALIDATE_FIGURES", "1")
    with pytest.raises(ValueError):
        charts.figure(data=[{"type": "scatter", "not_a_property": 1}])
