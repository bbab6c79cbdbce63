"""一時保育利用予約: which children may book, which days they are offered, and taking one.

The rules of a childcare booking live here once, for the LINE dialog and for the
staff's phone bookings alike: the child's registration is cleared (利用可能) and
the day is not past its expiry; the child is of an age the nursery takes on that
day; it holds at most `booking.max_days_per_child` days from today, whichever LINE
account or phone call booked them, and one booking a day; the band lies within
the nursery's hours and has not begun. The ledger (domain/ledger.py) then takes
the seats and the child's day, all or nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import structlog

from domain import ages
from domain.calendar import Calendar, Free
from domain.config import Nursery
from domain.ledger import Ledger
from domain.lifecycle import Life
from domain.offers import Offers
from domain.registrations import Registrations
from domain.services import Services
from storage.allowances import child_key
from storage.bookings import BookingDoc

log = structlog.get_logger(__name__)

Outcome = Literal[
    "booked", "filled", "limit", "same_day", "expired", "not_cleared", "age", "started"
]


@dataclass(frozen=True)
class DayList:
    """The days a child is offered, and what cut the list short (for the parent's note)."""

    days: list[tuple[dt.date, int]]  # day, seats shown
    expiry: dt.date | None = None  # the registration expires before the horizon
    age_from: dt.date | None = None  # too young before this day
    age_until: dt.date | None = None  # past the nursery's classes after this day


@dataclass(frozen=True)
class Request:
    """One booking to take: for a registration, or (by phone) a child not registered on LINE."""

    booking_id: str
    nursery: Nursery
    date: dt.date
    start: int
    end: int
    life: Life | None = None
    source: Literal["line", "phone"] = "line"
    child_name: str = ""  # a child not registered on LINE
    contact_phone: str | None = None
    answers: dict[str, str] = field(default_factory=dict)


class Childcare:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.calendar = Calendar(services)
        self.ledger = Ledger(services)
        self.registrations = Registrations(services)

    # -- who may book --------------------------------------------------------------------------
    async def children(self, user: str) -> tuple[list[Life], list[Life]]:
        """This user's cleared registrations that may book, and those whose expiry passed
        (bookings a crash left half-way are settled first, so the seats shown are true)."""
        await self.ledger.repair_due()
        lives = await self.registrations.of_user(user, slots=False)
        return (
            [life for life in lives if life.state == "cleared"],
            [life for life in lives if life.state == "expired"],
        )

    async def registration(self, user: str, reg_id: str) -> Life | None:
        """The user's registration `reg_id`, in whatever state (cleared or not)."""
        life = await self.registrations.life(reg_id, slots=False)
        return life if life is not None and life.reg.user == user else None

    async def child(self, user: str, reg_id: str) -> Life | None:
        """The user's registration `reg_id` if it may book now."""
        life = await self.registration(user, reg_id)
        return life if life is not None and life.state == "cleared" else None

    @staticmethod
    def key(life: Life) -> str:
        """The child's key for its held days: the same child under any LINE account."""
        return child_key(life.reg.child_name, life.reg.birth_date)

    async def held_dates(self, life: Life) -> set[str]:
        """The days (YYYY-MM-DD) the child holds from today on, at every nursery."""
        allowance = await self.services.repos.allowances.get(self.key(life))
        return {h.date for h in allowance.future(self.services.today())}

    # -- which days ----------------------------------------------------------------------------
    async def days(self, life: Life, held: set[str]) -> DayList:
        """The days from today to the horizon the child may book, with their seats: never a
        day it holds, past its registration's expiry, or outside the nursery's ages."""
        n = self.services.config.nursery(life.reg.nursery)
        birth = dt.date.fromisoformat(life.reg.birth_date)
        today, horizon = self.services.today(), self.calendar.last_day()
        expiry = life.expiry() or horizon
        first_age, last_age = ages.first_day(n.ages, birth), ages.last_day(n.ages, birth)
        days = await self.calendar.days(
            n, held, max(today, first_age), min(horizon, expiry, last_age)
        )
        return DayList(
            days,
            expiry=expiry if expiry < horizon else None,
            age_from=first_age if first_age > today else None,
            age_until=last_age if last_age < min(horizon, expiry) else None,
        )

    async def free(self, nursery: Nursery, day: dt.date) -> Free:
        """The day's free seats per hour (hours begun count as none)."""
        return await self.calendar.day_free(nursery, day)

    def refusal(self, life: Life, day: dt.date) -> Outcome | None:
        """Why this registration may not book `day`, or None."""
        expiry = life.expiry()
        if life.state == "expired" or (expiry is not None and day > expiry):
            return "expired"
        if life.state != "cleared":
            return "not_cleared"
        n = self.services.config.nursery(life.reg.nursery)
        if not ages.takes(n.ages, dt.date.fromisoformat(life.reg.birth_date), day):
            return "age"
        return None

    # -- taking one ----------------------------------------------------------------------------
    async def book(self, r: Request) -> Outcome:
        """Take the booking, or say why not. The same `booking_id` again (a double tap, a
        retried event) answers `booked` once it holds."""
        if r.life is not None and (why := self.refusal(r.life, r.date)) is not None:
            return why
        zone = self.services.config.zone()
        if dt.datetime.combine(r.date, dt.time(r.start), zone) <= self.services.now():
            return "started"
        reg = r.life.reg if r.life is not None else None
        intent = BookingDoc(
            id=r.booking_id,
            source=r.source,
            nursery=r.nursery.id,
            date=r.date.isoformat(),
            start=r.start,
            end=r.end,
            user=reg.user if reg else None,
            registration=reg.id if reg else None,
            child_name=reg.child_name if reg else r.child_name,
            child=self.key(r.life) if r.life is not None else None,
            contact_phone=r.contact_phone,
            answers=r.answers,
            created_at=self.services.now(),
        )
        outcome = await self.ledger.book(intent)
        if outcome == "booked" and reg is not None and not await self._still_live(reg.id, intent):
            return "not_cleared"
        if outcome == "limit" and r.life is not None:
            allowance = await self.services.repos.allowances.get(self.key(r.life))
            if any(h.date == intent.date and h.id != intent.id for h in allowance.held):
                return "same_day"
        return outcome

    async def _still_live(self, reg_id: str, intent: BookingDoc) -> bool:
        """The registration was not removed while the booking was taken; if it was, the
        booking is cancelled here. Staff's removal marks the registration, then cancels its
        held bookings; this marks the booking held, then reads the registration: whichever
        comes second sees the other's write, so no booking outlives its registration."""
        fresh = await self.services.repos.registrations.get(reg_id)
        if fresh is not None and fresh.removed_at is None:
            return True
        held = await self.services.repos.bookings.get(intent.id)
        if held is not None and await self.ledger.cancel(held, "registration_removed"):
            await Offers(self.services).seats_freed(held.nursery, held.day())
        log.info("booking_undone_registration_removed", booking=intent.id)
        return False

    def deadline(self, nursery: Nursery, day: dt.date) -> dt.datetime:
        """The last moment a childcare booking can be cancelled over LINE."""
        zone = self.services.config.zone()
        return nursery.cancel_deadline.childcare.moment(day, zone)
