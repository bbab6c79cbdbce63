"""Staff operations on childcare seats and bookings.

Seats per nursery, day and hour (open or close a day), phone bookings from the
same pool of seats, cancelling on a parent's behalf (the parent is told on
LINE), a day's roster with the answers to the booking questions, and the rows
of an export (the staff side writes them as CSV). Used alike by the admin API,
the staff CLI and replay `staff:` steps; results are plain JSON-ready values or
typed rows, and what cannot be done raises StaffError.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import structlog

from flows import labels, normalize
from flows.config import Nursery
from flows.domain import checks
from flows.domain.calendar import Calendar, band_seats, default_seats
from flows.domain.errors import StaffError
from flows.domain.interviews import notify, same_name
from flows.domain.ledger import Ledger
from flows.services import Services
from storage.bookings import BookingDoc

log = structlog.get_logger("flows.domain.staff")

MAX_SEATS = 100
MAX_EXPORT_DAYS = 400


@dataclass(frozen=True)
class BookingRow:
    """One held booking with its child's registration: a roster line, an export row."""

    booking: str
    status: str
    source: str  # line or phone
    nursery: str  # its name
    date: str  # YYYY-MM-DD
    start: str  # 9:00
    end: str
    child: str
    kana: str  # from the registration ("" for a phone booking), as the next four
    birth_date: str
    sex: str
    parent: str
    phone: str  # digits only
    answers: dict[str, str]  # question label -> answer
    booked_at: str  # ISO, minutes, local time


@dataclass(frozen=True)
class BookingExport:
    questions: list[str]  # the nursery's question labels, in order
    rows: list[BookingRow]


def phone_booking_id(nursery: str, key: str) -> str:
    """The booking id a phone booking's idempotency key stands for (per nursery)."""
    return "phone-" + hashlib.sha256(f"{nursery}\0{key}".encode()).hexdigest()[:32]


