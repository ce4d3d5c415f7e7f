"""Pain 0-10 numeric rating scale, "right now": fits a same-day before/after-infusion comparison [S20][S24]."""

from progress.instruments.scales import PAIN_NOW
from progress.model import Band, Instrument, Item, MissingPolicy, Outcomes

PAIN_NRS = Instrument(
    id="pain_nrs",
    name="Pain intensity, 0-10 numeric rating scale",
    short_name="Pain NRS",
    version="1.0",
    construct="pain",
    recall_period="PT0S",
    recall_text="Right now",
    preamble="Please rate your pain right now.",
    items=(Item("pain_nrs_1", "Your pain right now", PAIN_NOW, loinc="72514-3"),),
    method="sum",
    total_min=0,
    total_max=10,
    bands=(  # ePPOC grouping [S23]
        Band(0, 4, "mild"),
        Band(5, 6, "moderate"),
        Band(7, 10, "severe"),
    ),
    cutoffs=(),
    outcomes=Outcomes(
        mcid=2,
        mcid_source="[S20] (about 2 points or 30 %)",
        response_reduction=0.3,
        partial_response_reduction=None,
        response_source="[S20][S21] (>= 30 % reduction: moderately important)",
    ),
    missing=MissingPolicy(),
    panel_loinc=None,
    total_loinc="72514-3",
    momentary=True,
    licence="Public numeric rating scale.",
    sources=("[S20]", "[S21]", "[S23]", "[S24]"),
)
