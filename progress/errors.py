"""Errors raised by the core.

Broken input is an exception whose message names the value and the rule it breaks; pages
catch :class:`ProgressError` and show the message as a plain sentence. Subclasses also
inherit the builtin they refine so callers may catch either.
"""

from __future__ import annotations


class ProgressError(Exception):
    """Base class for every error the core raises on purpose."""


class ValidationError(ProgressError, ValueError):
    """Input that breaks a rule: an answer out of range, a wrong type, a missing item."""


class UnknownInstrument(ProgressError, KeyError):
    """An instrument id that is not in the registry."""

    def __str__(self) -> str:  # KeyError quotes its message; we want a plain sentence.
        return str(self.args[0]) if self.args else "unknown instrument"


class ImportRejected(ProgressError, ValueError):
    """A file that cannot be imported; ``problems`` lists every problem with its line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        head = f"{len(self.problems)} problem(s); nothing was imported"
        super().__init__(head + ":\n" + "\n".join(self.problems))


class NotFound(ProgressError, LookupError):
    """A patient, user or record that does not exist."""


class PermissionDenied(ProgressError, PermissionError):
    """The acting user has no right to do this."""


class AuthError(ProgressError):
    """Sign-in failed (wrong password, disabled account). The message never says which."""
