"""Plain-language sentences about a patient's progress, for the patient's own view.

Worded as information, never as advice or diagnosis.
"""

from __future__ import annotations

from progress.model import Instrument

_PLAIN = {
    "depression": "depression",
    "anxiety": "anxiety",
    "PTSD": "PTSD symptom",
    "pain": "pain",
}


def _num(value: float) -> str:
    return f"{value:g}" if float(value) == int(value) else f"{value:.1f}"


def _with_band(value: float, band: str | None) -> str:
    return f"{_num(value)} ({band})" if band else _num(value)


def progress_sentence(
    instrument: Instrument,
    baseline: float | None,
    baseline_band: str | None,
    latest: float,
    latest_band: str | None,
    n: int,
) -> str:
    """E.g. "Your depression score (PHQ-9) has gone from 19 (moderately severe) to 8 (mild)
    since you started. Lower is better." """
    what = f"Your {_PLAIN.get(instrument.construct, instrument.construct)} score ({instrument.short_name})"
    if baseline is None or n < 2:
        return f"{what} is {_with_band(latest, latest_band)}. Lower is better; your trend appears after a few more check-ins."
    if latest == baseline:
        return f"{what} is {_with_band(latest, latest_band)}, the same as when you started. Lower is better."
    return (
        f"{what} has gone from {_with_band(baseline, baseline_band)} to "
        f"{_with_band(latest, latest_band)} since you started. Lower is better."
    )
