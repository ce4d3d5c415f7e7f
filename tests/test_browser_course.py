"""Real browser (Debian chromium + Playwright) over the course pages as the demo therapist, at
phone (390 px) and laptop (1366 px) widths: intake and plan, a session with a vitals flag, and
the chart's course timeline and session table. Screenshots go to screenshots/course-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from progress import store
from tests.browser_kit import LAPTOP, PHONE, serve_demo, settle, sign_in, sync_api
from tests.browser_kit import nav as kit_nav

pytestmark = pytest.mark.browser
VIEWPORTS = {"phone": PHONE, "laptop": LAPTOP}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    yield from serve_demo(tmp_path_factory, "browser_course", patients=40)


def go(page, url: str, path: str, *, charts: bool = False) -> None:
    page.goto(f"{url}/{path}")
    settle(page, charts=charts)
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator('[data-testid="stException"]').first.inner_text()


def shoot(page, path: Path, viewport: dict, height: int) -> None:
    """Screenshot with a taller window: Streamlit scrolls inside its own container, so a
    full-page shot of the normal window would only show the first screen."""
    page.set_viewport_size({"width": viewport["width"], "height": height})
    settle(page)
    page.screenshot(path=str(path))
    page.set_viewport_size(viewport)


def nav(page, title: str, phone: bool, *, charts: bool = False) -> None:
    kit_nav(page, title, phone=phone, charts=charts)


@pytest.mark.parametrize("width", ["laptop", "phone"])
def test_course_pages_in_the_browser(app_url, browser, shots, width):
    url, db_path = app_url
    phone = width == "phone"
    context, page = sign_in(browser, url, "therapist", VIEWPORTS[width])
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
