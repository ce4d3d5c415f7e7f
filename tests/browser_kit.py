"""What every real-browser test module shares: Debian's chromium driven by Playwright against
`streamlit run dashboard.py` on 127.0.0.1 with a temporary demo database.

The ``browser`` and ``shots`` fixtures live in conftest.py; a test module imports the helpers
here and defines its own ``app_url`` with :func:`serve_demo`, so each module gets a clinic of
the size it needs. Importing this module skips the importing module when Playwright or
chromium is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from progress import demo, store

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root, headless, and with background networking off: the machine's network is closed.
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}

sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_demo(tmp_path_factory, name: str, *, patients: int, seed: int = 7) -> Iterator[tuple[str, Path]]:
    """Build a demo clinic, start the app on a free port, yield (url, database path), stop it."""
    db_path = tmp_path_factory.mktemp(name) / "demo.db"
    conn = store.open_db(db_path)
    demo.build_demo(conn, patients=patients, seed=seed, anchor=date.today())
    conn.close()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "PROGRESS_DB": str(db_path)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.terminate()
        pytest.fail("streamlit did not start")
    try:
        yield url, db_path
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def settle(page, *, charts: bool = False) -> None:
    """Wait for the script run to finish, lazy elements to replace their skeletons, and (with
    ``charts``) every visible plotly chart to draw."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=30000)
    page.wait_for_timeout(400)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=30000)
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0", timeout=30000)
    if charts:
        page.wait_for_function(
            """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                 .filter(c => c.offsetParent !== null)
                 .every(c => c.querySelector('.main-svg'))""",
            timeout=30000,
        )
        page.wait_for_timeout(300)


def no_exceptions(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator('[data-testid="stException"]').first.inner_text()


def sign_in_on(page, username: str) -> None:
    """Fill the sign-in form on the current page as a demo account."""
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("h1", timeout=30000)
    settle(page, charts=True)


def sign_in(browser, url: str, username: str, viewport: dict):
    """A new browser context at ``viewport``, signed in as ``username``: (context, page)."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(url)
    settle(page)
    sign_in_on(page, username)
    return context, page


def nav(page, title: str, *, phone: bool = False, charts: bool = True) -> None:
    """Go to another page the way a person does: through the navigation (on a phone, the
    sidebar menu first, closed again after, since Streamlit leaves it over the page)."""
    if phone:
        page.get_by_test_id("stExpandSidebarButton").click()
        page.wait_for_timeout(300)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    if phone:
        page.get_by_test_id("stSidebarCollapseButton").click()
    settle(page, charts=charts)
    no_exceptions(page)
