"""The instrument registry: every declaration, looked up by id."""

from __future__ import annotations

from progress.errors import UnknownInstrument
from progress.instruments.gad7 import GAD7
from progress.instruments.momentary import ANXIETY_NRS, MOOD_NRS
from progress.instruments.pain_nrs import PAIN_NRS
from progress.instruments.pcl5 import PCL5
from progress.instruments.peg import PEG
from progress.instruments.phq9 import PHQ9
from progress.model import Instrument

REGISTRY: dict[str, Instrument] = {
    i.id: i for i in (PHQ9, GAD7, PCL5, PAIN_NRS, PEG, MOOD_NRS, ANXIETY_NRS)
}


def get(instrument_id: str) -> Instrument:
    """Return the declaration for ``instrument_id``.

    Raises
    ------
    UnknownInstrument
        If the id is not registered; the message lists the known ids.
    """
    try:
        return REGISTRY[instrument_id]
    except (KeyError, TypeError):
        known = ", ".join(REGISTRY)
        raise UnknownInstrument(
            f"Unknown instrument {instrument_id!r}; known instruments: {known}."
        ) from None


__all__ = ["REGISTRY", "get", "PHQ9", "GAD7", "PCL5", "PAIN_NRS", "PEG", "MOOD_NRS", "ANXIETY_NRS"]
