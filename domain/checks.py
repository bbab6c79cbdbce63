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


def whole(services: Services, value: object, what: str, lo: int, hi: int) -> int:
    """A whole number from `lo` to `hi` (a bool, a float or a text is not one); `what`: the
    parameter's name (its label is in `staff.fields`)."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        staff = services.config.staff
        field = staff.fields.get(what, what)
        text = staff.messages.number_range.format(field=field, low=lo, high=hi)
        raise Invalid(text, worded=True)
    return value


def within(services: Services, value: dt.date, *, past: bool = False) -> dt.date:
    """`value` if it lies from today (any past day too if `past`) up to the window's end."""
    today = services.today()
    last = today + dt.timedelta(days=services.config.staff.max_days_ahead)
    sm = services.config.staff.messages
    if value > last:
        days = services.config.staff.max_days_ahead
        text = sm.date_too_far.format(date=value.isoformat(), last=last.isoformat(), days=days)
        raise Invalid(text, worded=True)
    if not past and value < today:
        raise Invalid(sm.date_past.format(date=value.isoformat()), worded=True)
    return value


def idempotency_key(services: Services, value: str | None) -> str | None:
    """A client's key for one request: 1 to 100 of A-Z a-z 0-9 - _ . :"""
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= 100 or not set(value) <= KEY_CHARS:
        raise Invalid(services.config.staff.messages.key_invalid, worded=True)
    return value
