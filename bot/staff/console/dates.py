"""A day as the console's templates write it (templates/dates.html): its weekday's letter
from the catalogue (`messages.formats.weekdays`) and its national holiday's name."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from domain.calendar import holiday


class Day(NamedTuple):
    iso: str  # 2024-04-29
    letter: str  # 月
    holiday: str | None  # 昭和の日, or None


def day_of(letters: list[str], value: str | dt.date) -> Day:
    """The day `value` names (a date, or text starting YYYY-MM-DD)."""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value[:10])
    return Day(day.isoformat(), letters[day.weekday()], holiday(day))
