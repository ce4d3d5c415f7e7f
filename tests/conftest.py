"""Shared fixtures: a fresh in-memory store, and paths to the shared reference data."""

from __future__ import annotations

from pathlib import Path

import pytest

from progress import store

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference-data"


@pytest.fixture
def db():
    """A migrated, empty in-memory database."""
    database = store.open_db(memory=True)
    yield database
    database.close()


@pytest.fixture
def reference_dir() -> Path:
    if not REFERENCE.exists():
        pytest.skip("../shared/reference-data is not beside this checkout")
    return REFERENCE
