"""The new-password rule (NIST SP 800-63B 3.1.1.2) and its shipped list of common passwords."""

from __future__ import annotations

import pytest

from progress import passwords
from progress.errors import ValidationError


def test_the_shipped_list_has_ten_thousand_entries_and_says_where_it_comes_from():
    text = passwords.COMMON_PASSWORDS_FILE.read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert "zxcvbn 4.5.0" in " ".join(header) and "MIT License" in " ".join(header)
    assert len(passwords.common_passwords()) == 10_000
    assert {"password", "123456", "qwerty"} <= passwords.common_passwords()


@pytest.mark.parametrize(
    ("password", "username", "message"),
    [
        ("short7!", None, "at least 8 characters"),
        ("", None, "at least 8 characters"),
        ("x" * 257, None, "at most 256"),
        ("password", None, "most common passwords"),
        ("PassWord1", None, "most common passwords"),
        ("12345678", None, "most common passwords"),
        ("iloveyou", None, "most common passwords"),
        ("dr_lee_2026", "DR_LEE_2026", "not be the user name"),
        ("zzzzzzzzzz", None, "one character repeated"),
        (12345678, None, "must be text"),
        (None, None, "must be text"),
    ],
    ids=["too-short", "empty", "too-long", "common", "common-any-case", "common-digits",
         "common-phrase", "user-name", "repeated", "number", "none"],
)
def test_weak_or_malformed_passwords_are_refused_with_the_rule(password, username, message):
    with pytest.raises(ValidationError, match=message):
        passwords.check_password(password, username=username)


@pytest.mark.parametrize(
    "password",
    ["correct horse battery", "ketamine-demo", "abcdefgh1!x", "ünïcödé-pass", " spaces  count ", "xy" * 128],
    ids=["passphrase", "demo", "no-composition-rule", "unicode", "spaces", "max-length"],
)
def test_good_passwords_pass_without_composition_rules(password):
    assert passwords.check_password(password, username="someone") == password
