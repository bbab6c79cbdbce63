"""臨時休園: staff close a day that already has bookings (a typhoon, an outbreak).

Every booking held that day is cancelled (seats and the child's days given back) and
the day gets no seats, so nobody can book it meanwhile; its waiting list ends (nothing
is offered), each parent told; parents who booked on LINE are told by push, with the
reason and the nursery's number; those who booked by phone are listed with their
numbers for staff to call.
"""

from __future__ import annotations

import datetime as dt

import structlog

from domain import checks, labels, lookup
from domain.bookings import tell_parent
from domain.errors import Conflict
from domain.ledger import Ledger
from domain.offers import Offers
from domain.services import Services
from domain.views import ClosedBooking, Closing, Notice
from storage.bookings import BookingDoc

log = structlog.get_logger(__name__)

ATTEMPTS = 5  # a booking confirmed while the day is being closed is cancelled on the next


class DayClosing:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def preview(self, nursery: str, date: dt.date | str) -> Closing:
        """The bookings closing the day would cancel (the console's confirmation)."""
        n = lookup.nursery(self.services, nursery)
        day = checks.within(self.services, lookup.date(self.services, date))
        held = await self.services.repos.bookings.on_day(n.id, day)
        rows = [
            await self._row(b, Notice(notified=False, notice="", delivery="sent")) for b in held
        ]
        return Closing(nursery=n.name, date=day.isoformat(), closed=False, bookings=rows)

    async def close(self, nursery: str, date: dt.date | str, reason: str | None = None) -> Closing:
        n = lookup.nursery(self.services, nursery)
        day = checks.within(self.services, lookup.date(self.services, date))
        repos, ledger = self.services.repos, Ledger(self.services)
        rows: list[ClosedBooking] = []
        for _ in range(ATTEMPTS):
            # the line first: its offers hold seats, and nothing freed now is offered
            await Offers(self.services).close_day(n.id, day, reason)
            for b in await repos.bookings.on_day(n.id, day):
                if await ledger.cancel(b, "staff"):
                    told = await tell_parent(
                        self.services,
                        b,
                        n,
                        lambda m: m.day_closed_push,
                        f"dayclosed:{b.id}",
                        reason,
                    )
                    rows.append(await self._row(b, told))
            if await repos.seats.set_seats(n.id, day, list(n.hours.range()), 0):
                break
        else:
            sm = self.services.config.staff.messages
            raise Conflict(
                sm.close_busy.format(date=labels.ymd(day, self.services.msg.formats)), worded=True
            )
        log.info("day_closed", nursery=n.id, date=day.isoformat(), cancelled=len(rows))
        return Closing(nursery=n.name, date=day.isoformat(), closed=True, bookings=rows)

    async def _row(self, b: BookingDoc, told: Notice) -> ClosedBooking:
        reg = (
            await self.services.repos.registrations.get(b.registration) if b.registration else None
        )
        return ClosedBooking(
            booking=b.id,
            child=b.child_name,
            start=labels.hour(b.start, self.services.msg.formats),
            end=labels.hour(b.end, self.services.msg.formats),
            source=b.source,
            line=b.user is not None,
            parent=reg.parent_name if reg else "",
            phone=labels.phone(reg.phone if reg else b.contact_phone),
            told=told,
        )
