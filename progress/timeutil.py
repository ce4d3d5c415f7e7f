"""Timestamps: stored as UTC ISO 8601 text ending in ``Z``, which sorts as time does.

No clock is read here; "now" is always a parameter passed in by the caller.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from progress.errors import ValidationError


def parse_instant(value: object, *, field: str = "time") -> datetime:
    """Parse an ISO 8601 date-time with an offset (or ``Z``), or a plain date (taken as 00:00 UTC).

    A date-time without an offset is rejected: it could be any time zone.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValidationError(f"{field} {value.isoformat()!r} has no time-zone offset.")
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{field} is missing or not text: {value!r}.")
    text = value.strip()
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{field} {text!r} is not an ISO 8601 date or date-time (e.g. 2026-03-02T14:30:00Z)."
        ) from None
    if parsed.tzinfo is None:
        raise ValidationError(
            f"{field} {text!r} has no time-zone offset; add Z for UTC or e.g. -05:00."
        )
    return parsed.astimezone(UTC)


def to_iso(value: object, *, field: str = "time") -> str:
    """Normalise any accepted instant to the stored form ``YYYY-MM-DDTHH:MM:SSZ``."""
    return parse_instant(value, field=field).strftime("%Y-%m-%dT%H:%M:%SZ")


def days_between(earlier: str, later: str) -> float:
    """Days from one stored timestamp to another (fractional)."""
    return (parse_instant(later) - parse_instant(earlier)).total_seconds() / 86400.0
