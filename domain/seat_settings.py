"""Staff set seats: per hour on a day, or on every day of a range (each day checked before
any changes, and the days changed put back if one is booked above the seats meanwhile),
never below what is booked; and a day's seats as staff read them."""

from __future__ import annotations

import datetime as dt

import structlog

from domain import checks, labels, lookup
from domain.calendar import Calendar, band_seats, closed, default_seats
from domain.config import Nursery
from domain.errors import Conflict, Invalid
from domain.offers import Offers
from domain.services import Services
from domain.views import DaySeats, HourSeats, SeatsChange

log = structlog.get_logger(__name__)

MAX_SEATS = 100
MAX_SEATS_DAYS = 62  # one change of seats covers up to two months


class SeatSettings:
    services: Services

    async def set_capacity(
        self,
        nursery: str,
        date: dt.date | str,
        seats: int,
        hours: list[int] | list[str] | None = None,
    ) -> DaySeats:
        """Seats per hour on a day for `hours` (default: all opening hours). 0 closes them;
        seats on a closed day (Sunday, a holiday) open it. Seats raised go to the day's
        waiting list."""
        n, day = (
            lookup.nursery(self.services, nursery),
            checks.within(self.services, lookup.date(self.services, date)),
        )
        seats = checks.whole(self.services, seats, "seats", 0, MAX_SEATS)
        wanted = self._hours(n, hours)
        await self._set(n, day, wanted, seats)
        await Offers(self.services).seats_freed(n.id, day)
        return await self.day_seats(n.id, day)

    async def _set(self, n: Nursery, day: dt.date, hours: list[int], seats: int) -> None:
        """The day's seats for `hours`; Conflict naming the hour booked above `seats`."""
        if not await self.services.repos.seats.set_seats(n.id, day, hours, seats):
            stored = await self.services.repos.seats.day(n.id, day)
            busy = [h for h in hours if stored.taken(h) > seats] or hours[:1]
            raise self._below_booked(day, busy[0], stored.taken(busy[0]), seats)
        log.debug("seats_set", nursery=n.id, date=day.isoformat(), seats=seats, hours=len(hours))

    async def set_capacity_days(
        self,
        nursery: str,
        first: dt.date | str,
        last: dt.date | str | None,
        seats: int,
        hours: list[int] | list[str] | None = None,
        keep_closed: bool = False,
    ) -> SeatsChange:
        """Seats per hour for every day from `first` to `last` (`keep_closed`: not on the
        days the nursery is usually closed). Every day is checked before any is changed,
        so a day booked above `seats` refuses the whole range."""
        n = lookup.nursery(self.services, nursery)
        start = checks.within(self.services, lookup.date(self.services, first))
        end = checks.within(self.services, lookup.date(self.services, last)) if last else start
        sm = self.services.config.staff.messages
        if end < start:
            text = sm.range_order.format(first=start.isoformat(), last=end.isoformat())
            raise Invalid(text, worded=True)
        if (end - start).days >= MAX_SEATS_DAYS:
            raise Invalid(sm.seats_range_too_long.format(days=MAX_SEATS_DAYS), worded=True)
        seats = checks.whole(self.services, seats, "seats", 0, MAX_SEATS)
        wanted = self._hours(n, hours)
        days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
        days = [d for d in days if not (keep_closed and closed(n, d))]
        repos = self.services.repos
        before = {}
        for day in days:
            stored = before[day] = await repos.seats.day(n.id, day)
            busy = [h for h in wanted if stored.taken(h) > seats]
            if busy:
                raise self._below_booked(day, busy[0], stored.taken(busy[0]), seats)
        done: list[dt.date] = []
        try:
            for day in days:
                await self._set(n, day, wanted, seats)
                done.append(day)
        except Conflict:  # booked above `seats` since it was checked: the range is refused
            for day in done:
                was = before[day].seats(default_seats(n, day), n.hours.range())
                if not await repos.seats.put_back(
                    n.id, day, before[day], {h: was[h] for h in wanted}
                ):
                    log.warning("seats_not_put_back", nursery=n.id, date=day.isoformat())
            raise
        offers = Offers(self.services)  # seats raised go to the lines once the range holds
        for day in days:
            await offers.seats_freed(n.id, day)
        return SeatsChange(
            nursery=n.name,
            first=start.isoformat(),
            last=end.isoformat(),
            days=len(days),
            seats=seats,
            hours=[labels.hour(h, self.services.msg.formats) for h in wanted],
        )

    def _hours(self, n: Nursery, hours: list[int] | list[str] | None) -> list[int]:
        """The opening hours asked for (all by default); refused if one is outside them."""
        wanted = (
            sorted({lookup.hour(self.services, h) for h in hours})
            if hours
            else list(n.hours.range())
        )
        outside = [h for h in wanted if h not in n.hours.range()]
        if outside:
            sm = self.services.config.staff.messages
            text = sm.hour_outside.format(
                hour=labels.hour(outside[0], self.services.msg.formats),
                nursery=n.name,
                open=labels.hour(n.hours.open, self.services.msg.formats),
                close=labels.hour(n.hours.close, self.services.msg.formats),
            )
            raise Invalid(text, worded=True)
        return wanted

    def _below_booked(self, day: dt.date, hour: int, booked: int, seats: int) -> Conflict:
        sm = self.services.config.staff.messages
        text = sm.seats_below_booked.format(
            date=day.isoformat(),
            hour=labels.hour(hour, self.services.msg.formats),
            booked=booked,
            seats=seats,
        )
        return Conflict(text, worded=True)

    async def day_seats(self, nursery: str, date: dt.date | str) -> DaySeats:
        """A day's seats, bookings and free seats per hour, and the number parents see."""
        n = lookup.nursery(self.services, nursery)
        day = checks.within(self.services, lookup.date(self.services, date), past=True)
        stored = await self.services.repos.seats.day(n.id, day)
        seats = stored.seats(default_seats(n, day), n.hours.range())
        free = Calendar(self.services).free(n, stored)
        return DaySeats(
            nursery=n.name,
            date=day.isoformat(),
            open=any(seats.values()),
            day_seats=band_seats(free, self.services.config.booking.min_hours),
            hours=[
                HourSeats(
                    hour=labels.hour(h, self.services.msg.formats),
                    seats=seats[h],
                    booked=stored.taken(h),
                    free=max(0, seats[h] - stored.taken(h)),
                )
                for h in n.hours.range()
            ],
        )
