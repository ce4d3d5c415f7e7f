"""PEG-3 (Krebs 2009): pain average, interference with enjoyment of life and with general
activity, 0-10 each, score = mean, recall past week [S22]."""

from progress.instruments.scales import PEG_INTERFERENCE, PEG_PAIN
from progress.model import Instrument, Item, MissingPolicy, Outcomes

PEG = Instrument(
    id="peg",
    name="PEG: Pain, Enjoyment of life, General activity",
    short_name="PEG",
    version="PEG-3",
    construct="pain",
    recall_period="P1W",
    recall_text="In the past week",
    preamble="Thinking about the past week:",
    items=(
        Item("peg_1", "What number best describes your pain on average in the past week?", PEG_PAIN),
        Item(
            "peg_2",
            "What number best describes how, during the past week, pain has interfered with your "
            "enjoyment of life?",
            PEG_INTERFERENCE,
        ),
        Item(
            "peg_3",
            "What number best describes how, during the past week, pain has interfered with your "
            "general activity?",
            PEG_INTERFERENCE,
        ),
    ),
    method="mean",
    total_min=0,
    total_max=10,
    bands=(),  # 0-3.9 / 4-6.9 / 7-10 appear only on secondary sites: UNCONFIRMED, left out
    cutoffs=(),
    outcomes=Outcomes(
        response_reduction=0.3,
        partial_response_reduction=None,
        response_source="[S21] (>= 30 % pain reduction, IMMPACT; applied to the PEG mean)",
    ),
    missing=MissingPolicy(note="Mean of all three items; none may be missing."),
    licence="Published by Krebs et al. 2009 for free use [S22].",
    sources=("[S22]", "[S21]"),
    note="PEG LOINC code is UNCONFIRMED in the reference and left out.",
)
