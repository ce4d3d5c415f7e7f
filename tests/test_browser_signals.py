"""Signals in a real browser (Debian chromium via Playwright): the therapist's chart shows a
booster-review prompt with its reason, the lead's cohort page shows the durability curve.
Screenshots at phone and laptop width go to screenshots/ to be looked at."""

from __future__ import annotations

import pytest

from progress import store
from tests.browser_kit import LAPTOP, PHONE, nav, no_exceptions, serve_demo, settle, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    yield from serve_demo(tmp_path_factory, "browser_signals", patients=60)


def _patient_with_booster_review(db_path) -> str:
    db = store.open_db(db_path)
    try:
        tid = store.get_user(db, username="therapist")["id"]
        rows = store.list_signals(db, patient_ids=store.list_patient_ids(db, therapist_id=tid), active_only=True)
        return rows[rows["kind"] == "booster_review"].iloc[0]["patient_id"]
    finally:
        db.close()


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_chart_shows_the_booster_review_prompt_with_its_reason(app_url, browser, shots, viewport):
    url, db_path = app_url
    pid = _patient_with_booster_review(db_path)
    context, page = sign_in(browser, url, "therapist", viewport)
    nav(page, "Patient chart", phone=viewport is PHONE)  # a reload would ask for sign-in again
    page.get_by_test_id("stSelectbox").first.click()
    page.keyboard.type(pid)
    page.keyboard.press("Enter")
    settle(page, charts=True)
    no_exceptions(page)
    prompt = page.get_by_text("Booster review suggested").first
    prompt.scroll_into_view_if_needed()
    assert prompt.is_visible()
    assert page.get_by_text("review suggested (booster review)").first.is_visible()
    page.screenshot(path=str(shots / f"signals-{'phone' if viewport is PHONE else 'laptop'}-chart.png"), full_page=False)
    context.close()


def test_cohort_shows_durability_and_boosters(app_url, browser, shots):
    url, _ = app_url
    context, page = sign_in(browser, url, "lead", LAPTOP)
    heading = page.get_by_text("Durability of response, boosters and review prompts")
    heading.scroll_into_view_if_needed()
    settle(page, charts=True)
    no_exceptions(page)
    assert page.get_by_text("Boosters per patient-year").first.is_visible()
    page.screenshot(path=str(shots / "signals-laptop-cohort-durability.png"), full_page=False)
    context.close()
