"""Reading what staff name and type: a nursery by id or name, dates, times and hours; and
the languages the parents of a staff listing read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from domain.config import Nursery
from domain.errors import Invalid, NotFound
from domain.services import Services


def nursery(services: Services, key: str) -> Nursery:
    """The configured nursery with this id or name."""
    try:
        return services.config.nursery(str(key).strip())
    except KeyError:
        sm = services.config.staff.messages
        raise NotFound(sm.nursery_unknown.format(nursery=key), worded=True) from None


def moment(services: Services, value: dt.datetime | str) -> dt.datetime:
    """A date and time from staff (ISO text or datetime); without a zone it is local time."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise _unreadable(services, value) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=services.config.zone())
    try:
        return value.astimezone(services.config.zone())
    except OverflowError:  # the calendar's first or last day, in another zone
        raise _unreadable(services, value) from None


def _unreadable(services: Services, value: object, what: str = "moment") -> Invalid:
    """`what`: moment, date or hour (its `*_unreadable` message)."""
    text = getattr(services.config.staff.messages, f"{what}_unreadable").format(value=value)
    return Invalid(text, worded=True)


def date(services: Services, value: dt.date | str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise _unreadable(services, value, "date") from None


def hour(services: Services, value: int | str) -> int:
    text = str(value).strip().removesuffix(":00")
    if not text.isdigit():
        raise _unreadable(services, value, "hour")
    return int(text)


def minutes(services: Services, at: dt.datetime) -> str:
    """`2024-04-23T10:00+09:00`: a moment as staff see it, in the city's zone."""
    return at.astimezone(services.config.zone()).isoformat(timespec="minutes")


async def languages(services: Services, users: Iterable[str | None]) -> dict[str, str]:
    """The language (ja, en) each of these LINE users reads, in one read for a whole listing;
    a phone booking (no user) and a user whose language is not known are not in it."""
    ids = sorted({u for u in users if u})
    return await services.repos.users.languages(ids) if ids else {}
