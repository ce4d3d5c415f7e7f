"""Frozen dataclasses shared by the core: instruments as data, and the values computed from them.

An :class:`Instrument` is a declaration only; ``progress.scoring`` is the one interpreter of
its scoring rule, bands and flag rules. Every clinical number carries its ``[Sn]`` source tag
from ``clinical-reference.md`` in the ``sources`` or ``source`` fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

ScoringMethod = Literal["sum", "mean"]
Direction = Literal["higher_is_worse"]


@dataclass(frozen=True)
class AnswerOption:
    """One answer an item accepts: its numeric value, its printed anchor, its LOINC answer code."""

    value: int
    label: str
    loinc: str | None = None


@dataclass(frozen=True)
class Item:
    """One question. ``scored=False`` items (PHQ-9 difficulty) are recorded but not summed."""

    id: str
    text: str
    options: tuple[AnswerOption, ...]
    loinc: str | None = None
    scored: bool = True
    required: bool = True

    @cached_property
    def min_value(self) -> int:
        return min(o.value for o in self.options)

    @cached_property
    def max_value(self) -> int:
        return max(o.value for o in self.options)

    def label_for(self, value: int) -> str:
        for option in self.options:
            if option.value == value:
                return option.label
        return str(value)


@dataclass(frozen=True)
class Band:
    """A severity band: totals ``low..high`` inclusive are named ``name``."""

    low: float
    high: float
    name: str
    loinc: str | None = None


@dataclass(frozen=True)
class Subscale:
    """A named subset of items summed separately (PCL-5 DSM-5 clusters)."""

    id: str
    name: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class ItemAtLeast:
    """Flag ``flag`` when item ``item`` is answered ``>= value`` (PHQ-9 item 9 > 0)."""

    flag: str
    item: str
    value: int
    safety: bool = False
    source: str = ""


@dataclass(frozen=True)
class ClusterRule:
    """Flag ``flag`` when, counting items ``>= endorsed_at`` as endorsed, every subscale has
    at least its minimum of endorsed items (the PCL-5 DSM-5 provisional-diagnosis rule)."""

    flag: str
    endorsed_at: int
    minimum: tuple[tuple[str, int], ...]
    source: str = ""


@dataclass(frozen=True)
class Cutoff:
    """A named threshold on the total (caseness, probable diagnosis), with its source."""

    name: str
    value: float
    meaning: str
    source: str


@dataclass(frozen=True)
class MissingPolicy:
    """What to do when items are unanswered.

    ``max_prorated`` is how many items may be missing when a caller opts into proration;
    by default nothing is prorated (the PHQ manual rule is UNCONFIRMED in the reference).
    ``never_missing`` items make the form invalid whatever the policy (the safety item).
    """

    max_prorated: int = 0
    never_missing: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Outcomes:
    """Change thresholds used by metrics and signals.

    ``response_reduction`` is a fraction (0.5 = 50 % reduction). ``remission_below`` is a
    strict upper bound on the total (PHQ-9 < 5). ``None`` means the reference gives none.
    """

    reliable_change: float | None = None
    reliable_change_source: str = ""
    mcid: float | None = None
    mcid_source: str = ""
    response_reduction: float | None = 0.5
    partial_response_reduction: float | None = 0.25
    response_source: str = ""
    remission_below: float | None = None
    remission_source: str = ""
    remission_is_convention: bool = False


@dataclass(frozen=True)
class Instrument:
    """One standardized measure, declared once and read by the scorer, forms, charts, exports."""

    id: str
    name: str
    short_name: str
    version: str
    construct: str
    recall_period: str  # ISO 8601 duration, or "PT0S" for "right now"
    recall_text: str
    preamble: str
    items: tuple[Item, ...]
    method: ScoringMethod
    total_min: float
    total_max: float
    bands: tuple[Band, ...]
    cutoffs: tuple[Cutoff, ...]
    outcomes: Outcomes
    missing: MissingPolicy
    licence: str
    sources: tuple[str, ...]
    subscales: tuple[Subscale, ...] = ()
    flag_rules: tuple[ItemAtLeast | ClusterRule, ...] = ()
    panel_loinc: str | None = None
    total_loinc: str | None = None
    momentary: bool = False
    validated: bool = True
    note: str = ""
    direction: Direction = "higher_is_worse"

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.scored)

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    def cutoff(self, name: str) -> Cutoff | None:
        for c in self.cutoffs:
            if c.name == name:
                return c
        return None

    def band_for(self, total: float | None) -> str | None:
        """Name of the band holding ``total``, or None where the instrument has no bands."""
        if total is None:
            return None
        for band in self.bands:
            if band.low <= total <= band.high:
                return band.name
        return None


@dataclass(frozen=True)
class Score:
    """The result of scoring one completed form."""

    instrument: str
    total: float
    band: str | None
    subscales: dict[str, float] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    answers: dict[str, int] = field(default_factory=dict)
    n_missing: int = 0
    prorated: bool = False

    @property
    def safety(self) -> bool:
        return "item9_positive" in self.flags

    def as_json(self) -> dict:
        return {
            "instrument": self.instrument,
            "total": self.total,
            "band": self.band,
            "subscales": dict(self.subscales),
            "flags": list(self.flags),
        }
