"""Staff change what a parent booked with the nursery: cancel or move an interview, record
that the parent did not come, remove a registration (a duplicate, say).

Each is a move of the registration's life cycle (domain/lifecycle.py), asked of the
machine before anything is written, and each tells the parent by push: what changed,
why (the reason staff typed, or the operation's own words), how to go on (面談予約の再開)
and the nursery's phone number. A push that does not arrive leaves the change standing;
staff are told to phone (`Notice`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import structlog

from domain import checks, labels, lookup
from domain.config import Nursery
from domain.errors import Conflict, NotFound
from domain.interviews import reason_line
from domain.lifecycle import LIFECYCLE, LIVE, Life
from domain.notices import Addressee, Template, notify
from domain.registrations import Registrations
from domain.services import Services
from domain.views import InterviewChange, Notice, RemovalPreview, Removed
from storage.bookings import BookingDoc

log = structlog.get_logger(__name__)


class InterviewChanges:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.registrations = Registrations(services)

    # -- finding the registration --------------------------------------------------------------
    async def one(self, n: Nursery, child: str, trigger: str | None, action: str) -> Life:
        """The one registration at `n` named `child` (or whose id it is) that `trigger` may
        move (None: any live one); refused in staff's words when there is none, or more
        than one."""
        sm = self.services.config.staff.messages
        named = await self.registrations.named(n.id, child)
        if not named:
            raise NotFound(sm.child_unknown.format(child=child, nursery=n.name), worded=True)
        movable = [
            life
            for life in named
            if (LIFECYCLE.allows(life, trigger) if trigger else life.state in LIVE)
        ]
        if not movable:
            state = self.services.config.staff.states[named[0].state]
            raise Conflict(
                sm.state_refused.format(child=child, nursery=n.name, state=state, action=action),
                worded=True,
            )
        if len(movable) > 1:
            which = self.registrations.choices([life.reg for life in movable])
            raise Conflict(
                sm.child_ambiguous.format(
                    child=child, nursery=n.name, count=len(movable), which=which
                ),
                worded=True,
            )
        return movable[0]

    def _when(self, at: dt.datetime) -> str:
        return labels.moment(at.astimezone(self.services.config.zone()), self.services.msg.formats)

    async def tell(
        self,
        life: Life,
        n: Nursery,
        template: Template,
        key: str,
        reason: str | None,
        **fields: Callable[[], str],
    ) -> Notice:
        """Push `template` to the parent, worded in their language (`fields` too): with the
        child, the nursery, its phone and why. The retry key is new for each change (the same
        slot may be cancelled again after the parent rebooks it), and LINE drops a push whose
        key it has taken."""
        reg = life.reg

        def word() -> str:
            return template(self.services.msg).format(
                nursery=self.services.config.nursery(n.id).name,
                child_name=reg.child_name,
                reason=reason_line(self.services, reason),
                phone=n.phone,
                **{name: field() for name, field in fields.items()},
            )

        return await notify(
            self.services,
            Addressee(n.id, reg.child_name, reg.user, reg.id, reg.phone),
            word,
            f"{key}:{life.reg.id}:{self.services.ids.new()}",
        )

    def _view(self, life: Life, n: Nursery, **changes: str | None) -> dict[str, str | None]:
        return {
            "registration": life.reg.id,
            "child": life.reg.child_name,
            "kana": life.reg.child_kana,
            "nursery": n.name,
            **changes,
        }

    # -- the operations ------------------------------------------------------------------------
    async def cancel(self, nursery: str, child: str, reason: str | None = None) -> InterviewChange:
        """Cancel a booked interview: the slot is free for others, the registration waits for
        an interview again and the parent is told how to book another."""
        n = lookup.nursery(self.services, nursery)
        action = self.services.config.staff.actions.cancel_interview
        life = await self.one(n, child, "cancel_interview", action)
        slot = life.slot
        assert slot is not None
        if not await self.services.repos.interviews.release(slot.id, life.reg.id):
            raise Conflict(self._gone(life, n, action), worded=True)
        when = self._when(slot.at)
        told = await self.tell(
            life,
            n,
            lambda m: m.interview_staff_cancel_push,
            f"ivcancel:{slot.id}",
            reason,
            when=lambda: self._when(slot.at),
        )
        log.info("interview_cancelled_by_staff", nursery=n.id, registration=life.reg.id)
        return InterviewChange(**self._view(life, n, interview=when), **told.model_dump())

    async def move(
        self, nursery: str, child: str, to: dt.datetime | str, reason: str | None = None
    ) -> InterviewChange:
        """Move a booked interview to another slot of the nursery that has room."""
        n = lookup.nursery(self.services, nursery)
        action = self.services.config.staff.actions.move_interview
        sm = self.services.config.staff.messages
        when = lookup.moment(self.services, to)
        checks.within(self.services, when.date(), past=True)  # a past slot: slot_past below
        life = await self.one(n, child, "move_interview", action)
        old = life.slot
        assert old is not None
        slots = self.services.repos.interviews
        target = next((s for s in await slots.all(n.id) if s.at == when), None)
        label = self._when(when)
        if target is None:
            raise NotFound(sm.slot_unknown.format(nursery=n.name, when=label), worded=True)
        if target.id == old.id:
            raise Conflict(sm.slot_same.format(child=life.reg.child_name, when=label), worded=True)
        if when <= self.services.now():
            raise Conflict(sm.slot_past.format(when=label), worded=True)
        if not await slots.book(target.id, life.reg.id, self.services.now()):
            raise Conflict(sm.slot_full.format(when=label), worded=True)
        await slots.release(old.id, life.reg.id)
        before = self._when(old.at)
        told = await self.tell(
            life,
            n,
            lambda m: m.interview_moved_push,
            f"ivmove:{target.id}",
            reason,
            before=lambda: self._when(old.at),
            when=lambda: self._when(when),
        )
        log.info("interview_moved_by_staff", nursery=n.id, registration=life.reg.id)
        return InterviewChange(
            **self._view(life, n, interview=before, moved_to=label), **told.model_dump()
        )

    async def missed(self, nursery: str, child: str, reason: str | None = None) -> InterviewChange:
        """The parent did not come to the interview: it is recorded on the registration, the
        slot is given back and the registration waits for another interview (面談日経過)."""
        n = lookup.nursery(self.services, nursery)
        action = self.services.config.staff.actions.missed_interview
        life = await self.one(n, child, "lapse", action)
        slot = life.slot
        assert slot is not None
        if slot.at > self.services.now():
            sm = self.services.config.staff.messages
            raise Conflict(sm.missed_too_early.format(when=self._when(slot.at)), worded=True)
        repos = self.services.repos
        if not await repos.registrations.mark_missed(life.reg.id, slot.at):
            raise Conflict(self._gone(life, n, action), worded=True)
        await repos.interviews.release(slot.id, life.reg.id)
        when = self._when(slot.at)
        told = await self.tell(
            life,
            n,
            lambda m: m.interview_missed_push,
            f"ivmissed:{slot.id}",
            reason,
            when=lambda: self._when(slot.at),
        )
        log.info("interview_missed", nursery=n.id, registration=life.reg.id)
        return InterviewChange(**self._view(life, n, interview=when), **told.model_dump())

    async def remove(self, nursery: str, child: str, reason: str | None = None) -> Removed:
        """Remove a registration: its interview is given back, its bookings are cancelled
        (seats and days returned) and the parent is told what went."""
        n = lookup.nursery(self.services, nursery)
        action = self.services.config.staff.actions.remove_registration
        life = await self.one(n, child, "remove", action)
        removal = await self.registrations.remove(life)

        def gone() -> str:  # in the parent's language
            msg = self.services.msg
            lines = [
                msg.removed_booking_line.format(
                    day=labels.day(b.day(), msg.formats),
                    start=labels.hour(b.start, msg.formats),
                    end=labels.hour(b.end, msg.formats),
                )
                for b in removal.bookings
            ]
            if removal.interview is not None:
                when = self._when(removal.interview)
                lines.insert(0, msg.removed_interview_line.format(when=when))
            return "".join(lines)

        told = await self.tell(
            life, n, lambda m: m.registration_removed_push, "regremove", reason, gone=gone
        )
        interview = self._when(removal.interview) if removal.interview else None
        gone_view = self._removal(life, n, interview, removal.bookings)
        return Removed(**gone_view.model_dump(), **told.model_dump())

    async def preview(self, nursery: str, child: str) -> RemovalPreview:
        """What removing the registration would end (the console's confirmation page)."""
        n = lookup.nursery(self.services, nursery)
        action = self.services.config.staff.actions.remove_registration
        life = await self.one(n, child, "remove", action)
        slot = life.slot
        held = await self.services.repos.bookings.of_registration(
            life.reg.id, self.services.today()
        )
        ahead = slot is not None and slot.at > self.services.now()
        return self._removal(life, n, self._when(slot.at) if slot and ahead else None, held)

    def _removal(
        self, life: Life, n: Nursery, interview: str | None, bookings: list[BookingDoc]
    ) -> RemovalPreview:
        band = self.services.config.staff.messages.booking_band
        return RemovalPreview(
            registration=life.reg.id,
            child=life.reg.child_name,
            kana=life.reg.child_kana,
            nursery=n.name,
            interview=interview,
            bookings=[
                band.format(
                    date=b.date,
                    start=labels.hour(b.start, self.services.msg.formats),
                    end=labels.hour(b.end, self.services.msg.formats),
                )
                for b in bookings
            ],
        )

    def _gone(self, life: Life, n: Nursery, action: str) -> str:
        """Another channel moved the registration meanwhile (the parent cancelled, say)."""
        return self.services.config.staff.messages.state_changed.format(
            child=life.reg.child_name, nursery=n.name, action=action
        )
