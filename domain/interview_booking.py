"""面談予約 as a parent makes it: which children may book, the open slots, booking, cancelling.

Booking is one conditional update on the slot (`InterviewSlots.book`), so a slot's
capacity holds even when parents confirm at the same moment; the registration's
life cycle decides who may book (registered, or whose interview day passed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import structlog

from domain.config import Nursery
from domain.lifecycle import LIFECYCLE, Life
from domain.registrations import Registrations
from domain.services import Services

log = structlog.get_logger(__name__)

# Why nothing can be booked: the Messages field saying so.
Nothing = Literal[
    "interview_nothing_no_registration",
    "interview_nothing_booked",
    "interview_nothing_past",
    "interview_nothing_cleared",
]
Booked = Literal["booked", "slot_taken"] | Nothing


@dataclass(frozen=True)
class OpenSlot:
    id: str
    at: dt.datetime  # in the city's zone


class InterviewBooking:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.registrations = Registrations(services)

    async def waiting(self, user: str) -> tuple[list[Life], Nothing | None]:
        """This user's registrations that may book an interview; with none, why not."""
        lives = await self.registrations.of_user(user)
        free = [life for life in lives if LIFECYCLE.allows(life, "book_interview")]
        if free:
            return free, None
        booked = [life for life in lives if life.state == "interview_booked"]
        now = self.services.now()
        if any(life.slot is not None and life.slot.at > now for life in booked):
            return [], "interview_nothing_booked"
        if booked:  # its time has passed today: the nursery has yet to record how it went
            return [], "interview_nothing_past"
        if any(life.state == "cleared" for life in lives):
            return [], "interview_nothing_cleared"
        return [], "interview_nothing_no_registration"

    async def open_slots(self, nursery: Nursery) -> list[OpenSlot]:
        """The nursery's slots from now on that have room, soonest first."""
        zone = self.services.config.zone()
        slots = await self.services.repos.interviews.upcoming(nursery.id, self.services.now())
        return [OpenSlot(s.id, s.at.astimezone(zone)) for s in slots if s.has_room()]

    async def child(self, user: str, reg_id: str) -> Life | None:
        """The user's registration `reg_id` if it may book an interview."""
        life = await self.registrations.life(reg_id)
        if life is None or life.reg.user != user or not LIFECYCLE.allows(life, "book_interview"):
            return None
        return life

    async def slot(self, slot_id: str) -> OpenSlot | None:
        slot = await self.services.repos.interviews.get(slot_id)
        return OpenSlot(slot.id, slot.at.astimezone(self.services.config.zone())) if slot else None

    async def book(self, user: str, reg_id: str, slot_id: str) -> Booked:
        """Book the slot for the registration: `booked`, `slot_taken` (full, gone or begun),
        or why the registration may no longer book one.

        Holding this very slot already counts as booked, so a confirmation handled twice
        (a re-run of the same message) ends in the same answer.
        """
        life = await self.registrations.life(reg_id)
        if life is None or life.reg.user != user or life.state in ("removed", "expired"):
            return "interview_nothing_no_registration"
        if life.slot is not None and life.slot.id == slot_id and life.state == "interview_booked":
            return "booked"
        if not LIFECYCLE.allows(life, "book_interview"):
            return (
                "interview_nothing_cleared"
                if life.state == "cleared"
                else "interview_nothing_booked"
            )
        slots = self.services.repos.interviews
        slot = await slots.get(slot_id)
        if slot is None or slot.at <= self.services.now() or slot.nursery != life.reg.nursery:
            return "slot_taken"
        if life.slot is not None:  # a lapsed interview not yet given back: give it back first
            await slots.release(life.slot.id, reg_id)
        if not await slots.book(slot.id, reg_id, self.services.now()):
            return "slot_taken"
        log.info("interview_booked", nursery=slot.nursery, slot=slot.id)
        return "booked"

    def deadline(self, nursery: Nursery, at: dt.datetime) -> dt.datetime:
        """The last moment the parent may cancel this interview on LINE."""
        zone = self.services.config.zone()
        return nursery.cancel_deadline.interview.moment(at.astimezone(zone).date(), zone)

    async def cancel(self, user: str, slot_id: str, reg_id: str) -> bool:
        """The parent cancels their interview, before the nursery's deadline; the registration
        goes back to waiting for one. False if it is not theirs, gone, or too late."""
        life = await self.registrations.life(reg_id)
        if life is None or life.reg.user != user or life.slot is None:
            return False
        if life.slot.id != slot_id or not LIFECYCLE.allows(life, "cancel_interview"):
            return False
        nursery = self.services.config.nursery(life.reg.nursery)
        if self.services.now() > self.deadline(nursery, life.slot.at):
            return False
        return await self.services.repos.interviews.release(slot_id, reg_id)
