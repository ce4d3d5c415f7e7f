"""Sign-in through the clinic's identity provider (OIDC with st.login): the person is matched
to their clinic account by e-mail and keeps that account's role. The core rules are tested
directly; the whole round trip runs in a real browser against oidc-provider-mock on
127.0.0.1 (the browser test is skipped without Debian's chromium)."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from progress import auth, store
from progress.errors import AuthError

AT = "2026-12-03T10:00:00Z"


@pytest.fixture
def clinic(db):
    tid = store.add_user(db, "dr_lee", "therapist", display_name="Dr. Lee", created_at=AT)
    store.set_user_email(db, tid, "Lee@Clinic.test")
    demo = store.add_user(db, "demo_t", "therapist", is_demo=True, created_at=AT)
    store.set_user_email(db, demo, "demo@clinic.test")
    gone = store.add_user(db, "gone", "lead", created_at=AT)
    store.set_user_email(db, gone, "gone@clinic.test")
    store.update_user(db, gone, disabled=1)
    return db


def test_the_account_is_found_by_email_and_keeps_its_own_role(clinic):
    user = auth.user_for_identity(clinic, "lee@clinic.TEST", email_verified=True, at=AT)
    assert (user.username, user.role) == ("dr_lee", "therapist")
    events = store.audit_events(clinic, limit=5)
    assert events.iloc[0]["action"] == "signin.oidc"


@pytest.mark.parametrize(
    ("email", "verified"),
    [
        pytest.param("nobody@clinic.test", True, id="unknown-address"),
        pytest.param(None, None, id="no-address"),
        pytest.param("lee@clinic.test", False, id="address-not-verified"),
        pytest.param("demo@clinic.test", True, id="demo-account"),
        pytest.param("gone@clinic.test", True, id="disabled-account"),
    ],
)
def test_refusals_say_why_in_plain_words_and_are_audited(clinic, email, verified):
    with pytest.raises(AuthError, match="no active account"):
        auth.user_for_identity(clinic, email, email_verified=verified, at=AT)
    assert store.audit_events(clinic, limit=1).iloc[0]["action"] == "signin.oidc_refused"


# -- the round trip in a real browser --------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    pytest.fail(f"{url} did not answer")


@pytest.fixture(scope="module")
def oidc_app(tmp_path_factory):
    """The mock provider, and the app run from a folder whose .streamlit holds the project's
    config plus an [auth] section pointing at the mock."""
    mock_bin = Path(sys.executable).with_name("oidc-provider-mock")
    if not mock_bin.exists():
        pytest.skip("oidc-provider-mock is not installed (requirements-dev.txt)")
    root = Path(__file__).resolve().parents[1]
    work = tmp_path_factory.mktemp("oidc")
    db_path = work / "clinic.db"
    db = store.open_db(db_path)
    tid = store.add_user(db, "dr_lee", "therapist", display_name="Dr. Lee", created_at=AT)
    store.set_user_email(db, tid, "lee@clinic.test")
    store.add_patient(db, "P-1", therapist_id=tid, created_at=AT)
    db.close()
    mock_port, app_port = _free_port(), _free_port()
    mock = subprocess.Popen(
        [str(mock_bin), "--port", str(mock_port), "--user-claims",
         '{"sub": "lee", "name": "Dr Lee", "email": "lee@clinic.test", "email_verified": true, "role": "admin"}'],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    issuer = f"http://127.0.0.1:{mock_port}"
    _wait(f"{issuer}/.well-known/openid-configuration", mock)
    (work / ".streamlit").mkdir()
    shutil.copy(root / ".streamlit" / "config.toml", work / ".streamlit" / "config.toml")
    (work / ".streamlit" / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(16)}"\n'
        'client_id = "progress-tests"\nclient_secret = "not-a-secret"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
    )
    app = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(root / "dashboard.py"), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(app_port), "--browser.gatherUsageStats", "false"],
        cwd=work, env={**__import__("os").environ, "PROGRESS_DB": str(db_path)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    _wait(f"http://127.0.0.1:{app_port}/_stcore/health", app)
    yield f"http://127.0.0.1:{app_port}", db_path
    app.terminate()
    mock.terminate()
    app.wait(timeout=15)
    mock.wait(timeout=15)


@pytest.mark.browser
def test_sign_in_at_the_identity_provider_opens_the_clinic_account(oidc_app, browser, shots):
    from tests.browser_kit import LAPTOP, no_exceptions, settle

    url, db_path = oidc_app
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    try:
        page.goto(url)
        settle(page)
        page.get_by_role("button", name="Sign in with your clinic account").click()
        page.wait_for_selector("text=Authorize Client", timeout=30000)  # the mock provider's page
        page.get_by_role("button", name="lee", exact=True).click()
        page.wait_for_selector("h1", timeout=30000)
        settle(page)
        no_exceptions(page)
        assert page.locator("h1").first.inner_text() == "Caseload"  # the therapist's home, not admin
        assert page.get_by_text("Signed in as").first.is_visible()
        page.screenshot(path=str(shots / "oidc-laptop-signed-in.png"))
        page.get_by_role("button", name="Sign out").click()  # ends the provider's sign-in too
        page.wait_for_selector("text=End Session", timeout=30000)  # the mock provider asks
        page.get_by_role("button", name="End session").click()
        page.wait_for_selector("text=Sign in with your clinic account", timeout=30000)
        settle(page)
        assert page.get_by_text("Caseload").count() == 0
    finally:
        context.close()
    db = store.open_db(db_path)
    actions = set(store.audit_events(db, limit=20)["action"])
    db.close()
    assert "signin.oidc" in actions
