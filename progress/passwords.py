"""The rule for a new password, after NIST SP 800-63B section 3.1.1.2.

At least 8 characters for a user-chosen password, no composition rules (no "one digit, one
capital"), at most 256 so hashing stays bounded, and refused when it is one of the 10,000 most
common passwords (``data/common_passwords.txt``, origin written at its top), the user name, or
a single character repeated. Comparison ignores case: "PassWord1" is as guessable as
"password1".
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from progress.errors import ValidationError

MIN_LENGTH = 8  # NIST SP 800-63B: at least 8 for user-chosen passwords
MAX_LENGTH = 256  # NIST asks to allow at least 64
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """The blocklist, read once per process."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password: object, *, username: str | None = None) -> str:
    """Return ``password`` if it may be used; otherwise raise ValidationError saying which rule
    it breaks (never echoing the password)."""
    if not isinstance(password, str):
        raise ValidationError("A password must be text.")
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"A password needs at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise ValidationError(f"A password may have at most {MAX_LENGTH} characters.")
    folded = password.casefold()
    if folded in common_passwords():
        raise ValidationError(
            "That password is on the list of the 10,000 most common passwords; choose another."
        )
    if username and folded == username.strip().casefold():
        raise ValidationError("A password may not be the user name.")
    if len(set(password)) == 1:
        raise ValidationError("A password may not be one character repeated.")
    return password
