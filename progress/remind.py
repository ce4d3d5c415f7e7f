"""E-mail reminders, run from cron: ``python -m progress remind --db PATH [--as-of ISO] [--dry-run]``.

Who gets one (at most one of each kind per person per day, logged in ``reminders_sent``):
- patients with an overdue measure (``schedule.GRACE_DAYS`` past due);
- therapists whose patients have alerts not yet acknowledged;
- clinic leads, when any alert is escalated (open past the clinic's window, ``progress.alerts``).

No reminder says which questionnaire, score, answer, diagnosis or patient it is about: an inbox
is not a clinical record and may be read by others. The texts are built by
:func:`reminder_text` only from a count and the dashboard address, and a test checks them.

SMTP settings come from the ``settings`` table (``smtp_host``, ``smtp_port``, ``smtp_sender``,
``smtp_starttls``, ``smtp_user``, ``dashboard_url``), each overridable by the environment
(``PROGRESS_SMTP_HOST`` ...); the password only from ``PROGRESS_SMTP_PASSWORD``, never the database.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage

import sqlite_utils

from progress import alerts as alert_rules
from progress import schedule, store
from progress.errors import ValidationError
from progress.timeutil import parse_instant, to_iso

SETTING_KEYS = ("smtp_host", "smtp_port", "smtp_sender", "smtp_starttls", "smtp_user", "dashboard_url")
PASSWORD_ENV = "PROGRESS_SMTP_PASSWORD"
CRISIS_LINE = (
    "If you are thinking about ending your life or are in danger, get help now: call or text "
    "9-8-8 in Canada or 988 in the United States, or call 911 or your local emergency number."
)  # [S60][S60c]


@dataclass(frozen=True)
class SmtpConfig:
    host: str | None
    port: int
    sender: str
    starttls: bool
    user: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Reminder:
    """One e-mail to send: to whom, of which kind, and its text (which holds no clinical data)."""

    user_id: int
    username: str
    email: str
    kind: str
    subject: str
    body: str


@dataclass
class RunReport:
    planned: list[Reminder] = field(default_factory=list)
    sent: list[Reminder] = field(default_factory=list)
    already_sent: int = 0
    failed: list[tuple[Reminder, str]] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)

    def summary(self, *, dry_run: bool) -> str:
        kinds = {k: sum(r.kind == k for r in (self.planned if dry_run else self.sent)) for k in store.REMINDER_KINDS}
        verb = "Would send" if dry_run else "Sent"
        text = (
            f"{verb} {sum(kinds.values())} reminder(s): {kinds['overdue_measures']} to patients with "
            f"overdue check-ins, {kinds['open_alerts']} to clinicians with unacknowledged alerts, "
            f"{kinds['escalated_alerts']} to leads about escalated alerts; "
            f"{self.already_sent} already sent today."
        )
        if self.escalated:
            text += f" Escalated {len(self.escalated)} alert(s) to the leads."
        if self.failed:
            text += f" {len(self.failed)} could not be sent and will be tried again on the next run."
        return text


def smtp_config(settings: Mapping[str, str | None], env: Mapping[str, str]) -> SmtpConfig:
    """SMTP settings: the environment (``PROGRESS_SMTP_*``) over the settings table."""

    def pick(key: str) -> str | None:
        value = env.get(f"PROGRESS_{key.upper()}")
        if value is None:
            value = settings.get(key)
        return value.strip() if isinstance(value, str) and value.strip() else None

    starttls = (pick("smtp_starttls") or "1").lower() in ("1", "true", "yes", "on")
    port_text = pick("smtp_port") or ("587" if starttls else "25")
    try:
        port = int(port_text)
    except ValueError:
        raise ValidationError(f"SMTP port {port_text!r} is not a whole number.") from None
    if not 0 < port < 65536:
        raise ValidationError(f"SMTP port {port} is not between 1 and 65535.")
    return SmtpConfig(
        host=pick("smtp_host"), port=port, sender=pick("smtp_sender") or "progress@localhost",
        starttls=starttls, user=pick("smtp_user"), password=env.get(PASSWORD_ENV) or None,
    )


def reminder_text(kind: str, count: int, *, url: str | None, window_days: int | None = None) -> tuple[str, str]:
    """Subject and body for one reminder. Built only from a count and the address: never a
    questionnaire name, score, answer, diagnosis or patient id."""
    where = f"Sign in at {url}" if url else "Sign in to the clinic's progress dashboard"
    if kind == "overdue_measures":
        return (
            "A check-in is waiting for you",
            "Hello,\n\nYour care team has a short check-in waiting for you. It takes a few minutes "
            f"and helps them follow how you are doing.\n\n{where} to complete it.\n\n{CRISIS_LINE}\n\n"
            "This message is sent automatically; replies are not read.\n",
        )
    if kind == "open_alerts":
        return (
            f"{count} alert(s) await your review",
            f"Hello,\n\n{count} alert(s) for patients in your caseload have not been acknowledged yet.\n\n"
            f"{where} to review them. By design this e-mail holds no patient details.\n",
        )
    if kind == "escalated_alerts":
        window = f"within the clinic's window of {window_days} business day(s)" if window_days is not None else "in time"
        return (
            f"{count} alert(s) escalated to clinic leads",
            f"Hello,\n\n{count} alert(s) were not acknowledged {window} and are escalated to the "
            f"clinic leads.\n\n{where} to review them. By design this e-mail holds no patient details.\n",
        )
    raise ValidationError(f"Reminder kind {kind!r} is not one of {', '.join(store.REMINDER_KINDS)}.")


def reminder_day(db: sqlite_utils.Database, as_of: str) -> str:
    """The clinic-local date of ``as_of``: reminders are counted once per such day."""
    _, zone = store.escalation_rule(db)
    return parse_instant(as_of).astimezone(zone).date().isoformat()


def plan(db: sqlite_utils.Database, *, as_of: str, url: str | None = None) -> list[Reminder]:
    """Every reminder due at ``as_of`` (before removing those already sent today)."""
    days, zone = store.escalation_rule(db)
    overdue = schedule.caseload_due(store.caseload(db, None), as_of=as_of)
    overdue_patients = set(overdue.loc[overdue["overdue"].astype(bool), "patient_id"]) if len(overdue) else set()
    by_therapist = store.open_alerts_by_therapist(db)
    escalated = [
        a for a, created, esc in store.open_alert_times(db)
        if esc is not None or alert_rules.is_escalated("open", created, as_of=as_of, days=days, zone=zone)
    ]
    out: list[Reminder] = []
    for user in store.reachable_users(db):
        wanted: list[tuple[str, int]] = []
        if user["role"] == "patient" and user["patient_id"] in overdue_patients:
            wanted.append(("overdue_measures", 1))
        if user["role"] == "therapist" and by_therapist.get(user["id"]):
            wanted.append(("open_alerts", by_therapist[user["id"]]))
        if user["role"] == "lead" and escalated:
            wanted.append(("escalated_alerts", len(escalated)))
        for kind, count in wanted:
            subject, body = reminder_text(kind, count, url=url, window_days=days)
            out.append(Reminder(user["id"], user["username"], user["email"], kind, subject, body))
    return out


def run(
    db: sqlite_utils.Database,
    *,
    as_of: str,
    env: Mapping[str, str],
    dry_run: bool = False,
) -> RunReport:
    """Escalate overdue alerts, then send each reminder not yet sent today.

    A dry run writes nothing and sends nothing: it reports what would be sent.
    """
    as_of = to_iso(as_of, field="as-of")
    settings = {k: store.get_setting(db, k) for k in SETTING_KEYS}
    config = smtp_config(settings, env)
    url = env.get("PROGRESS_DASHBOARD_URL") or settings.get("dashboard_url")
    actor = store.Actor.system("remind")
    report = RunReport()
    if not dry_run:
        if not config.host:
            raise ValidationError("No SMTP server is configured: set smtp_host in the settings or PROGRESS_SMTP_HOST.")
        report.escalated = store.escalate_due_alerts(db, as_of=as_of, actor=actor)
    day = reminder_day(db, as_of)
    done = store.reminders_sent_on(db, day)
    for reminder in plan(db, as_of=as_of, url=url):
        if (reminder.user_id, reminder.kind) in done:
            report.already_sent += 1
        else:
            report.planned.append(reminder)
    if dry_run or not report.planned:
        return report
    with smtplib.SMTP(config.host, config.port, timeout=30) as smtp:
        if config.starttls:
            smtp.starttls()
        if config.user:
            smtp.login(config.user, config.password or "")
        for reminder in report.planned:
            message = EmailMessage()
            message["From"] = config.sender
            message["To"] = reminder.email
            message["Subject"] = reminder.subject
            message.set_content(reminder.body)
            try:
                smtp.send_message(message)
            except smtplib.SMTPException as exc:
                report.failed.append((reminder, str(exc)))
                continue
            store.record_reminder(db, day=day, user_id=reminder.user_id, kind=reminder.kind, at=as_of, actor=actor)
            report.sent.append(reminder)
    return report


__all__ = ["Reminder", "RunReport", "SmtpConfig", "plan", "reminder_day", "reminder_text", "run", "smtp_config"]
