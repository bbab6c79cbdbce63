"""A registration's use cases: register, read its state, clear, lapse, remove.

Each is a move of the registration's life cycle (domain/lifecycle.py): the machine
says whether the move is allowed from the registration's state, then the use case
writes it with a conditional update, so two channels acting at once cannot both
win. The LINE dialogs, the staff operations and the maintenance pass all call
these; none decides a registration's state itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog

from domain.config import Nursery
from domain.errors import Conflict
from domain.labels import ymd
from domain.ledger import Ledger
from domain.lifecycle import LIFECYCLE, LIVE, Life, fiscal_year_end
from domain.offers import Offers
from domain.services import Services
from storage.bookings import BookingDoc
from storage.names import name_key
from storage.registrations import RegistrationDoc

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Answers:
    """What a parent answered in 児童の登録 (already checked by the dialog)."""

    nursery: str
    parent_name: str
    postal_code: str
    address: str
    phone: str
    child_name: str
    child_kana: str
    birth_date: str
    sex: str


@dataclass(frozen=True)
class Removal:
    """What removing a registration ended: its interview and its bookings."""

    life: Life
    interview: dt.datetime | None
    bookings: list[BookingDoc]


class Registrations:
    def __init__(self, services: Services) -> None:
        self.services = services

    # -- reading a registration's state --------------------------------------------------------
    async def lives(self, regs: list[RegistrationDoc], slots: bool = True) -> list[Life]:
        """Each registration with its state (one read for the slots they hold).

        `slots=False` reads no slot, for callers that only tell cleared registrations from
        the rest: a cleared, expired or removed registration is that whatever its slot.
        """
        held = await self.services.repos.interviews.held_by([r.id for r in regs]) if slots else {}
        today, zone = self.services.today(), self.services.config.zone()
        return [Life(r, held.get(r.id), today, zone) for r in regs]

    async def life(self, reg_id: str, slots: bool = True) -> Life | None:
        reg = await self.services.repos.registrations.get(reg_id)
        return (await self.lives([reg], slots))[0] if reg is not None else None

    async def of_user(self, user: str, slots: bool = True) -> list[Life]:
        """This LINE user's registrations that still count (expired ones too), oldest first."""
        return await self.lives(await self.services.repos.registrations.for_user(user), slots)

    async def at_nursery(self, nursery: str, child_name: str | None = None) -> list[Life]:
        """A nursery's registrations that still count, oldest first (of one child name)."""
        return await self.lives(
            await self.services.repos.registrations.at_nursery(nursery, child_name)
        )

    async def named(self, nursery: str, child: str) -> list[Life]:
        """The nursery's registrations that staff's `child` names: a registration's id, or
        its child's name as a person reads it (storage.names.name_key)."""
        wanted = name_key(child)
        return [
            life
            for life in await self.at_nursery(nursery)
            if life.reg.id == child or name_key(life.reg.child_name) == wanted
        ]

    def choices(self, regs: list[RegistrationDoc]) -> str:
        """Several registrations one name matches, as staff pick one: id, birth, parent."""
        sm = self.services.config.staff.messages
        return sm.list_separator.join(
            sm.child_choice.format(registration=r.id, birth_date=r.birth_date, parent=r.parent_name)
            for r in regs
        )

    async def known(self, user: str, nursery: str, child_name: str) -> Life | None:
        """This user's live registration of the same child at the nursery, if any: a second
        one would be a duplicate (an expired registration gives way to a new one)."""
        reg = await self.services.repos.registrations.live(user, nursery, child_name)
        if reg is None:
            return None
        life = (await self.lives([reg]))[0]
        return life if life.state in LIVE else None

    async def nurseries_of(self, user: str) -> list[Nursery]:
        """The nurseries this user has registered children at (live ones), in config order."""
        lives = await self.of_user(user, slots=False)  # live or not does not need the slot
        ids = {life.reg.nursery for life in lives if life.state in LIVE}
        return [n for n in self.services.config.nurseries if n.id in ids]

    # -- registering ---------------------------------------------------------------------------
    async def register(
        self, user: str, a: Answers, reg_id: str | None = None
    ) -> tuple[bool, Life | None]:
        """Store a new registration: (True, it), or (False, the live one of the same child).
        Under a `reg_id` the dialog chose beforehand, storing it again (the same message
        handled twice) answers as the first time did."""
        nursery = self.services.config.nursery(a.nursery)
        doc = RegistrationDoc(
            id=reg_id or self.services.ids.new(),
            user=user,
            nursery=nursery.id,
            parent_name=a.parent_name,
            postal_code=a.postal_code,
            address=a.address,
            phone=a.phone,
            child_name=a.child_name,
            child_kana=a.child_kana,
            birth_date=a.birth_date,
            sex=a.sex,
            created_at=self.services.now(),
        )
        if not await self.services.repos.registrations.add(doc, self.services.today()):
            same = await self.services.repos.registrations.get(doc.id) if reg_id else None
            if same is not None and same.user == user:
                return True, (await self.lives([same]))[0]
            return False, await self.known(user, nursery.id, a.child_name)
        log.info("registered", nursery=nursery.id, registration=doc.id)
        return True, (await self.lives([doc]))[0]

    # -- clearing ------------------------------------------------------------------------------
    async def clear(self, life: Life) -> RegistrationDoc:
        """The interview was held: the registration may book until the end of the interview's
        fiscal year. Refused (Conflict) when its state does not allow it or that year has
        already ended (a new registration and interview are needed)."""
        sm = self.services.config.staff.messages
        n, child = self.services.config.nursery(life.reg.nursery), life.reg.child_name
        if not LIFECYCLE.allows(life, "clear"):
            why = sm.clear_refused.format(
                child=child, nursery=n.name, state=self.services.config.staff.states[life.state]
            )
            raise Conflict(why, worded=True)
        day = life.clearance_day()
        year_end = fiscal_year_end(day)
        fm = self.services.msg.formats
        LIFECYCLE.move(
            life,
            "clear",
            sm.clear_year_ended.format(
                child=child, interview=ymd(day, fm), year_end=ymd(year_end, fm), nursery=n.name
            ),
        )
        cleared = await self.services.repos.registrations.clear(
            life.reg.id, self.services.now(), day, year_end
        )
        if cleared is None:
            raise Conflict(
                sm.clear_refused.format(child=child, nursery=n.name, state="—"), worded=True
            )
        await self.give_back_interview(life)  # cleared before the booked interview
        log.info("registration_cleared", nursery=n.id, registration=life.reg.id)
        return cleared

    async def give_back_interview(self, life: Life) -> bool:
        """Give back a slot still ahead that the registration holds (its interview was done
        early, or will not take place); True if one was given back."""
        slot = life.slot
        if slot is None or slot.at <= self.services.now():
            return False
        return await self.services.repos.interviews.release(slot.id, life.reg.id)

    # -- time passing: interviews whose day ended ----------------------------------------------
    async def settle_lapsed(self) -> int:
        """Give back the slots of interviews whose day has ended.

        A registration holding one is `interview_lapsed` (面談日経過) from midnight on, read so
        from the slot's day; this records the missed interview on the registration before
        the slot lets it go, so the state stays and the slot is free for others. The parent
        can then book another interview with 面談予約の再開. Idempotent; returns the
        registrations recorded as lapsed.
        """
        repos, zone = self.services.repos, self.services.config.zone()
        midnight = dt.datetime.combine(self.services.today(), dt.time(0), zone)
        lapsed = 0
        for slot in await repos.interviews.held_before(midnight):
            for rid in slot.holders:
                if await repos.registrations.mark_missed(rid, slot.at):
                    lapsed += 1
                    log.info("interview_lapsed", nursery=slot.nursery, registration=rid)
                    self.services.tally("interview_lapsed", nursery=slot.nursery)
                await repos.interviews.release(slot.id, rid)
        return lapsed

    # -- removing ------------------------------------------------------------------------------
    async def remove(self, life: Life) -> Removal:
        """Staff remove a registration (a duplicate, say): its interview is given back, its
        waiting-list entries end and its held bookings are cancelled (seats and days
        returned, and offered to the days' lines). The parent is told by the caller."""
        sm = self.services.config.staff.messages
        n = self.services.config.nursery(life.reg.nursery)
        LIFECYCLE.move(
            life, "remove", sm.remove_refused.format(child=life.reg.child_name, nursery=n.name)
        )
        if await self.services.repos.registrations.remove(life.reg.id, self.services.now()) is None:
            raise Conflict(
                sm.remove_refused.format(child=life.reg.child_name, nursery=n.name), worded=True
            )
        interview = life.slot.at if await self.give_back_interview(life) and life.slot else None
        offers = Offers(self.services)
        await offers.end_registration(life.reg.id)
        cancelled = []
        ledger = Ledger(self.services)
        for b in await self.services.repos.bookings.of_registration(
            life.reg.id, self.services.today()
        ):
            if await ledger.cancel(b, "staff"):
                cancelled.append(b)
        for nursery, day in sorted({(b.nursery, b.day()) for b in cancelled}):
            await offers.seats_freed(nursery, day)
        log.info("registration_removed", nursery=n.id, registration=life.reg.id)
        return Removal(life, interview, cancelled)
