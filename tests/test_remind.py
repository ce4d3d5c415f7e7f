"""E-mail reminders (progress/remind.py and ``python -m progress remind``), sent to a real SMTP
server (aiosmtpd) that the test starts on 127.0.0.1: who gets what, once a day, and no reminder
text holds a score, an answer, a diagnosis or a patient id."""

from __future__ import annotations

import io
import re
import socket
from email import message_from_bytes

import pytest

from progress import remind, store
from progress.__main__ import main
from progress.errors import ValidationError
from progress.scoring import score
from progress.store import Actor

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

T0 = "2026-02-01T08:00:00Z"
CHECKIN = "2026-03-02T10:00:00Z"  # Monday: PHQ-9 24 with item 9 answered "several days"
AS_OF = "2026-03-13T09:00:00Z"  # 11 days on: PHQ-9 overdue, the alert open 9 business days
FORBIDDEN = re.compile(r"PHQ|GAD|PCL|PEG|depress|anxiety|PTSD|pain|severe|moderate|item|score|24|KC-|p1\b|suicid", re.I)


class Sink:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], object]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.original_content or envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = aiosmtpd_controller.Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, {"PROGRESS_SMTP_HOST": "127.0.0.1", "PROGRESS_SMTP_PORT": str(port),
                 "PROGRESS_SMTP_STARTTLS": "0", "PROGRESS_SMTP_SENDER": "clinic@example.org"}
    controller.stop()


@pytest.fixture
def clinic(tmp_path):
    path = tmp_path / "clinic.db"
    db = store.open_db(path)
    lee = store.add_user(db, "dr_lee", "therapist", display_name="Dr Lee", created_at=T0)
    quiet = store.add_user(db, "dr_quiet", "therapist", created_at=T0)
    lead = store.add_user(db, "lead", "lead", created_at=T0)
    store.add_patient(db, "p1", indications=["depression"], therapist_id=lee, created_at=T0)
    store.add_patient(db, "p2", indications=["PTSD"], therapist_id=quiet, created_at=T0)
    pat = store.add_user(db, "pat", "patient", patient_id="p1", created_at=T0)
    fine = store.add_user(db, "pat2", "patient", patient_id="p2", created_at=T0)
    for uid, email in ((lee, "lee@example.org"), (quiet, "quiet@example.org"), (lead, "lead@example.org"),
                       (pat, "pat@example.org"), (fine, "pat2@example.org")):
        store.set_user_email(db, uid, email)
    store.save_assessment(db, "p1", score("phq9", [3] * 8 + [1]), administered_at=CHECKIN, context="weekly",
                          actor=Actor(pat, "patient", "checkin"))
    for instrument, n in (("phq9", 9), ("gad7", 7), ("pcl5", 20)):  # p2 is up to date
        store.save_assessment(db, "p2", score(instrument, [0] * n), administered_at="2026-03-11T09:00:00Z", context="weekly")
    yield db, path
    db.close()


def received(sink) -> dict[str, object]:
    return {rcpt[0]: msg for rcpt, msg in sink.messages}


def test_a_run_emails_the_overdue_patient_the_clinician_and_the_lead(clinic, smtp):
    db, _ = clinic
    sink, env = smtp
    report = remind.run(db, as_of=AS_OF, env=env)
    got = received(sink)
    assert sorted(got) == ["lead@example.org", "lee@example.org", "pat@example.org"]
    assert got["pat@example.org"]["Subject"] == "A check-in is waiting for you"
    assert got["lee@example.org"]["Subject"] == "1 alert(s) await your review"
    assert got["lead@example.org"]["Subject"] == "1 alert(s) escalated to clinic leads"
    assert all(m["From"] == "clinic@example.org" for m in got.values())
    assert "9-8-8" in got["pat@example.org"].get_payload()
    assert len(report.escalated) == 1 and store.list_alerts(db, escalated=True)["id"].tolist() == report.escalated


def test_no_reminder_text_holds_scores_answers_diagnoses_or_patient_ids(clinic, smtp):
    db, _ = clinic
    sink, env = smtp
    remind.run(db, as_of=AS_OF, env=env)
    assert len(sink.messages) == 3
    for _, msg in sink.messages:
        text = f"{msg['Subject']}\n{msg.get_payload()}"
        assert not FORBIDDEN.search(text), FORBIDDEN.search(text)


@pytest.mark.parametrize("kind", ["overdue_measures", "open_alerts", "escalated_alerts"])
def test_every_reminder_text_is_free_of_clinical_words(kind):
    subject, body = remind.reminder_text(kind, 3, url="https://clinic.example.org", window_days=1)
    assert not FORBIDDEN.search(subject + body)
    assert "https://clinic.example.org" in body


def test_a_second_run_on_the_same_day_sends_nothing_new(clinic, smtp):
    db, _ = clinic
    sink, env = smtp
    remind.run(db, as_of=AS_OF, env=env)
    again = remind.run(db, as_of="2026-03-13T17:00:00Z", env=env)
    assert (len(again.sent), again.already_sent, len(sink.messages)) == (0, 3, 3)
    next_day = remind.run(db, as_of="2026-03-14T09:00:00Z", env=env)
    assert len(next_day.sent) == 3 and len(sink.messages) == 6
    events = store.audit_events(db, limit=1000)
    assert (events["action"] == "reminder.send").sum() == 6


