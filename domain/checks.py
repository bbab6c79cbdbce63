"""What staff send, checked before anything is written.

Dates (read by `lookup`) lie in a window: from today, or any past day for what
only reads, up to `staff.max_days_ahead` days ahead. Numbers are whole numbers
in a range, and `true` is not 1. Each check raises Invalid (a StaffError) with
the reason in plain words.
"""

from __future__ import annotations

import datetime as dt
import string

from domain.errors import Invalid
from domain.services import Services

KEY_CHARS = frozenset(string.ascii_letters + string.digits + "-_.:")


def whole(value: object, what: str, lo: int, hi: int) -> int:
    """A whole number from `lo` to `hi` (a bool, a float or a text is not one)."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise Invalid(f"{what} must be a whole number between {lo} and {hi}")
    return value


def within(services: Services, value: dt.date, *, past: bool = False) -> dt.date:
    """`value` if it lies from today (any past day too if `past`) up to the window's end."""
    today = services.today()
    last = today + dt.timedelta(days=services.config.staff.max_days_ahead)
    if value > last:
        raise Invalid(
            f"{value} is too far ahead: staff dates go up to {last} "
            f"({services.config.staff.max_days_ahead} days, staff.max_days_ahead in config.yaml)"
        )
    if not past and value < today:
        raise Invalid(f"{value} is in the past")
    return value


def idempotency_key(value: str | None) -> str | None:
    """A client's key for one request: 1 to 100 of A-Z a-z 0-9 - _ . :"""
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= 100 or not set(value) <= KEY_CHARS:
        raise Invalid("the Idempotency-Key must be 1 to 100 letters, digits or - _ . :")
    return value