class BookingStaff:
    s: Services
    nursery: Callable[[str], Nursery]  # from InterviewStaff: the nursery by id or name

    # -- seats -------------------------------------------------------------------------------
    async def set_capacity(
        self,
        nursery: str,
        date: dt.date | str,
        seats: int,
        hours: list[int] | list[str] | None = None,
    ) -> dict[str, Any]:
        """Seats per hour on a day for `hours` (default: all opening hours). 0 closes them;
        seats on a closed day (Sunday, a holiday) open it."""
        n, day = self.nursery(nursery), checks.day(self.s, date)
        seats = checks.whole(seats, "seats", 0, MAX_SEATS)
        wanted = sorted({checks.hour(h) for h in hours}) if hours else list(n.hours.range())
        outside = [h for h in wanted if h not in n.hours.range()]
        if outside:
            raise StaffError(
                f"{labels.hour(outside[0])} is outside {n.name}'s hours "
                f"({labels.hour(n.hours.open)}-{labels.hour(n.hours.close)})"
            )
        if not await self.s.repos.seats.set_seats(n.id, day, wanted, seats):
            stored = await self.s.repos.seats.day(n.id, day)
            busy = [h for h in wanted if stored.taken(h) > seats]
            raise StaffError(
                f"{stored.taken(busy[0]) if busy else 'more'} seats are already booked at "
                f"{labels.hour(busy[0]) if busy else 'some hour'} on {day}: "
                "cancel bookings first",
                409,
            )
        log.info("seats_set", nursery=n.id, date=day.isoformat(), seats=seats, hours=len(wanted))
        return await self.day_seats(n.id, day)

    async def day_seats(self, nursery: str, date: dt.date | str) -> dict[str, Any]:
        """A day's seats, bookings and free seats per hour, and the number parents see."""
        n, day = self.nursery(nursery), checks.day(self.s, date, past=True)
        stored = await self.s.repos.seats.day(n.id, day)
        seats = stored.seats(default_seats(n, day), n.hours.range())
        free = Calendar(self.s).free(n, stored)
        return {
            "nursery": n.name,
            "date": day.isoformat(),
            "open": any(seats.values()),
            "day_seats": band_seats(free, self.s.config.booking.min_hours),
            "hours": [
                {
                    "hour": labels.hour(h),
                    "seats": seats[h],
                    "booked": stored.taken(h),
                    "free": max(0, seats[h] - stored.taken(h)),
                }
                for h in n.hours.range()
            ],
        }

    # -- bookings ------------------------------------------------------------------------------
    async def phone_booking(
        self,
        nursery: str,
        date: dt.date | str,
        from_hour: int | str,
        to_hour: int | str,
        child: str = "",
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """A booking taken by phone: seats from the same pool (no LINE allowance).

        With an `idempotency_key`, the same request sent again (a retry after a lost answer)
        answers with the booking the first one made; the key with another booking is refused.
        """
        n, day = self.nursery(nursery), checks.day(self.s, date)
        start, end = checks.hour(from_hour), checks.hour(to_hour)
        key = checks.idempotency_key(idempotency_key)
        if not (n.hours.open <= start < end <= n.hours.close):
            raise StaffError(
                f"{labels.hour(start)}-{labels.hour(end)} is not a band within {n.name}'s hours "
                f"({labels.hour(n.hours.open)}-{labels.hour(n.hours.close)})"
            )
        name = ""
        if not isinstance(child, str):
            raise StaffError("the child's name must be text")
        if child.strip():
            name = normalize.name(child) or ""
            if not name:
                raise StaffError(
                    "the child's name must be letters (kanji, kana or Latin) and spaces, "
                    "beginning with a letter, as parents are asked on LINE"
                )
        intent = BookingDoc(
            _id=phone_booking_id(n.id, key) if key else self.s.ids.new(),
            source="phone",
            nursery=n.id,
            date=day.isoformat(),
            start=start,
            end=end,
            child_name=name,
            created_at=self.s.now(),
        )
        if key is not None:
            before = await self.s.repos.bookings.get(intent.id)
            same = ("nursery", "date", "start", "end", "child_name", "source")
            if before is not None and before.model_dump(include=set(same)) != intent.model_dump(
                include=set(same)
            ):
                raise StaffError(
                    f"this Idempotency-Key was used for another booking ({before.id}): "
                    "use a new key for a new booking",
                    409,
                )
        if await Ledger(self.s).book(intent) != "booked":
            raise StaffError(
                f"no seat is free in every hour of {labels.hour(start)}-{labels.hour(end)} "
                f"on {day} at {n.name}",
                409,
            )
        if key is None:
            return self._booking_json(intent.model_copy(update={"status": "booked"}))
        return self._booking_json(await self.s.repos.bookings.get(intent.id) or intent)

    async def cancel_booking(self, nursery: str, child: str, date: dt.date | str) -> dict[str, Any]:
        """Cancel a child's booking on a day (`child`: name, or the booking id); the parent
        is told on LINE."""
        n, day = self.nursery(nursery), checks.day(self.s, date, past=True)
        found = [
            b
            for b in await self.s.repos.bookings.on_day(n.id, day)
            if b.id == child or same_name(b.child_name, child)
        ]
        if not found:
            raise StaffError(f"{child} has no booking at {n.name} on {day}", 404)
        if len(found) > 1:
            ids = ", ".join(f"{b.id} ({b.start}:00-{b.end}:00)" for b in found)
            raise StaffError(f"{len(found)} bookings match {child}: give the booking id ({ids})")
        b = found[0]
        if not await Ledger(self.s).cancel(b, "staff"):
            raise StaffError(f"the booking {b.id} has been cancelled already", 409)
        notice = await self._tell_parent(b, n)
        return {**self._booking_json(b.model_copy(update={"status": "cancelled"})), **notice}

    async def _tell_parent(self, b: BookingDoc, n: Nursery) -> dict[str, Any]:
        if b.user is None:
            return {"notified": False, "notice": "a phone booking: tell the parent by phone"}
        text = self.s.msg.cx_staff_push.format(
            nursery=n.name,
            day=labels.day(b.day(), self.s.msg.weekdays),
            start=labels.hour(b.start),
            end=labels.hour(b.end),
            child_name=b.child_name,
        )
        return await notify(self.s, b.user, text, f"staffcancel:{b.id}")

    def _booking_json(self, b: BookingDoc) -> dict[str, Any]:
        return {
            "booking": b.id,
            "status": b.status,
            "source": b.source,
            "nursery": self.s.config.nursery(b.nursery).name,
            "date": b.date,
            "start": labels.hour(b.start),
            "end": labels.hour(b.end),
            "child": b.child_name,
        }

    # -- roster and export -----------------------------------------------------------------------
    async def _rows(self, n: Nursery, first: dt.date, last: dt.date) -> list[BookingRow]:
        await Ledger(self.s).repair()
        bookings = await self.s.repos.bookings.between(n.id, first, last)
        regs = self.s.repos.registrations
        rows = []
        for b in bookings:
            reg = await regs.get(b.registration) if b.registration else None
            rows.append(
                BookingRow(
                    booking=b.id,
                    status=b.status,
                    source=b.source,
                    nursery=n.name,
                    date=b.date,
                    start=labels.hour(b.start),
                    end=labels.hour(b.end),
                    child=b.child_name,
                    kana=reg.child_kana if reg else "",
                    birth_date=reg.birth_date if reg else "",
                    sex=reg.sex if reg else "",
                    parent=reg.parent_name if reg else "",
                    phone=reg.phone if reg else "",
                    answers={q.label: b.answers.get(q.id, "") for q in n.questions},
                    booked_at=b.created_at.astimezone(self.s.config.zone()).isoformat(
                        timespec="minutes"
                    ),
                )
            )
        return rows

    async def roster(self, nursery: str, date: dt.date | str) -> list[dict[str, Any]]:
        """Who comes on a day, by start hour, with the answers to the booking questions."""
        n, day = self.nursery(nursery), checks.day(self.s, date, past=True)
        return [asdict(r) for r in await self._rows(n, day, day)]

    async def bookings_export(
        self, nursery: str, first: dt.date | str, last: dt.date | str
    ) -> BookingExport:
        """The held bookings from `first` to `last` (inclusive), one row each, for a file
        staff open in a spreadsheet (written by the staff side: bot/staff/csv_export.py)."""
        n = self.nursery(nursery)
        start, end = checks.day(self.s, first, past=True), checks.day(self.s, last, past=True)
        if end < start:
            raise StaffError(f"{end} is before {start}")
        if (end - start).days > MAX_EXPORT_DAYS:
            raise StaffError(f"export at most {MAX_EXPORT_DAYS} days at once")
        questions = [q.label for q in n.questions]
        return BookingExport(questions, await self._rows(n, start, end))
