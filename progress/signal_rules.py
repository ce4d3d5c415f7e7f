"""Every number the signals use, in one place, with its source.

Signals are review prompts for a clinician, never diagnoses or dosing advice. The values
below come from clinical-reference.md; where the reference calls something a DESIGN NOTE
or UNCONFIRMED, the field is a setting a clinic may change (``Rules`` is frozen: build a
new one with ``dataclasses.replace``), and the benchmark in benchmarks/signals.py measures
what the defaults do on a synthetic cohort with known relapse dates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from progress import instruments

# Detector names. The shipped booster_review combines ``relapse_rule``, ``confirmed_relapse``
# and ``cusum``; ``sustain_baseline`` (the plain SUSTAIN-style rule) and ``ewma`` are kept
# so the benchmark can compare them on the same cohort.
RELAPSE_RULE = "relapse_rule"
CONFIRMED_RELAPSE = "confirmed_relapse"
CUSUM = "cusum"
EWMA = "ewma"
SUSTAIN_BASELINE = "sustain_baseline"
DETECTORS = (RELAPSE_RULE, CONFIRMED_RELAPSE, CUSUM, EWMA, SUSTAIN_BASELINE)

# The caseness-like cut-off per instrument: NHS Talking Therapies caseness for PHQ-9 (>= 10)
# and GAD-7 (>= 8) [S48]; the probable-PTSD cut-off for PCL-5 (33, upper end of 31-33) [S15].
CASENESS_CUTOFF = {"phq9": "caseness", "gad7": "caseness", "pcl5": "probable_ptsd"}
MONITORED = tuple(CASENESS_CUTOFF)


@dataclass(frozen=True)
class Thresholds:
    """The per-instrument numbers a rule needs, read from the instrument declaration."""

    instrument: str
    caseness: float
    reliable_change: float
    sem: float  # standard error of measurement implied by the reliable-change value
    response_reduction: float
    remission_below: float | None


def thresholds(instrument_id: str) -> Thresholds:
    """Caseness, reliable change, SEM and response fraction for one monitored instrument.

    SEM = RC / (1.96 * sqrt(2)): the NHS TT reliable-change values imply about 2.16 points
    for PHQ-9 and 1.44 for GAD-7 (derived arithmetic in clinical-reference.md section 2.2).
    """
    inst = instruments.get(instrument_id)
    cutoff = inst.cutoff(CASENESS_CUTOFF[instrument_id])
    rc = inst.outcomes.reliable_change
    if cutoff is None or rc is None:  # pragma: no cover - guarded by the catalogue test
        raise ValueError(f"{instrument_id} lacks a caseness cut-off or reliable-change value")
    return Thresholds(
        instrument=instrument_id,
        caseness=cutoff.value,
        reliable_change=rc,
        sem=rc / (1.96 * math.sqrt(2.0)),
        response_reduction=inst.outcomes.response_reduction or 0.5,
        remission_below=inst.outcomes.remission_below,
    )


@dataclass(frozen=True)
class Rules:
    """Parameters of every signal rule. Defaults are the shipped configuration."""

    # Which detectors raise booster_review (any of them; the first that fires names the
    # signal). Measured on synthetic cohorts with known relapse onsets: benchmarks/README.md.
    #  - relapse_rule: the reference's PHQ-9 analogue (section 2.4 DESIGN NOTE [S48][S33]):
    #    two consecutive check-ins 5-15 days apart, both >= caseness and >= the
    #    post-induction level + the reliable-change value;
    #  - confirmed_relapse: the SUSTAIN-style two-consecutive rule at caseness [S33],
    #    confirmed against the patient's own level (both scores > level + confirm_sigma SD);
    #  - cusum: the personalised control chart (section 2.6 [S55c]) on the same level.
    booster_detectors: tuple[str, ...] = (RELAPSE_RULE, CONFIRMED_RELAPSE, CUSUM)

    # Two consecutive assessments 5-15 days apart (SUSTAIN-1 relapse spacing [S33]).
    min_gap_days: float = 5.0
    max_gap_days: float = 15.0
    # The personal rules confirm on two consecutive check-ins 2-21 days apart (DESIGN NOTE:
    # weekly check-ins drift by a few days and some weeks are missed).
    personal_min_gap_days: float = 2.0
    personal_max_gap_days: float = 21.0
    confirm_sigma: float = 1.75

    # Induction counts as finished at the first maintenance/booster infusion, or once this
    # many days pass without an induction infusion (DESIGN NOTE: induction sessions run 2-3
    # times a week [S35][S36][S37], so a 10-day gap means the series has ended).
    induction_gap_days: float = 10.0

    # The patient's own post-induction level ("phase I", section 2.6 DESIGN NOTE: "mean of
    # the patient's first 2-3 post-induction scores"): estimated from the first 3 monitored
    # scores, then refined with later typical scores over a rolling year of check-ins.
    phase1_min: int = 3
    phase1_max: int = 52
    # sigma: the instrument SEM inflated by sqrt(2) for week-to-week fluctuation, pooled with
    # the patient's own SD (section 2.6: "or the patient's own in-control SD if >= 8 points
    # exist"); the prior counts as ``sigma_prior_weight`` scores.
    sigma_prior_sem_multiple: float = math.sqrt(2.0)
    sigma_prior_weight: float = 4.0

    # Tabular CUSUM [S55c][S55d]: k = delta/2 with delta = 2 SD (about the PHQ-9 reliable-
    # change value of 6 points with SD ~3), h = 3.5 (the textbook h of 4-5 for k = 0.5 is
    # UNCONFIRMED in the reference; h is a setting). Steps are capped at 2.5 SD so a single
    # bad week cannot reach h alone (robust CUSUM, DESIGN NOTE), and the alarm needs the
    # latest score above the level + 1 SD.
    cusum_k: float = 1.0
    cusum_h: float = 3.5
    cusum_cap: float | None = 2.5
    # EWMA (Montgomery/NIST [S55][S55b]): lambda 0.2-0.3, L = 3. Benchmark comparison only.
    ewma_lambda: float = 0.3
    ewma_l: float = 3.0

    # not_on_track: from the clinic's own history when at least this many courses reached
    # the same infusion number, otherwise the published anchor below.
    trajectory_min_courses: int = 30
    trajectory_percentile: float = 0.8  # worse than 4 in 5 of the clinic's courses
    not_on_track_from_infusion: int = 3
    # Published anchor (section 2.5): about half of patients reach a >= 50 % PHQ-9 reduction
    # by the end of a 6-infusion induction (McInnes 2022 53.6 % [S38], Oliver 2022 50 % [S39]),
    # and the median patient responds by infusion 3 in Phillips 2019 [S36]. The expected
    # reduction is interpolated linearly to 50 % at infusion 6 (DESIGN NOTE); a course is off
    # track when a score exceeds that expectation by more than the reliable-change value.
    published_reduction_at_end: float = 0.5
    published_end_infusion: int = 6

    # Clinic-history trajectory: infusion number -> (reduction at the chosen percentile,
    # number of courses). Filled by ``trajectory.reference`` from stored data.
    trajectory: dict[int, tuple[float, int]] = field(default_factory=dict)


DEFAULT_RULES = Rules()
