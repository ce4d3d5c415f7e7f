"""Progress: the functional core of the ketamine-clinic measurement-based-care dashboard.

No Streamlit here. Everything a page shows can be computed, tested and scripted from Python
or from ``python -m progress``.
"""

from progress.errors import (
    AuthError,
    ImportRejected,
    NotFound,
    PermissionDenied,
    ProgressError,
    UnknownInstrument,
    ValidationError,
)
from progress.instruments import REGISTRY, get
from progress.model import Instrument, Score
from progress.scoring import score, score_total_only

__all__ = [
    "REGISTRY",
    "AuthError",
    "ImportRejected",
    "Instrument",
    "NotFound",
    "PermissionDenied",
    "ProgressError",
    "Score",
    "UnknownInstrument",
    "ValidationError",
    "get",
    "score",
    "score_total_only",
]
