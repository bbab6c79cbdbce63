"""How dates and times are written to parents: `4/23(火)`, `4/23(火) 10:00`, `9:00`, `2025/03/31`.

Button labels built here are part of the conversation contract (QA scripts tap
them), so every flow formats dates through these functions. The weekday
characters come from the message catalogue.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.config import Messages, Nursery


def day(d: dt.date, weekdays: str) -> str:
    """`4/23(火)`; `weekdays` holds the seven characters Monday first (`月火水木金土日`)."""
    return f"{d.month}/{d.day}({weekdays[d.weekday()]})"


def hour(h: int) -> str:
    """`9:00`: a whole hour."""
    return f"{h}:00"


def moment(at: dt.datetime, weekdays: str) -> str:
    """`4/23(火) 10:00`, in the time zone `at` carries (convert before calling)."""
    return f"{day(at.date(), weekdays)} {at.hour}:{at.minute:02d}"


def ymd(d: dt.date) -> str:
    """`2025/03/31`: the expiry date as the cleared notice writes it."""
    return f"{d.year:04d}/{d.month:02d}/{d.day:02d}"


def how_to_cancel(m: Messages, nursery: Nursery, deadline: dt.datetime, now: dt.datetime) -> str:
    """Until when a booking or interview can be cancelled on LINE; the nursery's phone once
    that moment has passed (booked for today, or for tomorrow after the deadline)."""
    if now > deadline:
        return m.bk_cancel_by_phone.format(nursery=nursery.name, phone=nursery.phone)
    return m.bk_cancel_until.format(deadline=moment(deadline, m.weekdays))
