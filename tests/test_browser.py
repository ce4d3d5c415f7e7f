"""Real-browser checks: Debian's chromium driven by Playwright against `streamlit run dashboard.py`
on 127.0.0.1 with a temporary demo database. Signs in as each demo role, opens every page,
fails on any exception element, and saves a screenshot of each page (the folder is printed).
"""

from __future__ import annotations

import pytest

from progress import auth, store
from tests.browser_kit import (
    LAPTOP,
    PHONE,
    nav,
    no_exceptions,
    serve_demo,
    settle,
    sign_in,
    sync_api,
)

pytestmark = pytest.mark.browser
NAV_TITLES = {
    "checkin": "Check-in", "my_progress": "My progress", "caseload": "Caseload",
    "chart": "Patient chart", "record": "Record a check-in", "alerts": "Alerts",
    "cohort": "Cohort outcomes", "users": "Users",
    "due": "Due and overdue", "tablet": "Clinic tablet",
    "intake": "Intake and plan", "session": "Infusion session", "audit": "Audit trail",
}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    yield from serve_demo(tmp_path_factory, "browser", patients=60)


def open_page(page, key: str, phone: bool) -> None:
    nav(page, NAV_TITLES[key], phone=phone)


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
        if page.locator(".st-key-start_phq9 button").count():  # PHQ-9 due now
            page.locator(".st-key-start_phq9 button").click()
        else:  # not due: it sits under "Fill in another questionnaire"
            page.get_by_text("Fill in another questionnaire").click()
            page.locator(".st-key-start_other_phq9 button").click()
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
