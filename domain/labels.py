"""How dates and times are written to parents: `4/23(火)`, `4/23(火) 10:00`, `9:00`,
`2025/03/31` in Japanese; `Tue, Apr 23`, `1:00 PM` in English.

Button labels built here are part of the conversation contract (QA scripts tap
them), so every flow formats dates through these functions. The patterns and
words come from the catalogue's `formats` in the parent's language.
"""

from __future__ import annotations

import datetime as dt
import re

import phonenumbers

from domain.catalogue import Messages
from domain.catalogue_formats import Formats
from domain.config import Nursery

_HOUR = re.compile(r"^(\d{1,2})(?::00)?\s*(時|a\.?m\.?|p\.?m\.?)?$")


def _date_fields(d: dt.date, f: Formats) -> dict[str, object]:
    return {
        "year": d.year,
        "month": d.month,
        "month_name": f.months[d.month - 1],
        "day": d.day,
        "weekday": f.weekdays[d.weekday()],
    }


def day(d: dt.date, f: Formats) -> str:
    """`4/23(火)` or `Tue, Apr 23`: a day in a list or a sentence."""
    return f.day.format(**_date_fields(d, f))


def time(hour: int, minute: int, f: Formats) -> str:
    """`13:00` or `1:00 PM` (24:00, a band's end at midnight, is `12:00 AM`)."""
    twelve = hour % 12 or 12
    half = f.halves[0] if hour % 24 < 12 else f.halves[1]
    return f.time.format(hour=hour, hour12=twelve, minute=minute, half=half)


def hour(h: int, f: Formats) -> str:
    """A whole hour: `9:00`, `9:00 AM`."""
    return time(h, 0, f)


def parse_hour(text: str) -> int | None:
    """A whole hour as typed (already folded to half-width): `12:00`, `12時`, `12`,
    `1:00 p.m.`, `1pm`, `1 PM`; None if it is none of these."""
    found = _HOUR.match(text.strip().lower())
    if found is None:
        return None
    value, half = int(found[1]), (found[2] or "").replace(".", "")
    if half in ("am", "pm"):
        if not 1 <= value <= 12:
            return None
        value = value % 12 + (12 if half == "pm" else 0)
    return value if value <= 24 else None


def moment(at: dt.datetime, f: Formats) -> str:
    """`4/23(火) 10:00`, in the time zone `at` carries (convert before calling)."""
    return f.moment.format(day=day(at.date(), f), time=time(at.hour, at.minute, f))


def ymd(d: dt.date, f: Formats) -> str:
    """`2025/03/31` or `Mar 31, 2025`: a full date, as an expiry is written."""
    return f.date.format(**_date_fields(d, f))


def how_to_cancel(msg: Messages, nursery: Nursery, deadline: dt.datetime, now: dt.datetime) -> str:
    """Until when a booking or interview can be cancelled on LINE; the nursery's phone once
    that moment has passed (booked for today, or for tomorrow after the deadline)."""
    if now > deadline:
        return msg.booking_cancel_by_phone.format(nursery=nursery.name, phone=nursery.phone)
    return msg.booking_cancel_until.format(deadline=moment(deadline, msg.formats))


def ages(msg: Messages, nursery: Nursery) -> str:
    """The children a nursery takes, in the catalogue's words (config `ages`)."""
    a = nursery.ages
    return msg.ages.format(months=a.min_months, first=a.first_class, last=a.last_class)


def national(digits: str) -> str | None:
    """`0312345678` as people write it, `03-1234-5678` (libphonenumber's national format);
    None if it cannot lay it out."""
    try:
        text = phonenumbers.format_number(
            phonenumbers.parse(digits, "JP"), phonenumbers.PhoneNumberFormat.NATIONAL
        )
    except phonenumbers.NumberParseException:
        return None
    return text if text.startswith("0") and "-" in text else None


def postal_code(digits: str) -> str:
    """A postal code for people to read: 153-0061 (as stored, if not 7 digits)."""
    return f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 and digits.isdigit() else digits


def phone(digits: str | None) -> str:
    """A phone number for people to read: laid out, or its digits as stored."""
    return (national(digits) or digits) if digits else ""
