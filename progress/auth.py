"""Users, roles, password hashing and who may see which patient.

Passwords are hashed with argon2id (argon2-cffi). The parameters are stated here, not left to
library defaults, so a library upgrade cannot silently weaken them: RFC 9106's second
recommended option (64 MiB memory, 3 passes, 4 lanes), the argon2-cffi 25 default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import sqlite_utils
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from progress import store
from progress.errors import AuthError, PermissionDenied
from progress.passwords import check_password
from progress.timeutil import parse_instant, to_iso

ARGON2_TIME_COST = 3
ARGON2_MEMORY_KIB = 65536
ARGON2_PARALLELISM = 4
MIN_PASSWORD_LENGTH = 8  # NIST SP 800-63B for user-chosen passwords; no composition rules

# Clinic settings (settings table) with their defaults. Automatic logoff after inactivity is a
# HIPAA 164.312(a)(2)(iii) addressable safeguard; 15 minutes is the default.
SETTING_IDLE_MINUTES, IDLE_MINUTES = "session_idle_minutes", 15
SETTING_LIFETIME_HOURS, LIFETIME_HOURS = "session_lifetime_hours", 12  # a working day at most
# A page run restarts the idle clock at most this often: one write a minute per session instead
# of one per rerun (a rerun that writes waits for the write lock behind every save). The idle
# timeout can therefore end a session up to this much before 15 minutes without any activity.
TOUCH_EVERY = timedelta(seconds=60)
SETTING_LOCKOUT_FAILURES, LOCKOUT_FAILURES = "signin_lockout_failures", 5  # NIST: <= 100
SETTING_LOCKOUT_MINUTES, LOCKOUT_MINUTES = "signin_lockout_minutes", 15
_LOCKED = "Too many failed sign-ins for this user name. Try again after {until} (UTC)."
_REFUSED = "That user name and password do not match an active account."

_HASHER = PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_KIB,
    parallelism=ARGON2_PARALLELISM,
    type=Type.ID,
)

# Pages each role may open, in navigation order. The shell builds st.navigation from this.
ROLE_PAGES: dict[str, tuple[str, ...]] = {
    "patient": ("checkin", "my_progress"),
    "therapist": ("caseload", "chart", "intake", "session", "record", "alerts", "due", "tablet"),
    "lead": ("cohort", "alerts", "chart", "audit"),
    "admin": ("users", "audit"),
}


@dataclass(frozen=True)
class User:
    """The signed-in person. ``patient_id`` is set only for patients."""

    id: int
    username: str
    display_name: str
    role: str
    patient_id: str | None = None

    def actor(self, source: str) -> store.Actor:
        return store.Actor(self.id, self.role, source)


def hash_password(password: str, *, username: str | None = None) -> str:
    """Hash a new password after checking it against the NIST 800-63B rule (progress.passwords)."""
    return _HASHER.hash(check_password(password, username=username))


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        if not stored_hash:  # spend the same time as a real check, then refuse
            _HASHER.verify(_dummy_hash(), password)
            return False
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError, TypeError):
        return False


@cache
def _dummy_hash() -> str:
    """Verified against for unknown names, so a refusal takes as long whether or not the name exists."""
    return _HASHER.hash("not-a-real-account-password")


def _int_setting(db: sqlite_utils.Database, key: str, default: int) -> int:
    value = store.get_setting(db, key)
    return int(value) if value is not None and value.isdigit() and int(value) > 0 else default


def authenticate(
    db: sqlite_utils.Database, username: str, password: str, *, at: str | None = None,
    source: str = "sign-in",
) -> User:
    """Return the user for a correct name and password.

    With ``at`` (the time of the attempt) sign-ins are throttled: after
    ``signin_lockout_failures`` failures in a row (default 5) the user name is locked for
    ``signin_lockout_minutes`` (default 15), known or not, and each failure and lock is audited.
    Demo accounts sign in only while the database is the demo database.

    Raises
    ------
    AuthError
        With the same message for an unknown name, a wrong password or a disabled account,
        so the message does not reveal which accounts exist.
    """
    if at is not None:
        throttle = store.get_throttle(db, username)
        if throttle and throttle["locked_until"] and throttle["locked_until"] > to_iso(at):
            raise AuthError(_LOCKED.format(until=throttle["locked_until"][11:16]))
    row = store.get_user(db, username=username)
    verified = _verify(row["password_hash"] if row else None, password)
    demo_ok = row is not None and (not row["is_demo"] or store.get_setting(db, "demo") == "1")
    if row is None or row["disabled"] or not verified or not demo_ok:
        if at is not None:
            _count_failure(db, username, row, at, source)
        raise AuthError(_REFUSED)
    if at is not None:
        store.reset_throttle(db, username)
    return _user(row)


def user_for_identity(
    db: sqlite_utils.Database, email: str | None, *, at: str, email_verified: bool | None = None,
) -> User:
    """The clinic account for a person signed in at the clinic's identity provider (OIDC).

    The provider vouches for who the person is; what they may do still comes from this
    database: the account is found by its e-mail address and keeps its own role, so nothing the
    provider sends (a "role" claim, say) can widen anyone's rights. Demo accounts never sign in
    this way. Each success and refusal is audited (without the address of an unknown person).

    Raises
    ------
    AuthError
        When the address is missing or unverified, or no enabled, non-demo account has it.
    """
    row = store.get_user_by_email(db, email) if email else None
    ok = row is not None and not row["disabled"] and not row["is_demo"] and email_verified is not False
    actor = store.Actor(row["id"] if ok else None, row["role"] if ok else None, "sign-in (identity provider)")
    store.record_event(db, actor, "signin.oidc" if ok else "signin.oidc_refused", at)
    if not ok:
        raise AuthError(
            "Your clinic sign-in worked, but no active account in this dashboard has that e-mail "
            "address. Ask the clinic's administrator to add it to your account."
        )
    return _user(row)


def _count_failure(db: sqlite_utils.Database, username: str, row: dict | None, at: str, source: str) -> None:
    """One more failure in a row; lock the name when it reaches the threshold. Audited, without
    the password and, for an unknown name, without the name typed (it may be a password)."""
    threshold = _int_setting(db, SETTING_LOCKOUT_FAILURES, LOCKOUT_FAILURES)
    minutes = _int_setting(db, SETTING_LOCKOUT_MINUTES, LOCKOUT_MINUTES)
    previous = store.get_throttle(db, username)
    failures = (previous["failures"] if previous else 0) + 1
    locked_until = to_iso(parse_instant(at) + timedelta(minutes=minutes)) if failures >= threshold else None
    actor = store.Actor(row["id"], row["role"], source) if row else store.Actor(None, None, source)
    detail = row["username"] if row else "unknown user name"
    with db.atomic():
        store.record_signin_failure(db, username, at, locked_until=locked_until)
        store.record_event(db, actor, "session.sign_in_failed", at, detail=detail)
        if locked_until:
            store.record_event(db, actor, "session.locked", at, detail=f"{detail} until {locked_until}")


def session_end_reason(session: dict, at: str, *, idle_minutes: int, lifetime_hours: int) -> str | None:
    """Why a session is over at ``at`` ('ended', 'idle', 'lifetime'), or None if it is live."""
    if session["ended_at"]:
        return "ended"
    now = parse_instant(at)
    if now - parse_instant(session["last_seen_at"]) >= timedelta(minutes=idle_minutes):
        return "idle"
    if now - parse_instant(session["started_at"]) >= timedelta(hours=lifetime_hours):
        return "lifetime"
    return None


def start_session(db: sqlite_utils.Database, user: User, at: str, source: str = "sign-in") -> str:
    """Open a server-side session for a signed-in user (audited); return its token."""
    with db.atomic():
        token = store.start_signin_session(db, user.id, at)
        store.record_event(db, user.actor(source), "session.sign_in", at)
    return token


def resume_session(db: sqlite_utils.Database, token: str | None, at: str, *, touch: bool = True) -> tuple[User | None, str | None]:
    """The user of a live session and None, or None and why it is over ('idle', 'lifetime',
    'disabled', 'ended', 'unknown'). A session found over is ended and audited. ``touch`` restarts
    the idle clock (a page run); a background check passes ``touch=False``."""
    session = store.get_signin_session(db, token) if token else None
    if session is None:
        return None, "unknown"
    reason = session_end_reason(
        session, at,
        idle_minutes=_int_setting(db, SETTING_IDLE_MINUTES, IDLE_MINUTES),
        lifetime_hours=_int_setting(db, SETTING_LIFETIME_HOURS, LIFETIME_HOURS),
    )
    user = load_user(db, session["user_id"]) if reason is None else None
    if reason is None and user is None:
        reason = "disabled"
    if reason is not None:
        if reason != "ended":
            row = store.get_user(db, user_id=session["user_id"])
            with db.atomic():
                store.end_signin_session(db, token, at, reason)
                store.record_event(db, store.Actor(session["user_id"], row["role"] if row else None, "session"),
                                   "session.timeout" if reason in ("idle", "lifetime") else "session.revoked",
                                   at, detail=reason)
        return None, reason
    if touch and parse_instant(at) - parse_instant(session["last_seen_at"]) >= TOUCH_EVERY:
        store.touch_signin_session(db, token, at)
    return user, None


def end_session(db: sqlite_utils.Database, token: str | None, user: User | None, at: str) -> None:
    """Sign out: end the session (audited)."""
    if not token:
        return
    with db.atomic():
        store.end_signin_session(db, token, at, "sign-out")
        if user is not None:
            store.record_event(db, user.actor("sign-out"), "session.sign_out", at)


def set_disabled(db: sqlite_utils.Database, user_id: int, disabled: bool, actor: store.Actor, at: str) -> int:
    """Disable (or enable) an account; disabling ends its open sessions at once. Audited.
    Returns the number of sessions ended."""
    with db.atomic():
        store.update_user(db, user_id, disabled=int(disabled))
        ended = store.end_user_sessions(db, user_id, at, "disabled") if disabled else 0
        store.record_event(db, actor, "user.disable" if disabled else "user.enable", at,
                           detail=f"user {user_id}; {ended} open session(s) ended" if disabled else f"user {user_id}")
    return ended


def load_user(db: sqlite_utils.Database, user_id: int) -> User | None:
    """Re-read a signed-in user on every run, so a disabled account loses access at once."""
    row = store.get_user(db, user_id=user_id)
    if row is None or row["disabled"]:
        return None
    return _user(row)


def _user(row: dict) -> User:
    return User(row["id"], row["username"], row["display_name"], row["role"], row["patient_id"])


def visible_patient_ids(db: sqlite_utils.Database, user: User) -> list[str]:
    """The patients whose identified records ``user`` may open."""
    if user.role == "patient":
        return [user.patient_id] if user.patient_id else []
    if user.role == "therapist":
        return store.list_patient_ids(db, therapist_id=user.id)
    return []  # leads see de-identified cohort views; admins manage accounts, not records


def require_patient_access(db: sqlite_utils.Database, user: User, patient_id: str) -> None:
    """Raise unless ``user`` may open ``patient_id``'s record."""
    if patient_id not in visible_patient_ids(db, user):
        raise PermissionDenied("You do not have access to that patient's record.")


def require_role(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise PermissionDenied("This page is not available for your role.")
