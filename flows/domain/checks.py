"""What staff send, checked before anything is written.

Dates lie in a window (from today, or any past day for what only reads, up to
`staff.max_days_ahead` days ahead); numbers are whole numbers in a range, and
`true` is not 1. Each check raises StaffError with the reason in plain words.
"""

from __future__ import annotations

import datetime as dt
import string

from flows.domain.errors import StaffError
from flows.services import Services

KEY_CHARS = frozenset(string.ascii_letters + string.digits + "-_.:")


def whole(value: object, what: str, lo: int, hi: int) -> int:
    """A whole number from `lo` to `hi` (a bool, a float or a text is not one)."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise StaffError(f"{what} must be a whole number from {lo} to {hi}")
    return value


def hour(value: object) -> int:
    """A whole hour: 9, or the text `9` or `9:00` (the CLI's and replays' spelling)."""
    if isinstance(value, str):
        text = value.strip().removesuffix(":00")
        if text.isascii() and text.isdigit():
            value = int(text)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 24:
        raise StaffError(f"{value} is not a whole hour like 9 or 9:00")
    return value


def day(s: Services, value: dt.date | str, *, past: bool = False) -> dt.date:
    """A date (`2024-04-24`) from today (any past day too if `past`) up to the window's end."""
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
        raise StaffError(f"{value} is not a date like 2024-04-24")
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise StaffError(f"{value} is not a date like 2024-04-24") from None
    return within(s, value, past=past)


def within(s: Services, value: dt.date, *, past: bool = False) -> dt.date:
    today = s.today()
    last = today + dt.timedelta(days=s.config.staff.max_days_ahead)
    if value > last:
        raise StaffError(
            f"{value} is too far ahead: staff dates go up to {last} "
            f"({s.config.staff.max_days_ahead} days, staff.max_days_ahead in config.yaml)"
        )
    if not past and value < today:
        raise StaffError(f"{value} is in the past")
    return value


def idempotency_key(value: str | None) -> str | None:
    """A client's key for one request: 1 to 100 of A-Z a-z 0-9 - _ . :"""
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= 100 or not set(value) <= KEY_CHARS:
        raise StaffError("the Idempotency-Key must be 1 to 100 letters, digits or - _ . :")
    return value
