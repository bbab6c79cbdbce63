"""The values a replay script writes as text: dates and times (Tokyo unless an offset is
given), durations (`30m`, `2h`, `1d2h`), hours and whole numbers; each mistake is a
ValueError whose text becomes the script error's reason."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from storage.clock import TOKYO

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


def parse_datetime(text: Any) -> dt.datetime:
    """`2024-04-23T10:00` (Tokyo) or with an offset; seconds optional."""
    if not isinstance(text, str):
        raise ValueError(f"{shown(text)} is not a date and time like 2024-04-23T10:00")
    try:
        at = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date and time like 2024-04-23T10:00") from None
    return at if at.tzinfo else at.replace(tzinfo=TOKYO)


def parse_date(text: Any) -> dt.date:
    if isinstance(text, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            pass
    raise ValueError(f"{shown(text)} is not a date like 2024-04-24")


def parse_duration(text: Any) -> dt.timedelta:
    found = _DURATION.fullmatch(str(text).strip()) if isinstance(text, str) else None
    if not found or not any(found.groups()):
        raise ValueError(f"{shown(text)} is not a duration like 30m, 2h, 1d or 1d2h")
    d, h, mins = (int(g or 0) for g in found.groups())
    return dt.timedelta(days=d, hours=h, minutes=mins)


def parse_hour(text: Any) -> int:
    """`9` or `9:00` -> 9 (bookings are in whole hours)."""
    found = re.fullmatch(r"(\d{1,2})(?::00)?", str(text).strip()) if isinstance(text, str) else None
    if not found or int(found.group(1)) > 24:
        raise ValueError(f"{shown(text)} is not a whole hour like 9 or 9:00")
    return int(found.group(1))


def parse_int(text: Any, what: str) -> int:
    if isinstance(text, str) and re.fullmatch(r"\d+", text.strip()):
        return int(text)
    raise ValueError(f"{what} must be a whole number, not {shown(text)}")


def shown(v: Any) -> str:
    if isinstance(v, str):
        return repr(v)
    return "a list" if isinstance(v, list) else "a mapping" if isinstance(v, dict) else "nothing"


def strings(v: Any, what: str) -> list[str]:
    if isinstance(v, str):
        return [v]
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return v
    raise ValueError(f"{what} must be a text or a list of texts")
