"""Reliable and clinically significant change for any instrument (Jacobson & Truax 1991).

Formulas (clinical-reference.md section 2.2, [S49]):

    SE      = SD_pre * sqrt(1 - r_xx)             standard error of measurement
    S_diff  = sqrt(2) * SE                        (Christensen & Mendoza's sqrt(2) term)
    RCI     = (x_post - x_pre) / S_diff           reliable when |RCI| > 1.96
    c       = (SD_clin * M_func + SD_func * M_clin) / (SD_clin + SD_func)

The criterion-c formula is the standard one; its source text is marked UNCONFIRMED verbatim
in the reference, and it is checked here against the R package clinicalsignificance's
published counts (tests/test_reliable.py). Every function takes ``higher_is_worse`` so the
same code serves symptom scales (PHQ-9, HAM-D) and well-being scales (WHO-5).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Z_95 = 1.96  # two-sided 95 % criterion [S49]

Category = Literal["improved", "unchanged", "deteriorated"]
Combined = Literal["recovered", "improved", "unchanged", "deteriorated", "harmed"]


def standard_error(sd_pre: float, reliability: float) -> float:
    """SE = SD_pre * sqrt(1 - r) [S49]."""
    if sd_pre < 0 or not 0 <= reliability <= 1:
        raise ValueError("sd_pre must be >= 0 and reliability within 0..1")
    return sd_pre * math.sqrt(1.0 - reliability)


def s_diff(sd_pre: float, reliability: float) -> float:
    """Standard error of a difference of two fallible scores: sqrt(2) * SE [S49]."""
    return math.sqrt(2.0) * standard_error(sd_pre, reliability)


def rci(pre: float, post: float, sd_pre: float, reliability: float) -> float:
    """The Jacobson-Truax reliable change index (post - pre) / S_diff [S49]."""
    spread = s_diff(sd_pre, reliability)
    if spread == 0:
        raise ValueError("an SD of 0 or a reliability of 1 leaves no measurement error to scale by")
    return (post - pre) / spread


def reliable_change_points(sd_pre: float, reliability: float, z: float = Z_95) -> float:
    """Smallest raw change counted as reliable: z * S_diff [S49]."""
    return z * s_diff(sd_pre, reliability)


def cutoff_c(m_clin: float, sd_clin: float, m_func: float, sd_func: float) -> float:
    """Jacobson-Truax criterion c between the clinical and functional populations [S49]."""
    return (sd_clin * m_func + sd_func * m_clin) / (sd_clin + sd_func)


def rci_category(
    pre: float, post: float, sd_pre: float, reliability: float, *, higher_is_worse: bool = True
) -> Category:
    """'improved' / 'deteriorated' when |RCI| > 1.96 in that direction, else 'unchanged'."""
    index = rci(pre, post, sd_pre, reliability)
    if abs(index) <= Z_95:
        return "unchanged"
    worse = index > 0 if higher_is_worse else index < 0
    return "deteriorated" if worse else "improved"


def combined_category(
    pre: float,
    post: float,
    sd_pre: float,
    reliability: float,
    cutoff: float,
    *,
    higher_is_worse: bool = True,
) -> Combined:
    """Jacobson-Truax combined categories: reliable change plus crossing the cut-off.

    recovered = reliably improved and moved past the cut-off into the functional range;
    harmed = reliably deteriorated and moved past the cut-off into the clinical range.
    """
    category = rci_category(pre, post, sd_pre, reliability, higher_is_worse=higher_is_worse)

    def functional(x: float) -> bool:
        return x < cutoff if higher_is_worse else x > cutoff

    if category == "improved" and not functional(pre) and functional(post):
        return "recovered"
    if category == "deteriorated" and functional(pre) and not functional(post):
        return "harmed"
    return category


def percent_category(
    pre: float, post: float, *, improvement: float = 0.5, deterioration: float | None = None,
    higher_is_worse: bool = True,
) -> Category:
    """Percentage-change categories ('improved' = at least ``improvement`` reduction, the
    50 % response rule [S52]); ``deterioration`` defaults to the same fraction."""
    if pre == 0:
        return "unchanged"
    change = (post - pre) / abs(pre)
    if not higher_is_worse:
        change = -change
    if change <= -improvement:
        return "improved"
    if change >= (improvement if deterioration is None else deterioration):
        return "deteriorated"
    return "unchanged"


def anchor_category(pre: float, post: float, points: float, *, higher_is_worse: bool = True) -> Category:
    """Fixed-point change categories; a change of exactly ``points`` counts (e.g. BDI 7)."""
    change = post - pre if higher_is_worse else pre - post
    if change <= -points:
        return "improved"
    if change >= points:
        return "deteriorated"
    return "unchanged"


@dataclass(frozen=True)
class Counts:
    """How many pairs fall in each category, with the denominator."""

    n: int
    by_category: dict[str, int]

    def __getitem__(self, key: str) -> int:
        return self.by_category.get(key, 0)


def count(categories: Sequence[str]) -> Counts:
    tally: dict[str, int] = {}
    for c in categories:
        tally[c] = tally.get(c, 0) + 1
    return Counts(len(categories), tally)
