"""Users, roles, password hashing and who may see which patient.

Passwords are hashed with argon2id (argon2-cffi). The parameters are stated here, not left to
library defaults, so a library upgrade cannot silently weaken them: RFC 9106's second
recommended option (64 MiB memory, 3 passes, 4 lanes), the argon2-cffi 25 default.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from progress import store
from progress.errors import AuthError, PermissionDenied, ValidationError

ARGON2_TIME_COST = 3
ARGON2_MEMORY_KIB = 65536
ARGON2_PARALLELISM = 4
MIN_PASSWORD_LENGTH = 8  # NIST SP 800-63B for user-chosen passwords; no composition rules

_HASHER = PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_KIB,
    parallelism=ARGON2_PARALLELISM,
    type=Type.ID,
)

# Pages each role may open, in navigation order. The shell builds st.navigation from this.
ROLE_PAGES: dict[str, tuple[str, ...]] = {
    "patient": ("checkin", "my_progress"),
    "therapist": ("caseload", "chart", "intake", "session", "record", "alerts"),
    "lead": ("cohort", "alerts", "audit"),
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


def hash_password(password: str) -> str:
    """Hash a new password after checking the length rule."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    return _HASHER.hash(password)


def _verify(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(db: sqlite_utils.Database, username: str, password: str) -> User:
    """Return the user for a correct name and password.

    Raises
    ------
    AuthError
        With the same message for an unknown name, a wrong password or a disabled account,
        so the message does not reveal which accounts exist.
    """
    row = store.get_user(db, username=username)
    if row is None or row["disabled"] or not _verify(row["password_hash"], password):
        raise AuthError("That user name and password do not match an active account.")
    return _user(row)


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
