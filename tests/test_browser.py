"""Real-browser checks: Debian's chromium driven by Playwright against `streamlit run dashboard.py`
on 127.0.0.1 with a temporary demo database. Signs in as each demo role, opens every page,
fails on any exception element, and saves a screenshot of each page (the folder is printed).
"""

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

from progress import auth, demo, store

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
NAV_TITLES = {
    "checkin": "Check-in", "my_progress": "My progress", "caseload": "Caseload",
    "chart": "Patient chart", "record": "Record a check-in", "alerts": "Alerts",
    "cohort": "Cohort outcomes", "users": "Users",
    "due": "Due and overdue", "tablet": "Clinic tablet",
    "intake": "Intake and plan", "session": "Infusion session",
}

sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("browser") / "demo.db"
    conn = store.open_db(db_path)
    demo.build_demo(conn, patients=60, seed=7, anchor=date.today())
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
    print(f"\nscreenshots: {folder}")
    return folder


def settle(page, *, charts: bool = False) -> None:
    """Wait for the script run to finish, lazy elements to replace their skeletons, and every
    visible plotly chart to draw."""
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


def open_page(page, key: str, phone: bool) -> None:
    """Go to another page the way a person does: through the navigation (on a phone, the
    sidebar menu first)."""
    if phone:
        page.get_by_test_id("stExpandSidebarButton").click()
        page.wait_for_timeout(300)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=NAV_TITLES[key]).click()
    if phone:  # Streamlit leaves the sidebar open over the page on a narrow screen: close it
        page.get_by_test_id("stSidebarCollapseButton").click()
    settle(page, charts=True)


def no_exceptions(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator('[data-testid="stException"]').first.inner_text()


def sign_in(browser, url: str, username: str, viewport: dict):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(url)
    settle(page)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("h1", timeout=30000)
    settle(page, charts=True)
    return context, page


@pytest.mark.parametrize("role", ["therapist", "lead", "admin", "patient"])
@pytest.mark.parametrize("width", ["laptop", "phone"])
def test_each_role_reaches_every_page_without_error(app_url, browser, shots, role, width):
    url, _ = app_url
    context, page = sign_in(browser, url, role, LAPTOP if width == "laptop" else PHONE)
    try:
        for key in auth.ROLE_PAGES[role]:
            if key != auth.ROLE_PAGES[role][0]:
                open_page(page, key, width == "phone")
            no_exceptions(page)
            assert page.locator("h1").first.inner_text().strip()
            page.screenshot(path=str(shots / f"{width}-{role}-{key}.png"), full_page=True)
    finally:
        context.close()


def test_a_reload_asks_for_sign_in_again(app_url, browser):
    url, _ = app_url
    context, page = sign_in(browser, url, "therapist", LAPTOP)
    try:
        assert page.locator("h1").first.inner_text() == "Caseload"
        page.reload()
        settle(page)
        assert page.get_by_role("button", name="Sign in").count() == 1
        assert page.get_by_text("Caseload").count() == 0
    finally:
        context.close()


def test_patient_checks_in_on_a_phone_and_the_therapist_sees_it(app_url, browser, shots):
    url, db_path = app_url
    context, page = sign_in(browser, url, "patient", PHONE)
    try:
        page.locator(".st-key-start_other_phq9 button, .st-key-start_phq9 button").first.click(force=True)
        settle(page)
        for n in range(1, 10):
            value = 0 if n == 9 else 3
            page.locator(f".st-key-ans_phq9_{n}_{value} button").click()
            settle(page)
        page.screenshot(path=str(shots / "phone-patient-checkin-difficulty.png"), full_page=True)
        page.locator(".st-key-ans_phq9_10_2 button").click()
        settle(page)
        page.screenshot(path=str(shots / "phone-patient-checkin-review.png"), full_page=True)
        page.locator(".st-key-ci_submit button").click()
        settle(page)
        sync_api.expect(page.get_by_text("Saved your PHQ-9: 24 (severe)")).to_be_visible()
        page.screenshot(path=str(shots / "phone-patient-checkin-saved.png"), full_page=True)
        page.get_by_role("link", name="See my progress").click()
        settle(page, charts=True)
        no_exceptions(page)
        sync_api.expect(page.get_by_text("to 24 (severe)")).to_be_visible()
    finally:
        context.close()

    conn = store.open_db(db_path)
    patient_id = store.get_user(conn, username="patient")["patient_id"]
    conn.close()
    context, page = sign_in(browser, url, "therapist", LAPTOP)
    try:
        open_page(page, "chart", phone=False)
        assert patient_id == "KC-0001"  # the first patient of the caseload opens by default
        sync_api.expect(page.locator("h1").first).to_have_text(f"Patient {patient_id}")
        no_exceptions(page)
        sync_api.expect(page.get_by_text("24 severe").first).to_be_visible()
        page.screenshot(path=str(shots / "laptop-therapist-chart-after-checkin.png"), full_page=True)
    finally:
        context.close()
