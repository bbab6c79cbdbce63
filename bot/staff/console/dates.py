"""How the console writes a date: `2024-04-23（火）`, and 月・祝 on a national holiday."""

from __future__ import annotations

import datetime as dt

from domain.calendar import holiday

LETTERS = "月火水木金土日"


def weekday(index: int, holiday_name: str | None = None) -> str:
    """The weekday's letter (Monday is 0), with 祝 on a national holiday."""
    return LETTERS[index] + ("・祝" if holiday_name else "")


def dated(value: str | dt.date) -> str:
    """A day as the console's lists and headings write it: `2024-04-29（月・祝）`."""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value[:10])
    return f"{day.isoformat()}（{weekday(day.weekday(), holiday(day))}）"
