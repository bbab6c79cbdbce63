"""What staff send, checked before anything is written.

Dates (read by `lookup`) lie in a window: from today, or back to
`staff.max_days_back` days ago for what only reads, up to `staff.max_days_ahead`
days ahead. No date staff name is further off, so date arithmetic on one (the day
after, the next calendar page) never leaves what a date can hold (year 1 to 9999).
Numbers are whole numbers in a range, and `true` is not 1. Each check raises Invalid
(a StaffError) with the reason in plain words.
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


def window(services: Services) -> tuple[dt.date, dt.date]:
    """The first and the last day staff may name: `staff.max_days_back` days ago (for what
    only reads) and `staff.max_days_ahead` days ahead."""
    today = services.today()
    staff = services.config.staff
    back, ahead = dt.timedelta(days=staff.max_days_back), dt.timedelta(days=staff.max_days_ahead)
    return today - back, today + ahead


def within(services: Services, value: dt.date, *, past: bool = False) -> dt.date:
    """`value` if it lies from today (from the window's first day if `past`) up to the
    window's last day."""
    first, last = window(services)
    staff = services.config.staff
    sm = staff.messages
    day = value.isoformat()
    if value > last:
        text = sm.date_too_far.format(date=day, last=last.isoformat(), days=staff.max_days_ahead)
        raise Invalid(text, worded=True)
    if not past and value < services.today():
        raise Invalid(sm.date_past.format(date=day), worded=True)
    if value < first:
        text = sm.date_too_old.format(date=day, first=first.isoformat(), days=staff.max_days_back)
        raise Invalid(text, worded=True)
    return value


def idempotency_key(services: Services, value: str | None) -> str | None:
    """A client's key for one request: 1 to 100 of A-Z a-z 0-9 - _ . :"""
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= 100 or not set(value) <= KEY_CHARS:
        raise Invalid(services.config.staff.messages.key_invalid, worded=True)
    return value
