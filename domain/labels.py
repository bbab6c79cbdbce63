"""How dates and times are written to parents: `4/23(火)`, `4/23(火) 10:00`, `9:00`, `2025/03/31`.

Button labels built here are part of the conversation contract (QA scripts tap
them), so every flow formats dates through these functions. The weekday
characters come from the message catalogue.
"""

from __future__ import annotations

import datetime as dt

import phonenumbers

from domain.catalogue import Messages
from domain.config import Nursery


def day(d: dt.date, weekdays: str) -> str:
    """`4/23(火)`; `weekdays` holds the seven characters Monday first (`月火水木金土日`)."""
    return f"{d.month}/{d.day}({weekdays[d.weekday()]})"


def hour(h: int) -> str:
    """`9:00`: a whole hour."""
    return f"{h}:00"


def parse_hour(text: str) -> int | None:
    """A whole hour as typed: `12:00`, `12時`, `12` (already folded to half-width)."""
    value = text.strip().removesuffix(":00").removesuffix("時")
    return int(value) if value.isdigit() and int(value) <= 24 else None


def moment(at: dt.datetime, weekdays: str) -> str:
    """`4/23(火) 10:00`, in the time zone `at` carries (convert before calling)."""
    return f"{day(at.date(), weekdays)} {at.hour}:{at.minute:02d}"


def ymd(d: dt.date) -> str:
    """`2025/03/31`: the expiry date as the cleared notice writes it."""
    return f"{d.year:04d}/{d.month:02d}/{d.day:02d}"


def how_to_cancel(msg: Messages, nursery: Nursery, deadline: dt.datetime, now: dt.datetime) -> str:
    """Until when a booking or interview can be cancelled on LINE; the nursery's phone once
    that moment has passed (booked for today, or for tomorrow after the deadline)."""
    if now > deadline:
        return msg.booking_cancel_by_phone.format(nursery=nursery.name, phone=nursery.phone)
    return msg.booking_cancel_until.format(deadline=moment(deadline, msg.weekdays))


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
