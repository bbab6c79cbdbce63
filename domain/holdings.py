"""What a parent holds (予約を取り消す): booked interviews and childcare days, and cancelling.

Every held interview of the user's registrations and every held childcare booking
of their children, phone bookings included (cancelled by phone only), soonest
first. A holding may be cancelled on LINE until its nursery's deadline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from domain.childcare import Childcare
from domain.config import Nursery
from domain.interview_booking import InterviewBooking
from domain.offers import Offers
from domain.services import Services
from storage.bookings import BookingDoc


@dataclass(frozen=True)
class Holding:
    key: str  # "i|<slot id>|<registration id>" or "b|<booking id>": what a cancel names
    kind: Literal["interview", "childcare"]
    nursery: Nursery
    child_name: str
    at: dt.datetime  # when it starts, in the city's zone
    end: int | None  # childcare: the hour the band ends
    deadline: dt.datetime  # the last moment it can be cancelled on LINE
    by_phone: bool = False  # taken by the nursery on the phone: cancelled by phone only

    def cancellable(self, now: dt.datetime) -> bool:
        return not self.by_phone and now <= self.deadline


class Holdings:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.interviews = InterviewBooking(services)
        self.childcare = Childcare(services)
        self.offers = Offers(services)

    async def of_user(self, user: str) -> list[Holding]:
        """The user's held interviews and childcare days, soonest first."""
        s, now = self.services, self.services.now()
        await self.childcare.ledger.repair_due()  # a crash's half-done booking settled first
        out: list[Holding] = []
        for life in await self.interviews.registrations.of_user(user):
            slot = life.slot
            if life.state != "interview_booked" or slot is None or slot.at <= now:
                continue
            n = s.config.nursery(slot.nursery)
            out.append(
                Holding(
                    key=f"i|{slot.id}|{life.reg.id}",
                    kind="interview",
                    nursery=n,
                    child_name=life.reg.child_name,
                    at=slot.at.astimezone(s.config.zone()),
                    end=None,
                    deadline=self.interviews.deadline(n, slot.at),
                )
            )
        out += [self._childcare(b) for b in await s.repos.bookings.of_user(user, s.today())]
        return sorted(out, key=lambda h: h.at)

    def _childcare(self, b: BookingDoc) -> Holding:
        n = self.services.config.nursery(b.nursery)
        return Holding(
            key=f"b|{b.id}",
            kind="childcare",
            nursery=n,
            child_name=b.child_name,
            at=dt.datetime.combine(b.day(), dt.time(b.start), self.services.config.zone()),
            end=b.end,
            deadline=self.childcare.deadline(n, b.day()),
            by_phone=b.source == "phone",
        )

    @staticmethod
    def is_interview(key: str) -> bool:
        """The key names an interview (not a childcare day)."""
        return key.startswith("i|")

    async def cancel(self, user: str, key: str) -> bool:
        """Cancel what `key` names if it is still this user's, cancellable on LINE, and before
        its deadline; False otherwise. A childcare day's seats go to its waiting list."""
        kind, _, rest = key.partition("|")
        if kind == "i":
            slot_id, _, reg_id = rest.rpartition("|")
            return await self.interviews.cancel(user, slot_id, reg_id)
        # A childcare booking is read by its id alone: the list is not read again.
        booking = await self.services.repos.bookings.get(rest)
        if booking is None or not booking.held_for(user, self.services.today()):
            return False
        if not self._childcare(booking).cancellable(self.services.now()):
            return False
        if not await self.childcare.ledger.cancel(booking, "parent"):
            return False
        await self.offers.seats_freed(booking.nursery, booking.day())
        return True
