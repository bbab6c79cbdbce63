"""Which days and hours a nursery has seats: config defaults, holidays, staff overrides.

Seats are counted per nursery, day and hour. A day without a staff override
has the nursery's `seats_per_hour` in each opening hour, or none on its closed
days: its closed weekdays, national holidays (the `jpholiday` package), its
yearly closures (年末年始 by default) and its one-off closed dates. Staff open a
closed day by setting its seats. A day's number shown to parents is the most
children that could still book some band of `min_hours` that day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import jpholiday

from domain.config import WEEKDAYS, Nursery
from domain.services import Services
from storage.seats import SeatDay

Free = dict[int, int]  # hour -> seats still free


def closed(nursery: Nursery, day: dt.date) -> bool:
    """Closed by default: a closed weekday, a national holiday where that applies, a yearly
    closure or a one-off closed date."""
    if WEEKDAYS[day.weekday()] in nursery.closed_weekdays or day in nursery.closed_dates:
        return True
    if any(c.covers(day) for c in nursery.closed_yearly):
        return True
    return nursery.closed_on_holidays and jpholiday.is_holiday(day)


def holiday(day: dt.date) -> str | None:
    """The name of the national holiday (祝日) on `day`, or None: staff pages mark it."""
    return jpholiday.is_holiday_name(day)


def default_seats(nursery: Nursery, day: dt.date) -> dict[int, int]:
    """Seats per hour before any staff override."""
    if closed(nursery, day):
        return {}
    return {h: nursery.seats_per_hour for h in nursery.hours.range()}


def band_seats(free: Free, min_hours: int) -> int:
    """The most children that could still book some band of `min_hours` consecutive hours."""
    hours = sorted(free)
    best = 0
    for i in range(len(hours) - min_hours + 1):
        band = hours[i : i + min_hours]
        if band[-1] - band[0] == min_hours - 1:
            best = max(best, min(free[h] for h in band))
    return best


def start_hours(free: Free, min_hours: int) -> list[int]:
    """Hours a band of at least `min_hours` can start at (every hour of it with a seat)."""
    return [h for h in sorted(free) if all(free.get(h + i, 0) > 0 for i in range(min_hours))]


def end_hours(free: Free, start: int, min_hours: int) -> list[int]:
    """Hours a band from `start` can end at: at least `min_hours` on, up to the first full hour."""
    out = []
    end = start
    while free.get(end, 0) > 0:
        end += 1
        if end - start >= min_hours:
            out.append(end)
    return out


class Calendar:
    def __init__(self, services: Services) -> None:
        self.services = services

    def last_day(self) -> dt.date:
        return self.services.today() + dt.timedelta(days=self.services.config.booking.horizon_days)

    def free(self, nursery: Nursery, day: SeatDay) -> Free:
        """Free seats per hour of a stored day; hours that have begun count as none."""
        date = dt.date.fromisoformat(day.date)
        seats = day.seats(default_seats(nursery, date), nursery.hours.range())
        now = self.services.now()
        tz = self.services.config.zone()
        return {
            h: max(0, n - day.taken(h))
            for h, n in seats.items()
            if dt.datetime.combine(date, dt.time(h), tz) > now
        }

    async def day_free(self, nursery: Nursery, date: dt.date) -> Free:
        return self.free(nursery, await self.services.repos.seats.day(nursery.id, date))

    async def days(
        self,
        nursery: Nursery,
        skip: Collection[str] = (),
        first: dt.date | None = None,
        last: dt.date | None = None,
    ) -> list[tuple[dt.date, int]]:
        """Days from today (or `first`) to the horizon (or `last`, if sooner) with seats, and
        each day's number; `skip` holds dates (YYYY-MM-DD) not to offer."""
        first = max(self.services.today(), first or self.services.today())
        last = min(self.last_day(), last or self.last_day())
        if last < first:
            return []
        stored = await self.services.repos.seats.days(nursery.id, first, last)
        min_hours = self.services.config.booking.min_hours
        out = []
        for date, day in stored.items():
            if date.isoformat() in skip:
                continue
            n = band_seats(self.free(nursery, day), min_hours)
            if n > 0:
                out.append((date, n))
        return out