def test_a_dry_run_sends_and_writes_nothing(clinic, smtp):
    db, _ = clinic
    sink, env = smtp
    before = store.audit_events(db, limit=1000)
    report = remind.run(db, as_of=AS_OF, env=env, dry_run=True)
    assert sorted(r.username for r in report.planned) == ["dr_lee", "lead", "pat"]
    assert sink.messages == []
    assert len(store.audit_events(db, limit=1000)) == len(before)
    assert store.list_alerts(db, escalated=True).empty


def test_an_acknowledged_alert_stops_the_clinician_and_lead_reminders(clinic, smtp):
    db, _ = clinic
    sink, env = smtp
    alert_id = int(store.list_alerts(db)["id"].iloc[0])
    lee = store.get_user(db, username="dr_lee")["id"]
    store.acknowledge_alert(db, alert_id, Actor(lee, "therapist", "alerts"), "2026-03-02T11:00:00Z")
    remind.run(db, as_of=AS_OF, env=env)
    assert sorted(received(sink)) == ["pat@example.org"]


def test_the_password_for_the_smtp_login_comes_from_the_environment(clinic):
    from aiosmtpd.smtp import AuthResult

    db, _ = clinic
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = aiosmtpd_controller.Controller(sink, hostname="127.0.0.1", port=port,
                                                authenticator=authenticator, auth_require_tls=False)
    controller.start()
    try:
        store.set_setting(db, "smtp_user", "reminders")
        env = {"PROGRESS_SMTP_HOST": "127.0.0.1", "PROGRESS_SMTP_PORT": str(port), "PROGRESS_SMTP_STARTTLS": "0",
               "PROGRESS_SMTP_PASSWORD": "s3cret"}
        report = remind.run(db, as_of=AS_OF, env=env)
    finally:
        controller.stop()
    assert logins == [(b"reminders", b"s3cret")]
    assert len(report.sent) == 3 and len(sink.messages) == 3
    assert db.execute("SELECT COUNT(*) FROM settings WHERE value LIKE '%s3cret%'").fetchone()[0] == 0


def test_a_run_without_an_smtp_server_says_how_to_configure_one(clinic):
    db, _ = clinic
    with pytest.raises(ValidationError, match="PROGRESS_SMTP_HOST"):
        remind.run(db, as_of=AS_OF, env={})


def test_smtp_settings_come_from_the_database_with_the_environment_on_top_and_the_password_from_env_only():
    settings = {"smtp_host": "mail.clinic", "smtp_port": "2525", "smtp_user": "bot", "smtp_password": "in-db"}
    config = remind.smtp_config(settings, {"PROGRESS_SMTP_PORT": "587", "PROGRESS_SMTP_PASSWORD": "s3cret"})
    assert (config.host, config.port, config.user, config.starttls, config.password) == ("mail.clinic", 587, "bot", True, "s3cret")
    assert remind.smtp_config(settings, {}).password is None
    assert "s3cret" not in repr(config)
    with pytest.raises(ValidationError, match="'x'"):
        remind.smtp_config({"smtp_port": "x"}, {})


# -- command line -------------------------------------------------------------------------

def test_the_remind_command_sends_and_reports(clinic, smtp, capsys, monkeypatch):
    _, path = clinic
    sink, env = smtp
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["remind", "--db", str(path), "--as-of", AS_OF, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would send overdue_measures to pat" in out and "Would send 3 reminder(s)" in out
    assert sink.messages == []
    assert main(["remind", "--db", str(path), "--as-of", AS_OF]) == 0
    assert "Sent 3 reminder(s)" in capsys.readouterr().out
    assert len(sink.messages) == 3


def test_users_add_takes_an_email_address(tmp_path, capsys, monkeypatch):
    path = tmp_path / "u.db"
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert main(["users", "add", "dr_new", "--role", "therapist", "--email", "new@example.org",
                 "--password-stdin", "--db", str(path)]) == 0
    db = store.open_db(path)
    assert store.get_user(db, username="dr_new")["email"] == "new@example.org"
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert main(["users", "add", "dr_bad", "--role", "therapist", "--email", "not-an-address",
                 "--password-stdin", "--db", str(path)]) == 2
    assert "not-an-address" in capsys.readouterr().err
    assert store.get_user(db, username="dr_bad") is None


@pytest.mark.parametrize(
    ("args", "code", "email"),
    [(["new@example.org"], 0, "new@example.org"), (["--clear"], 0, None), ([], 2, "pat@example.org"),
     (["not-an-address"], 2, "pat@example.org")],
    ids=["set", "clear", "neither", "invalid"],
)
def test_users_email_sets_or_clears_an_address(clinic, capsys, args, code, email):
    db, path = clinic
    assert main(["users", "email", "pat", *args, "--db", str(path)]) == code
    assert store.get_user(db, username="pat")["email"] == email
    if code == 0:
        assert store.audit_events(db, limit=1).iloc[0]["action"] == "user.email"
