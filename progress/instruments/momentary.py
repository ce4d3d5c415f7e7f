"""Momentary mood and anxiety ratings, 0-10 "right now".

The reference names no validated momentary mood or anxiety scale. PHQ-9 and GAD-7 ask about
2 weeks, so they cannot show a same-day change around an infusion. These two single-item
ratings exist only for that before/after comparison: no bands, no cut-offs, no outcome
thresholds, and ``validated=False`` so every screen that shows them can say so.
"""

from progress.instruments.scales import ANXIETY_NOW, MOOD_NOW
from progress.model import Instrument, Item, MissingPolicy, Outcomes

_NOTE = "Unvalidated single-item rating for same-day before/after-infusion comparison only."

MOOD_NRS = Instrument(
    id="mood_nrs",
    name="Low mood right now, 0-10",
    short_name="Mood now",
    version="1.0",
    construct="mood (momentary)",
    recall_period="PT0S",
    recall_text="Right now",
    preamble="How low or depressed do you feel right now?",
    items=(Item("mood_nrs_1", "How low or depressed you feel right now", MOOD_NOW),),
    method="sum",
    total_min=0,
    total_max=10,
    bands=(),
    cutoffs=(),
    outcomes=Outcomes(response_reduction=None, partial_response_reduction=None),
    missing=MissingPolicy(),
    momentary=True,
    validated=False,
    licence="Project's own wording; free to use.",
    sources=("DESIGN NOTE",),
    note=_NOTE,
)

ANXIETY_NRS = Instrument(
    id="anxiety_nrs",
    name="Anxiety right now, 0-10",
    short_name="Anxiety now",
    version="1.0",
    construct="anxiety (momentary)",
    recall_period="PT0S",
    recall_text="Right now",
    preamble="How anxious do you feel right now?",
    items=(Item("anxiety_nrs_1", "How anxious you feel right now", ANXIETY_NOW),),
    method="sum",
    total_min=0,
    total_max=10,
    bands=(),
    cutoffs=(),
    outcomes=Outcomes(response_reduction=None, partial_response_reduction=None),
    missing=MissingPolicy(),
    momentary=True,
    validated=False,
    licence="Project's own wording; free to use.",
    sources=("DESIGN NOTE",),
    note=_NOTE,
)
