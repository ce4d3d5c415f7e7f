"""PDF reports: the one-page therapist session summary and the cohort outcomes report.

Library: reportlab (pure Python wheel, about 0.1 s for a page; ecosystem notes 1.7). Trend
charts are the figures of :func:`progress.charts.trend_figure` -- the same severity bands,
cut-off lines and infusion markers as on screen -- drawn as vectors by
:mod:`progress.pdf_chart`, so no browser is needed to make a PDF.

Nothing here reads the clock: ``as_of`` is the caller's "now" and is printed on the page.
Wording is informational: signals and alerts are prompts for a clinician's review, never a
diagnosis or dosing advice; PHQ-9 item 9 alerts are always listed while open.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

import pandas as pd
import sqlite_utils
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepInFrame, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from progress import charts, cohort, course, instruments, store
from progress.model import Instrument
from progress.pdf_chart import figure_drawing

PAGE = A4
MARGIN = 12 * mm
DISCLAIMER = (
    "Alerts and signals are prompts for clinical review, not diagnoses or dosing advice. "
    "Pseudonymous record: keep with the clinical file."
)
_styles = getSampleStyleSheet()
H1 = ParagraphStyle("h1", parent=_styles["Heading1"], fontSize=14, leading=17, spaceAfter=2)
H2 = ParagraphStyle("h2", parent=_styles["Heading2"], fontSize=10, leading=12, spaceBefore=5,
                    spaceAfter=2)
BODY = ParagraphStyle("body", parent=_styles["BodyText"], fontSize=8, leading=10)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=6.5, leading=8,
                       textColor=colors.HexColor("#4B5563"))
GRID = colors.HexColor("#D1D5DB")


@dataclass(frozen=True)
class SessionSummary:
    """Everything the one-page summary shows, read from the store (testable without a PDF)."""

    patient_id: str
    as_of: str
    course_line: str
    phase: str | None
    n_infusions: int
    scores: pd.DataFrame  # one row per periodic instrument: latest, band, baseline, change...
    alerts: list[tuple[str, str, str]]  # (kind, created_at, reason), open only
    signals: list[tuple[str, str, str]]  # (kind, at, reason), active only
    side_effects: list[tuple[str, str]]  # (infusion date, effects)
    series: pd.DataFrame
    infusions: pd.DataFrame


def _text(value: object) -> str:
    return escape(str(value))


def _num(value: object) -> str:
    if value is None or pd.isna(value):
        return "-"
    v = float(value)
    return f"{v:g}" if v.is_integer() else f"{v:.1f}"


def session_summary(db: sqlite_utils.Database, patient_id: str, *, as_of: str) -> SessionSummary:
    """Gather the summary for ``patient_id`` (NotFound if there is no such patient)."""
    store.get_patient(db, patient_id)
    infusions = store.list_infusions(db, patient_id)
    ps = store.patient_summary(db, patient_id)
    alerts = store.list_alerts(db, patient_ids=[patient_id], status="open")
    signals: list[tuple[str, str, str]] = []
    lister = getattr(store, "list_signals", None)  # issue 6; absent in older checkouts
    if callable(lister):
        found = lister(db, patient_id=patient_id, active_only=True)
        signals = [(r.kind.replace("_", " "), r.at, r.reason) for r in found.itertuples()]
    effects = []
    if len(infusions):
        last = infusions.iloc[-1]
        effects.append((last["administered_at"][:10], ", ".join(last["side_effects"]) or "none recorded"))
    return SessionSummary(
        patient_id=patient_id,
        as_of=as_of,
        course_line=course.plan_progress(store.latest_course(db, patient_id), infusions, as_of=as_of),
        phase=ps.get("phase"),
        n_infusions=len(infusions),
        scores=store.instrument_summaries(db, patient_id),
        alerts=[(r.kind, r.created_at, r.reason) for r in alerts.itertuples()],
        signals=signals,
        side_effects=effects,
        series=store.load_series(db, patient_id),
        infusions=infusions,
    )


def _periodic(scores: pd.DataFrame) -> list[Instrument]:
    present = set(scores["instrument"]) if len(scores) else set()
    return [i for i in instruments.REGISTRY.values() if i.id in present and not i.momentary]


def _scores_table(s: SessionSummary, width: float) -> Table:
    rows = [["Measure", "Latest", "Band", "Baseline", "Change", "Status", "Reliable change"]]
    by = s.scores.set_index("instrument") if len(s.scores) else None
    for inst in _periodic(s.scores):
        r = by.loc[inst.id]
        change = "-" if pd.isna(r["change"]) else f"{r['change']:+g}"
        if not pd.isna(r["pct_change"]):
            change += f" ({r['pct_change']:+.0f} %)"
        rc = inst.outcomes.reliable_change
        rows.append([
            inst.short_name,
            f"{_num(r['latest_total'])} ({r['latest_at'][:10]})",
            "-" if pd.isna(r["latest_band"]) else r["latest_band"],
            _num(r["baseline_total"]),
            change,
            r["status"],
            f"{r['reliable']} (±{rc:g})" if not pd.isna(r["reliable"]) and rc else "-",
        ])
    table = Table(rows, colWidths=[w * width for w in (0.11, 0.17, 0.15, 0.1, 0.14, 0.16, 0.17)])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), "Helvetica", 7.5),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7.5),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]))
    return table


def _charts(s: SessionSummary, width: float) -> Table | None:
    shown = _periodic(s.scores)[:4]
    if not shown:
        return None
    per_row = 1 if len(shown) == 1 else 2
    cell_w = width / per_row
    cell_h = 80 * mm if len(shown) <= 2 else 62 * mm
    cells = []
    for inst in shown:
        fig = charts.trend_figure(s.series[s.series["instrument"] == inst.id], inst, s.infusions)
        cells.append(figure_drawing(fig, cell_w - 4, cell_h, title=inst.short_name))
    grid = [cells[i : i + per_row] for i in range(0, len(cells), per_row)]
    if len(grid[-1]) < per_row:
        grid[-1].append("")
    table = Table(grid, colWidths=[cell_w] * per_row)
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _definitions(shown: Sequence[Instrument]) -> str:
    parts = []
    for inst in shown:
        o = inst.outcomes
        bits = []
        if o.response_reduction is not None:
            bits.append(f"response = at least {o.response_reduction * 100:.0f} % below baseline {o.response_source}")
        if o.remission_below is not None:
            bits.append(f"remission = below {o.remission_below:g} {o.remission_source}")
        if o.reliable_change is not None:
            bits.append(f"reliable change = {o.reliable_change:g} points {o.reliable_change_source}")
        if bits:
            parts.append(f"{inst.short_name}: " + "; ".join(bits))
    return ("Baseline = last score at or before the first infusion. " + ". ".join(parts) + ".") if parts else ""


def session_summary_pdf(db: sqlite_utils.Database, patient_id: str, *, as_of: str) -> bytes:
    """The one-page therapist session summary as PDF bytes."""
    s = session_summary(db, patient_id, as_of=as_of)
    width = PAGE[0] - 2 * MARGIN
    story: list = [
        Paragraph(f"Session summary: patient {_text(s.patient_id)}", H1),
        Paragraph(f"Prepared {_text(s.as_of.replace('T', ' ').replace('Z', ' UTC'))}. "
                  f"{_text(s.course_line)}. Infusions so far: <b>{s.n_infusions}</b>; "
                  f"current phase: <b>{_text(s.phase or 'none recorded')}</b>.", BODY),
        Paragraph("Open alerts and signals", H2),
    ]
    if not s.alerts and not s.signals:
        story.append(Paragraph("None open.", BODY))
    for kind, at, reason in s.alerts:
        story.append(Paragraph(f"<b>{_text(kind.capitalize())} alert</b> ({_text(at[:10])}): {_text(reason)}", BODY))
    for kind, at, reason in s.signals:
        story.append(Paragraph(f"<b>{_text(kind.capitalize())}</b> ({_text(at[:10])}): {_text(reason)}", BODY))
    story.append(Paragraph("Latest scores", H2))
    if _periodic(s.scores):
        story.append(_scores_table(s, width))
    else:
        story.append(Paragraph("No check-ins yet.", BODY))
    chart_grid = _charts(s, width)
    if chart_grid is not None:
        story += [Paragraph("Trends (severity bands shaded; infusions on the strip below)", H2), chart_grid]
    story.append(Paragraph("Side effects at the last session", H2))
    if s.side_effects:
        story += [Paragraph(f"{_text(day)}: {_text(text)}", BODY) for day, text in s.side_effects]
    else:
        story.append(Paragraph("No infusions recorded.", BODY))
    story += [Spacer(1, 4), Paragraph(_text(_definitions(_periodic(s.scores))), SMALL),
              Paragraph(_text(DISCLAIMER), SMALL)]
    return _build([KeepInFrame(width, PAGE[1] - 2 * MARGIN, story, mode="shrink")],
                  title=f"Session summary {s.patient_id}")


def cohort_report_pdf(db: sqlite_utils.Database, *, as_of: str,
                      instrument_ids: Sequence[str] = ("phq9", "gad7")) -> bytes:
    """Cohort outcomes for leads: rates with numerators, denominators and definitions."""
    clinic = cohort.totals(store.cohort_chunks(db, instrument_ids[0]), instruments.get(instrument_ids[0]),
                           "week", (), as_of=as_of).overview  # per-patient rows, never a scan
    width = PAGE[0] - 2 * MARGIN
    story: list = [
        Paragraph("Cohort outcomes", H1),
        Paragraph(f"Prepared {_text(as_of.replace('T', ' ').replace('Z', ' UTC'))}. De-identified: "
                  f"counts only, no patient ids. Patients in the clinic: <b>{clinic['patients']}</b>; "
                  f"with at least one infusion: <b>{clinic['started']}</b>.",
                  BODY),
    ]
    for instrument_id in instrument_ids:
        inst = instruments.get(instrument_id)
        table = cohort.totals(store.cohort_chunks(db, instrument_id), inst, "week", (), as_of=as_of).rates
        story.append(Paragraph(f"{inst.short_name} ({_text(inst.name)})", H2))
        rows = [["Outcome and time point", "Patients", "Of (denominator)", "Rate"]]
        for r in table.itertuples():
            rate = f"{100 * r.numerator / r.denominator:.0f} %" if r.denominator else "-"
            rows.append([r.label, str(r.numerator), str(r.denominator), rate])
        t = Table(rows, colWidths=[0.55 * width, 0.15 * width, 0.17 * width, 0.13 * width])
        t.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), "Helvetica", 8), ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black), ("LINEBELOW", (0, 1), (-1, -1), 0.3, GRID),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ]))
        story.append(t)
        o = inst.outcomes
        notes = [f"Response = at least {(o.response_reduction or 0) * 100:.0f} % below baseline {o.response_source}."]
        if o.remission_below is not None:
            notes.append(f"Remission = below {o.remission_below:g} {o.remission_source}, counted among "
                         "patients not already below it at baseline.")
        story.append(Paragraph(_text(" ".join(notes)), SMALL))
    story += [
        Paragraph("Definitions and denominators", H2),
        Paragraph(_text(
            "Baseline = the last score at or before the first infusion [S38]; patients with a baseline "
            "of 0 are left out of response. End of induction = the score nearest day 21 within 14-31 "
            "days after the last induction infusion, as McInnes 2022 measured it [S38]. 3 and 6 months "
            "= the score nearest day 90 (window 76-104) and day 180 (window 159-201) after the first "
            "infusion (windows chosen by this project). The denominator of each rate is the number of "
            "patients with both a baseline and a score in that window; patients without one are not "
            "counted as failures."), BODY),
        Spacer(1, 4), Paragraph(_text(DISCLAIMER), SMALL),
    ]
    return _build(story, title="Cohort outcomes")


def _build(story: list, *, title: str) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN, title=title,
                            author="ketamine-clinic progress dashboard", invariant=1)
    doc.build(story)
    return buf.getvalue()


__all__ = ["SessionSummary", "cohort_report_pdf", "session_summary", "session_summary_pdf"]
