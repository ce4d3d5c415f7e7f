"""Shared fixtures: a fresh in-memory store, and paths to the shared reference data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from progress import store

ROOT = Path(__file__).resolve().parents[1]
os.environ["PROGRESS_VALIDATE_FIGURES"] = "1"  # every figure a test builds is checked by plotly
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


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, request) -> Path:
    """A demo clinic built once per test module into a temporary file. A module sets its size
    and seed with ``DEMO_PATIENTS`` / ``DEMO_SEED`` (defaults 60 and 7); dates are relative to
    today so the pages' "last 30 days" views have data."""
    from datetime import date

    from progress import demo

    patients = getattr(request.module, "DEMO_PATIENTS", 60)
    seed = getattr(request.module, "DEMO_SEED", 7)
    path = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]) / "demo.db"
    database = store.open_db(path)
    demo.build_demo(database, patients=patients, seed=seed, anchor=date.today())
    database.close()
    return path


@pytest.fixture
def conn(demo_db, monkeypatch):
    """A connection to that clinic, which the app under AppTest also opens (PROGRESS_DB)."""
    monkeypatch.setenv("PROGRESS_DB", str(demo_db))
    database = store.open_db(demo_db)
    yield database
    database.close()


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium under Playwright (browser tests only; see tests/browser_kit.py)."""
    from tests.browser_kit import ARGS, CHROMIUM, sync_api

    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots() -> Path:
    """The folder browser tests save screenshots to (SCREENSHOT_DIR, else screenshots/)."""
    import os

    folder = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder
