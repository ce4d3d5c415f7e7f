"""PCL-5 (PTSD Checklist for DSM-5): 20 items 0-4, recall past month [S15][S15b]."""

from progress.instruments.scales import PCL5_SEVERITY
from progress.model import (
    ClusterRule,
    Cutoff,
    Instrument,
    Item,
    MissingPolicy,
    Outcomes,
    Subscale,
)

_SE = "the stressful experience"
_TEXTS = (
    f"Repeated, disturbing, and unwanted memories of {_SE}",
    f"Repeated, disturbing dreams of {_SE}",
    f"Suddenly feeling or acting as if {_SE} were actually happening again (as if you were "
    "actually back there reliving it)",
    f"Feeling very upset when something reminded you of {_SE}",
    f"Having strong physical reactions when something reminded you of {_SE} (for example, heart "
    "pounding, trouble breathing, sweating)",
    f"Avoiding memories, thoughts, or feelings related to {_SE}",
    f"Avoiding external reminders of {_SE} (for example, people, places, conversations, "
    "activities, objects, or situations)",
    f"Trouble remembering important parts of {_SE}",
    "Having strong negative beliefs about yourself, other people, or the world (for example, "
    "having thoughts such as: I am bad, there is something seriously wrong with me, no one can "
    "be trusted, the world is completely dangerous)",
    f"Blaming yourself or someone else for {_SE} or what happened after it",
    "Having strong negative feelings such as fear, horror, anger, guilt, or shame",
    "Loss of interest in activities that you used to enjoy",
    "Feeling distant or cut off from other people",
    "Trouble experiencing positive feelings (for example, being unable to feel happiness or have "
    "loving feelings for people close to you)",
    "Irritable behavior, angry outbursts, or acting aggressively",
    "Taking too many risks or doing things that could cause you harm",
    'Being "superalert" or watchful or on guard',
    "Feeling jumpy or easily startled",
    "Having difficulty concentrating",
    "Trouble falling or staying asleep",
)


PCL5 = Instrument(
    id="pcl5",
    name="PTSD Checklist for DSM-5",
    short_name="PCL-5",
    version="DSM-5 (past month)",
    construct="PTSD",
    recall_period="P1M",
    recall_text="In the past month",
    preamble="In the past month, how much were you bothered by:",
    # Item-level LOINC map is UNCONFIRMED in the reference: items carry no code.
    items=tuple(Item(f"pcl5_{n}", t, PCL5_SEVERITY) for n, t in enumerate(_TEXTS, start=1)),
    method="sum",
    total_min=0,
    total_max=80,
    bands=(),  # "No empirically derived severity bands exist" [S15]
    cutoffs=(
        Cutoff(
            "probable_ptsd",
            33,
            "Total 31-33 indicates probable PTSD; the upper end (33) is used to limit false "
            "positives; change the setting to 31 to maximise detection",
            "[S15][S16]",
        ),
    ),
    outcomes=Outcomes(
        reliable_change=10,
        reliable_change_source="[S16] (NCPTSD 5-10 points; upper end used; Marx RCI 15-18 [S17])",
        mcid=10,
        mcid_source="[S16][S18]",
        response_reduction=0.5,
        partial_response_reduction=0.25,
        response_source="[S52] (by analogy with depression scales)",
        remission_below=33,
        remission_source="below the probable-PTSD cut-off [S15]",
    ),
    missing=MissingPolicy(note="The reference gives no missing-item rule: every item is required."),
    subscales=(
        Subscale("B", "Intrusion", tuple(f"pcl5_{n}" for n in range(1, 6))),
        Subscale("C", "Avoidance", tuple(f"pcl5_{n}" for n in range(6, 8))),
        Subscale("D", "Negative cognitions and mood", tuple(f"pcl5_{n}" for n in range(8, 15))),
        Subscale("E", "Arousal and reactivity", tuple(f"pcl5_{n}" for n in range(15, 21))),
    ),
    flag_rules=(
        ClusterRule(
            "pcl5_provisional_ptsd",
            endorsed_at=2,
            minimum=(("B", 1), ("C", 1), ("D", 2), ("E", 2)),
            source="[S15][S15b]",
        ),
    ),
    panel_loinc="101697-1",
    total_loinc="101698-9",
    licence="US VA National Center for PTSD; public domain [S15c].",
    sources=("[S15]", "[S15b]", "[S15c]", "[S16]", "[S17]", "[S18]", "[S19]"),
    note="A weekly ('past week') wording exists in trials but is UNCONFIRMED; this is the past-month form.",
)
