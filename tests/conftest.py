"""Shared fixtures: a fresh store on SQLite (in memory) or PostgreSQL (a fresh schema), and paths to the shared reference data."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import quote

import pytest

from progress import store

ROOT = Path(__file__).resolve().parents[1]
os.environ["PROGRESS_VALIDATE_FIGURES"] = "1"  # every figure a test builds is checked by plotly
REFERENCE = ROOT.parent / "shared" / "reference-data"


# -- the two backends ------------------------------------------------------------------------
# A module marked ``pytestmark = pytest.mark.both_backends`` runs each test that uses ``db`` or
# ``db_target`` twice: on SQLite and on PostgreSQL (the server named by PROGRESS_TEST_DATABASE_URL,
# each test in a fresh schema). Without that variable the PostgreSQL runs skip, unless
# PROGRESS_REQUIRE_POSTGRES=1 (CI), where they fail. A test of something only SQLite has (WAL,
# the backup API, a file edited behind the app's back) is marked ``sqlite_only``.

PG_URL_ENV = "PROGRESS_TEST_DATABASE_URL"
BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc):
    if "backend" not in metafunc.fixturenames:
        return
    if any("backend" in str(m.args[0]) for m in metafunc.definition.iter_markers("parametrize")):
        return  # the test names its backend itself
    marked = metafunc.definition.get_closest_marker("both_backends") is not None
    sqlite_only = metafunc.definition.get_closest_marker("sqlite_only") is not None
    backends = BACKENDS if marked and not sqlite_only else ("sqlite",)
    metafunc.parametrize("backend", backends, indirect=True, ids=[f"on-{b}" for b in backends] if len(backends) > 1 else None)


def _postgres_unavailable(reason: str):
    if os.environ.get("PROGRESS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required here (PROGRESS_REQUIRE_POSTGRES=1) but {reason}")
    pytest.skip(f"PostgreSQL run skipped: {reason} (set {PG_URL_ENV}=postgresql://... to run it)")


@pytest.fixture(scope="session")
def pg_admin():
    """One autocommit connection to the test server, to create and drop each test's schema."""
    url = os.environ.get(PG_URL_ENV, "").strip()
    if not url:
        _postgres_unavailable(f"{PG_URL_ENV} is not set")
    import psycopg

    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        _postgres_unavailable(f"{PG_URL_ENV} does not connect ({exc})")
    yield url, conn
    conn.close()


@pytest.fixture
def backend(request) -> str:
    """Which database this run uses: "sqlite" (the default) or "postgresql"."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def db_target(backend, tmp_path, request):
    """Somewhere for ``store.open_db`` that several connections (or processes) can open: a new
    SQLite file, or a PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    if backend == "sqlite":
        yield tmp_path / "store.db"
        return
    base, admin = request.getfixturevalue("pg_admin")
    schema = f"test_{secrets.token_hex(6)}"
    admin.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def db(backend, request):
    """A migrated, empty database: in memory on SQLite, a fresh schema on PostgreSQL."""
    if backend == "sqlite":
        database = store.open_db(memory=True)
    else:
        database = store.open_db(request.getfixturevalue("db_target"))
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
