"""Real browser (Debian chromium + Playwright) over the course pages as the demo therapist, at
phone (390 px) and laptop (1366 px) widths: intake and plan, a session with a vitals flag, and
the chart's course timeline and session table. Screenshots go to screenshots/course-*.png."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from progress import demo, store

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 900}}

sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("browser_course") / "demo.db"
    conn = store.open_db(db_path)
    demo.build_demo(conn, patients=40, seed=7, anchor=date.today())
    conn.close()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
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
    yield url, db_path
    proc.terminate()
    proc.wait(timeout=15)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots():
    folder = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def settle(page, *, charts: bool = False) -> None:
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=30000)
    page.wait_for_timeout(400)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=30000)
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0", timeout=30000)
    if charts:
        page.wait_for_function(
            """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                 .filter(c => c.offsetParent !== null).every(c => c.querySelector('.main-svg'))""",
            timeout=30000,
        )
        page.wait_for_timeout(300)


def go(page, url: str, path: str, *, charts: bool = False) -> None:
    page.goto(f"{url}/{path}")
    settle(page, charts=charts)
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator('[data-testid="stException"]').first.inner_text()


def sign_in(browser, url: str, viewport: dict):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(url)
    settle(page)
    page.get_by_label("User name").fill("therapist")
    page.get_by_label("Password", exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("h1", timeout=30000)
    settle(page)
    return context, page


def shoot(page, path: Path, viewport: dict, height: int) -> None:
    """Screenshot with a taller window: Streamlit scrolls inside its own container, so a
    full-page shot of the normal window would only show the first screen."""
    page.set_viewport_size({"width": viewport["width"], "height": height})
    settle(page)
    page.screenshot(path=str(path))
    page.set_viewport_size(viewport)


def nav(page, title: str, phone: bool, *, charts: bool = False) -> None:
    if phone:
        page.get_by_test_id("stExpandSidebarButton").click()
        page.wait_for_timeout(300)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    if phone:
        page.get_by_test_id("stSidebarCollapseButton").click()
    settle(page, charts=charts)
    assert page.locator('[data-testid="stException"]').count() == 0


@pytest.mark.parametrize("width", ["laptop", "phone"])
def test_course_pages_in_the_browser(app_url, browser, shots, width):
    url, db_path = app_url
    phone = width == "phone"
    context, page = sign_in(browser, url, VIEWPORTS[width])
    try:
        nav(page, "Intake and plan", phone)
        sync_api.expect(page.locator("h1").first).to_have_text("Intake and plan")
        sync_api.expect(page.get_by_text("reviewed by Dr. Amara Okafor").first).to_be_visible()
        shoot(page, shots / f"course-{width}-intake.png", VIEWPORTS[width], 2400)

        nav(page, "Infusion session", phone)
        page.get_by_label("Before: systolic").fill("120")
        page.get_by_label("Before: diastolic").fill("80")
        page.get_by_label("During (~40 min): systolic").fill("176")
        page.get_by_label("During (~40 min): diastolic").fill("92")
        page.get_by_test_id("stCheckbox").filter(has_text="Discharged with a driver").locator("label").click()
        page.get_by_role("button", name="Save session").click()
        settle(page)
        sync_api.expect(page.get_by_text("Session saved").first).to_be_visible()
        sync_api.expect(page.get_by_text("BP rise systolic +56").first).to_be_visible()
        shoot(page, shots / f"course-{width}-session.png", VIEWPORTS[width], 3600 if phone else 2200)

        nav(page, "Patient chart", phone, charts=True)
        page.get_by_role("tab", name="Course timeline").click()
        settle(page, charts=True)
        timeline = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="Course timeline")
        sync_api.expect(timeline).to_be_visible()
        shoot(page, shots / f"course-{width}-chart-timeline.png", VIEWPORTS[width], 2000)
        page.get_by_role("tab", name="Sessions").click()
        settle(page)
        sync_api.expect(page.get_by_text("Psychotherapy follow-ups:").first).to_be_visible()
        shoot(page, shots / f"course-{width}-chart-sessions.png", VIEWPORTS[width], 1800)
    finally:
        context.close()
    conn = store.open_db(db_path)
    pid = store.get_user(conn, username="patient")["patient_id"]
    assert "vitals" in set(store.list_alerts(conn, patient_ids=[pid])["kind"])
    conn.close()
