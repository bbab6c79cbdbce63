"""Reading what staff name and type: a nursery by id or name, dates, times and hours."""

from __future__ import annotations

import datetime as dt

from domain.config import Nursery
from domain.errors import Invalid, NotFound
from domain.services import Services


def nursery(services: Services, key: str) -> Nursery:
    """The configured nursery with this id or name."""
    try:
        return services.config.nursery(str(key).strip())
    except KeyError:
        raise NotFound(f"there is no nursery {key}") from None


def moment(services: Services, value: dt.datetime | str) -> dt.datetime:
    """A date and time from staff (ISO text or datetime); without a zone it is local time."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise Invalid(f"{value} is not a date and time like 2024-04-23T10:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=services.config.zone())
    try:
        return value.astimezone(services.config.zone())
    except OverflowError:  # the calendar's first or last day, in another zone
        raise Invalid(f"{value} is not a date and time staff can use") from None


def date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise Invalid(f"{value} is not a date like 2024-04-24") from None


def hour(value: int | str) -> int:
    text = str(value).strip().removesuffix(":00")
    if not text.isdigit():
        raise Invalid(f"{value} is not a whole hour like 9 or 9:00")
    return int(text)


def minutes(services: Services, at: dt.datetime) -> str:
    """`2024-04-23T10:00+09:00`: a moment as staff see it, in the city's zone."""
    return at.astimezone(services.config.zone()).isoformat(timespec="minutes")
