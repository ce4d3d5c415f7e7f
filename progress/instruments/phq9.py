"""PHQ-9 (Kroenke, Spitzer, Williams 2001): 9 scored items 0-3, recall 2 weeks [S1][S2][S3]."""

from progress.instruments.scales import DIFFICULTY, FREQUENCY_2W
from progress.model import (
    Band,
    Cutoff,
    Instrument,
    Item,
    ItemAtLeast,
    MissingPolicy,
    Outcomes,
)

_ITEMS = (
    ("phq9_1", "Little interest or pleasure in doing things", "44250-9"),
    ("phq9_2", "Feeling down, depressed, or hopeless", "44255-8"),
    ("phq9_3", "Trouble falling or staying asleep, or sleeping too much", "44259-0"),
    ("phq9_4", "Feeling tired or having little energy", "44254-1"),
    ("phq9_5", "Poor appetite or overeating", "44251-7"),
    (
        "phq9_6",
        "Feeling bad about yourself, or that you are a failure or have let yourself or your "
        "family down",
        "44258-2",
    ),
    (
        "phq9_7",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "44252-5",
    ),
    (
        "phq9_8",
        "Moving or speaking so slowly that other people could have noticed; or the opposite, "
        "being so fidgety or restless that you have been moving around a lot more than usual",
        "44253-3",
    ),
    (
        "phq9_9",
        "Thoughts that you would be better off dead, or of hurting yourself in some way",
        "44260-8",
    ),
)

PHQ9 = Instrument(
    id="phq9",
    name="Patient Health Questionnaire-9",
    short_name="PHQ-9",
    version="1.0",
    construct="depression",
    recall_period="P2W",
    recall_text="Over the last 2 weeks",
    preamble="Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    items=tuple(Item(i, t, FREQUENCY_2W, loinc=c) for i, t, c in _ITEMS)
    + (
        Item(
            "phq9_10",
            "If you checked off any problems, how difficult have these problems made it for you "
            "to do your work, take care of things at home, or get along with other people?",
            DIFFICULTY,
            loinc="69722-7",
            scored=False,  # recorded, never summed [S3]
            required=False,
        ),
    ),
    method="sum",
    total_min=0,
    total_max=27,
    # Kroenke 2001 cut-points 5/10/15/20 [S1][S8]; 0-4 not 1-4 (LOINC typo noted in the reference).
    bands=(
        Band(0, 4, "minimal", "LA6708-7"),
        Band(5, 9, "mild", "LA6709-5"),
        Band(10, 14, "moderate", "LA6710-3"),
        Band(15, 19, "moderately severe", "LA6711-1"),
        Band(20, 27, "severe", "LA6712-9"),
    ),
    cutoffs=(
        Cutoff("caseness", 10, "NHS Talking Therapies case (>9)", "[S48]"),
        Cutoff("probable_depression", 10, "PHQ-9 >= 10: sensitivity 88 %, specificity 88 % for major depression", "[S1]"),
    ),
    outcomes=Outcomes(
        reliable_change=6,
        reliable_change_source="[S48]",
        mcid=5,
        mcid_source="[S10]",
        response_reduction=0.5,
        partial_response_reduction=0.25,
        response_source="[S50][S52]",
        remission_below=5,
        remission_source="[S50][S51]",
    ),
    missing=MissingPolicy(
        max_prorated=2,
        never_missing=("phq9_9",),
        note="Proration of 1-2 missing items is UNCONFIRMED in the reference; off unless a caller opts in. "
        "Item 9 is never imputed.",
    ),
    subscales=(),
    flag_rules=(ItemAtLeast("item9_positive", "phq9_9", 1, safety=True, source="[S59][S61]"),),
    panel_loinc="44249-1",
    total_loinc="44261-6",
    licence="No permission required to reproduce, translate, display or distribute [S64][S2].",
    sources=("[S1]", "[S2]", "[S3]", "[S4]", "[S5]", "[S8]", "[S10]", "[S48]", "[S50]", "[S51]", "[S59]"),
)
