"""PDF reports (progress/report.py) and the figure-to-PDF drawing (progress/pdf_chart.py).

The PDFs are rendered for real; where poppler-utils is installed (``.ci/run`` installs it)
the pages are converted with ``pdftoppm``/``pdftotext`` and checked: one page, the words a
therapist needs, and ink where the charts are. The PNGs are kept in pytest's tmp dir so a
person can look at them.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from PIL import Image
from reportlab.graphics.shapes import Circle, Polygon, Rect

from progress import charts, cohort, demo, instruments, report, store
from progress.errors import NotFound
from progress.pdf_chart import colour, figure_drawing

AS_OF = "2026-12-03T10:00:00Z"
POPPLER = shutil.which("pdftoppm") is not None and shutil.which("pdftotext") is not None
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils not installed")


@pytest.fixture(scope="module")
def clinic():
    database = store.open_db(memory=True)
    demo.build_demo(database, patients=8, seed=3, anchor=demo.DEFAULT_ANCHOR)
    yield database
    database.close()


@pytest.fixture(scope="module")
def alerted(clinic) -> str:
    """A patient with an open alert."""
    return store.list_alerts(clinic, status="open")["patient_id"].iloc[0]


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def pages_png(pdf: bytes, tmp_path, name: str) -> list:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(tmp_path / name)], check=True)
    return sorted(tmp_path.glob(f"{name}-*.png"))


# -- what the summary holds ---------------------------------------------------------------


def test_summary_lists_open_alerts_with_their_reasons(clinic, alerted):
    s = report.session_summary(clinic, alerted, as_of=AS_OF)
    want = store.list_alerts(clinic, patient_ids=[alerted], status="open")
    assert [r for _, _, r in s.alerts] == want["reason"].tolist()
    assert s.n_infusions == len(store.list_infusions(clinic, alerted))


def test_summary_lists_active_signals_with_their_reasons(db):
    demo.build_demo(db, patients=40, seed=7, anchor=demo.DEFAULT_ANCHOR)
    store.refresh_all_signals(db)
    active = store.list_signals(db, active_only=True)
    assert len(active), "seed 7 raises signals (booster review, not on track, deterioration)"
    pid = active["patient_id"].iloc[0]
    s = report.session_summary(db, pid, as_of=AS_OF)
    want = active[active["patient_id"] == pid]["reason"].tolist()
    assert [r for _, _, r in s.signals] == want


def test_summary_of_an_unknown_patient_is_refused(clinic):
    with pytest.raises(NotFound, match="KC-9999"):
        report.session_summary(clinic, "KC-9999", as_of=AS_OF)


@needs_poppler
def test_a_patient_without_check_ins_gets_a_summary_that_says_so(db, tmp_path):
    store.add_patient(db, "NEW-1", created_at=AS_OF)
    text = pdf_text(report.session_summary_pdf(db, "NEW-1", as_of=AS_OF), tmp_path)
    assert "No check-ins yet." in text and "No infusions recorded." in text
    assert "Trends" not in text


def test_the_pdf_is_reproducible(clinic, alerted):
    one = report.session_summary_pdf(clinic, alerted, as_of=AS_OF)
    assert one.startswith(b"%PDF") and one == report.session_summary_pdf(clinic, alerted, as_of=AS_OF)


@needs_poppler
def test_session_summary_is_one_page_with_what_a_therapist_needs(clinic, alerted, tmp_path):
    pdf = report.session_summary_pdf(clinic, alerted, as_of=AS_OF)
    assert len(pages_png(pdf, tmp_path, "summary")) == 1
    text = " ".join(pdf_text(pdf, tmp_path).split())
    assert f"Session summary: patient {alerted}" in text
    for heading in ("Open alerts and signals", "Latest scores", "Trends", "Side effects at the last session"):
        assert heading in text
    reason = store.list_alerts(clinic, patient_ids=[alerted], status="open")["reason"].iloc[0]
    assert " ".join(reason.split())[:60] in text
    row = store.instrument_summaries(clinic, alerted).set_index("instrument").loc["phq9"]
    assert row["status"] in text
    assert "not diagnoses or dosing advice" in text


@needs_poppler
def test_no_summary_prints_a_missing_value_as_nan(clinic, tmp_path):
    for pid in store.list_patient_ids(clinic):
        text = pdf_text(report.session_summary_pdf(clinic, pid, as_of=AS_OF), tmp_path)
        assert "nan" not in text.split(), pid


@needs_poppler
def test_the_charts_are_drawn_on_the_page(clinic, alerted, tmp_path):
    pdf = report.session_summary_pdf(clinic, alerted, as_of=AS_OF)
    image = Image.open(pages_png(pdf, tmp_path, "ink")[0]).convert("RGB")
    w, h = image.size
    band = image.crop((int(w * 0.1), int(h * 0.3), int(w * 0.9), int(h * 0.6)))
    colours = band.getcolors(maxcolors=100_000) or []
    assert len(colours) > 20, "the chart area is (nearly) blank"


@needs_poppler
def test_cohort_report_shows_definitions_and_denominators(clinic, tmp_path):
    pdf = report.cohort_report_pdf(clinic, as_of=AS_OF)
    text = " ".join(pdf_text(pdf, tmp_path).split())
    inst = instruments.get("phq9")
    rates = cohort.rates(inst, store.cohort_scores(clinic, "phq9"), store.cohort_patients(clinic))
    first = rates.iloc[0]
    assert f"{first['label']} {first['numerator']} {first['denominator']}" in text
    assert "Definitions and denominators" in text and "McInnes" in text
    assert not any(pid in text for pid in store.list_patient_ids(clinic))


# -- figure drawing -----------------------------------------------------------------------


def test_the_drawing_carries_every_band_point_and_infusion_of_the_figure(clinic, alerted):
    inst = instruments.get("phq9")
    series = store.load_series(clinic, alerted, "phq9")
    infusions = store.list_infusions(clinic, alerted)
    drawing = figure_drawing(charts.trend_figure(series, inst, infusions), 400, 220)

    def walk(node):
        for child in getattr(node, "contents", []):
            yield child
            yield from walk(child)

    shapes = list(walk(drawing))
    fills = {(round(s.fillColor.red, 2), round(s.fillColor.green, 2))
             for s in shapes if isinstance(s, Rect) and s.fillColor is not None}
    for band in inst.bands:
        c = colour(charts.band_fill(band.name))
        assert (round(c.red, 2), round(c.green, 2)) in fills, band.name
    markers = [s for s in shapes if isinstance(s, Circle | Polygon) or (isinstance(s, Rect) and s.width < 8)]
    assert len(markers) >= len(series) + len(infusions)


@pytest.mark.parametrize(
    ("text", "rgba"),
    [("#FF0000", (1, 0, 0, 1)), ("rgba(0,158,115,0.25)", (0, 158 / 255, 115 / 255, 0.25)),
     ("rgb(255, 255, 255)", (1, 1, 1, 1)), (None, (0, 0, 0, 1))],
    ids=["hex", "rgba", "rgb-spaces", "missing"],
)
def test_colours_are_read_from_plotly_notation(text, rgba):
    c = colour(text)
    assert (c.red, c.green, c.blue, c.alpha) == pytest.approx(rgba)


def test_a_label_at_the_right_edge_stays_inside_the_plot():
    import plotly.graph_objects as go
    from reportlab.graphics.shapes import String

    fig = go.Figure(
        data=[{"type": "scatter", "x": [0, 10], "y": [0, 1], "mode": "lines"}],
        layout={"xaxis": {"range": [0, 10]}, "yaxis": {"range": [0, 1]},
                "annotations": [{"text": "Induction", "x": 10, "y": 1, "xref": "x", "yref": "paper",
                                 "xanchor": "left", "showarrow": False}]},
    )
    drawing = figure_drawing(fig, 300, 150)
    label = next(s for s in drawing.contents if isinstance(s, String) and s.text == "Induction")
    assert label.textAnchor == "end" and label.x <= 300 - 8
