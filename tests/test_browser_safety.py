"""The safety workflow in a real browser (Debian chromium via Playwright, `streamlit run` on
127.0.0.1 with a temporary demo database): a patient on a phone answers PHQ-9 item 9 = 1 and
sees the crisis panel at once; the therapist on a laptop sees the alert, acknowledges it,
resolves it with a note, and the history shows each step; a clinic tablet hands a check-in to a
patient and locks after it. Screenshots go to screenshots/ (SCREENSHOT_DIR to change)."""

from __future__ import annotations

import re

import pytest

from progress import store
from tests.browser_kit import (
    LAPTOP,
    PHONE,
    TABLET,
    no_exceptions,
    serve_demo,
    settle,
    sign_in,
    sign_in_on,
    sync_api,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    yield from serve_demo(tmp_path_factory, "browser_safety", patients=30)


def open_page(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    settle(page)


def click(page, key: str) -> None:
    page.locator(f".st-key-{key} button").first.click()
    settle(page)


def choose(page, key: str, option: str) -> None:
    page.locator(f".st-key-{key} [role='combobox']").click()
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_timeout(150)


def crisis_visible(page) -> bool:
    panel = page.get_by_text("Suicide Crisis Helpline")
    return panel.count() > 0 and panel.first.is_visible()


def test_item9_crisis_panel_then_the_therapist_acknowledges_and_resolves(app_url, browser, shots):
    url, db_path = app_url
    conn = store.open_db(db_path)
    patient_id = store.get_user(conn, username="patient")["patient_id"]
    before = set(store.list_alerts(conn, patient_ids=[patient_id])["id"])
    conn.close()

    context, page = sign_in(browser, url, "patient", PHONE)
    try:
        if page.locator(".st-key-start_phq9 button").count():
            click(page, "start_phq9")
        else:
            page.get_by_text("Fill in another questionnaire").click()
            click(page, "start_other_phq9")
        for n in range(1, 9):
            click(page, f"ans_phq9_{n}_1")
        assert not crisis_visible(page)
        click(page, "ans_phq9_9_1")
        assert crisis_visible(page), "the crisis panel must show the moment item 9 is above 0"
        page.screenshot(path=str(shots / "phone-patient-item9-crisis-panel.png"), full_page=True)
        click(page, "ans_phq9_10_1")
        click(page, "ci_submit")
        no_exceptions(page)
        sync_api.expect(page.get_by_text("Saved your PHQ-9: 9 (mild)")).to_be_visible()
        assert crisis_visible(page)
        page.screenshot(path=str(shots / "phone-patient-item9-saved.png"), full_page=True)
    finally:
        context.close()

    conn = store.open_db(db_path)
    new = store.list_alerts(conn, patient_ids=[patient_id])
    new = new[~new["id"].isin(before)]
    assert len(new) == 1 and new.iloc[0]["status"] == "open"
    alert_id = int(new.iloc[0]["id"])
    conn.close()

    context, page = sign_in(browser, url, "therapist", LAPTOP)
    try:
        open_page(page, "Alerts")
        no_exceptions(page)
        card = page.locator(f".st-key-alert_{alert_id}")
        sync_api.expect(card).to_be_visible()
        assert patient_id in card.inner_text()
        card.screenshot(path=str(shots / "laptop-therapist-alert-open.png"))
        page.screenshot(path=str(shots / "laptop-therapist-alerts.png"), full_page=True)
        click(page, f"ack_{alert_id}")
        no_exceptions(page)
        sync_api.expect(card.get_by_text("Acknowledged by")).to_be_visible()
        card.get_by_text("Resolve with a note").click()  # the form is built once it opens (a rerun)
        sync_api.expect(page.locator(f".st-key-res_method_{alert_id}")).to_be_visible(timeout=15000)
        choose(page, f"res_method_{alert_id}", "C-SSRS screener")
        choose(page, f"res_level_{alert_id}", "low")
        choose(page, f"res_disp_{alert_id}", "urgent appointment")
        page.locator(f".st-key-res_plan_{alert_id}").get_by_text("Yes").click()
        page.locator(f".st-key-res_means_{alert_id}").get_by_text("Yes").click()
        page.locator(f".st-key-res_note_{alert_id} textarea").fill("Phoned the patient; C-SSRS screener negative; seen tomorrow.")
        card.screenshot(path=str(shots / "laptop-therapist-alert-resolve-form.png"))
        click(page, f"res_submit_{alert_id}")
        no_exceptions(page)
        page.locator(".st-key-alerts_status").get_by_text("Resolved").click()
        settle(page)
        card = page.locator(f".st-key-alert_{alert_id}")
        card.get_by_text("History (audit trail)").click()  # read once it opens (a rerun)
        sync_api.expect(card.locator("strong", has_text=re.compile("^Resolved$"))).to_be_visible(timeout=15000)  # the last entry
        text = card.inner_text()
        for step in ("Raised", "Acknowledged", "Resolved", "urgent appointment", "seen tomorrow"):
            assert step in text, step
        card.screenshot(path=str(shots / "laptop-therapist-alert-resolved-history.png"))
    finally:
        context.close()

    conn = store.open_db(db_path)
    assert list(store.alert_history(conn, alert_id)["action"]) == ["alert.create", "alert.acknowledge", "alert.resolve"]
    conn.close()


def test_the_due_list_on_a_laptop(app_url, browser, shots):
    url, _ = app_url
    context, page = sign_in(browser, url, "therapist", LAPTOP)
    try:
        open_page(page, "Due and overdue")
        no_exceptions(page)
        assert page.locator("h1").first.inner_text() == "Due and overdue"
        sync_api.expect(page.get_by_text("Questionnaires", exact=True)).to_be_visible()
        page.screenshot(path=str(shots / "laptop-therapist-due.png"), full_page=True)
    finally:
        context.close()


def test_the_check_in_due_list_on_a_phone(app_url, browser, shots):
    url, _ = app_url
    context, page = sign_in(browser, url, "patient", PHONE)
    try:
        no_exceptions(page)
        sync_api.expect(page.get_by_text("Due now")).to_be_visible()
        page.screenshot(path=str(shots / "phone-patient-checkin-due.png"), full_page=True)
    finally:
        context.close()


def test_the_clinic_tablet_locks_after_the_patient_submits(app_url, browser, shots):
    url, db_path = app_url
    context, page = sign_in(browser, url, "therapist", TABLET)
    try:
        page.get_by_test_id("stExpandSidebarButton").click() if page.get_by_test_id("stExpandSidebarButton").is_visible() else None
        open_page(page, "Clinic tablet")
        no_exceptions(page)
        page.locator(".st-key-tablet_what").get_by_text("Before the infusion").click()
        settle(page)
        page.screenshot(path=str(shots / "tablet-therapist-setup.png"), full_page=True)
        click(page, "tablet_start")
        no_exceptions(page)
        assert page.get_by_test_id("stSidebarNav").count() == 0  # no navigation in the patient's hands
        while page.locator("[class*='st-key-ans_'] button").count():
            page.locator("[class*='st-key-ans_'][class*='_5'] button").first.click()
            settle(page)
            if page.locator(".st-key-ci_submit button").count():
                page.screenshot(path=str(shots / "tablet-patient-review.png"), full_page=True)
                click(page, "ci_submit")
        no_exceptions(page)
        sync_api.expect(page.get_by_text("This tablet is locked")).to_be_visible()
        assert page.get_by_text("KC-").count() == 0
        page.screenshot(path=str(shots / "tablet-locked.png"), full_page=True)
        sign_in_on(page, "therapist")
        assert page.locator("h1").first.inner_text() == "Caseload"
    finally:
        context.close()
