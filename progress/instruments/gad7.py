"""GAD-7 (Spitzer 2006): 7 items 0-3, recall 2 weeks [S11]."""

from progress.instruments.scales import FREQUENCY_2W
from progress.model import Band, Cutoff, Instrument, Item, MissingPolicy, Outcomes

_ITEMS = (
    ("gad7_1", "Feeling nervous, anxious, or on edge", "69725-0"),
    ("gad7_2", "Not being able to stop or control worrying", "68509-9"),
    ("gad7_3", "Worrying too much about different things", "69733-4"),
    ("gad7_4", "Trouble relaxing", "69734-2"),
    ("gad7_5", "Being so restless that it is hard to sit still", "69735-9"),
    ("gad7_6", "Becoming easily annoyed or irritable", "69689-8"),
    ("gad7_7", "Feeling afraid, as if something awful might happen", "69736-7"),
)

GAD7 = Instrument(
    id="gad7",
    name="Generalized Anxiety Disorder-7",
    short_name="GAD-7",
    version="1.0",
    construct="anxiety",
    recall_period="P2W",
    recall_text="Over the last 2 weeks",
    preamble="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=tuple(Item(i, t, FREQUENCY_2W, loinc=c) for i, t, c in _ITEMS),
    method="sum",
    total_min=0,
    total_max=21,
    bands=(  # cut-points 5/10/15 [S11]
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 21, "severe"),
    ),
    cutoffs=(
        Cutoff("caseness", 8, "NHS Talking Therapies case (>7)", "[S48]"),
        Cutoff("probable_gad", 10, "GAD-7 >= 10: sensitivity 89 %, specificity 82 % for GAD", "[S11b]"),
    ),
    outcomes=Outcomes(
        reliable_change=4,
        reliable_change_source="[S48]",
        mcid=4,
        mcid_source="[S13]",
        response_reduction=0.5,
        partial_response_reduction=0.25,
        response_source="[S52] (by analogy with depression scales)",
        remission_below=5,
        remission_source="convention (UNCONFIRMED as a formal standard)",
        remission_is_convention=True,
    ),
    missing=MissingPolicy(note="The reference gives no missing-item rule: every item is required."),
    panel_loinc="69737-5",
    total_loinc="70274-6",
    licence="No permission required to reproduce, translate, display or distribute (PHQ family) [S64].",
    sources=("[S5]", "[S6]", "[S11]", "[S11b]", "[S13]", "[S48]"),
)
