"""Staff operations on interview slots, registrations and clearance.

Run through the declared staff operations (bot/staff/operations.py) by every
staff surface. Results are typed views (domain/views.py); what cannot be
done raises a StaffError of a kind (domain/errors.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import structlog

from domain import checks, labels, lookup
from domain.config import Nursery
from domain.errors import Conflict, Invalid, NotFound
from domain.lifecycle import Life
from domain.notices import Addressee, notify
from domain.registrations import Registrations
from domain.services import Services
from domain.views import (
    Clearance,
    DuplicateGroup,
    RegistrationView,
    SlotView,
)
from storage.interviews import SlotDoc
from storage.names import name_key
from storage.registrations import RegistrationDoc

log = structlog.get_logger(__name__)

MAX_INTERVIEW_CAPACITY = 20  # as config.yaml's interview_capacity


def same_name(a: str, b: str) -> bool:
    """Names compared as a person does (spaces, widths, kana: `storage.names.name_key`)."""
    return name_key(a) == name_key(b)


def reason_line(services: Services, reason: str | None) -> str:
    """The line of a staff push that says why, when staff gave a reason."""
    text = " ".join((reason or "").split())
    return services.msg.staff_reason_line.format(reason=text) if text else ""


class InterviewStaff:
    """Interview slots, registrations, the duplicates report and clearance."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.lifecycle = Registrations(services)

    def _when(self, at: dt.datetime) -> str:
        return lookup.minutes(self.services, at)

    def _said(self, at: dt.datetime) -> str:
        """`2024-04-23 10:00`: a slot's time in staff's refusals."""
        return at.astimezone(self.services.config.zone()).strftime("%Y-%m-%d %H:%M")

    # -- interview slots -----------------------------------------------------------------------
    async def add_interview_slot(
        self, nursery: str, at: dt.datetime | str, capacity: int | None = None
    ) -> SlotView:
        """Open an interview slot (capacity from the nursery's config unless given)."""
        n = lookup.nursery(self.services, nursery)
        when = lookup.moment(self.services, at)
        sm = self.services.config.staff.messages
        if when <= self.services.now():
            raise Invalid(sm.slot_not_future.format(when=self._said(when)), worded=True)
        checks.within(self.services, when.date())
        cap = n.interview_capacity
        if capacity is not None:
            cap = checks.whole(self.services, capacity, "capacity", 1, MAX_INTERVIEW_CAPACITY)
        if not n.hours.open <= when.hour < n.hours.close:  # begins while the nursery is open
            text = sm.slot_outside.format(
                when=self._said(when),
                nursery=n.name,
                open=labels.hour(n.hours.open, self.services.msg.formats),
                close=labels.hour(n.hours.close, self.services.msg.formats),
            )
            raise Invalid(text, worded=True)
        slot, created = await self.services.repos.interviews.create(n.id, when, cap)
        if not created:
            text = sm.slot_exists.format(when=self._said(when), capacity=slot.capacity)
            raise Conflict(text, worded=True)
        log.debug("interview_slot_added", nursery=n.id, slot=slot.id, capacity=cap)
        return self._slot_json(slot, {})

    async def remove_interview_slot(self, nursery: str, at: dt.datetime | str) -> SlotView:
        """Delete a slot nobody holds."""
        n = lookup.nursery(self.services, nursery)
        when = lookup.moment(self.services, at)
        checks.within(self.services, when.date(), past=True)
        slots = self.services.repos.interviews
        gone = await slots.remove(n.id, when)
        if gone is not None:
            log.debug("interview_slot_removed", nursery=n.id, slot=gone.id)
            return self._slot_json(gone, {})
        held = [s for s in await slots.all(n.id) if s.at == when]
        sm = self.services.config.staff.messages
        if not held:
            text = sm.slot_missing.format(nursery=n.name, when=self._said(when))
            raise NotFound(text, worded=True)
        text = sm.slot_held.format(when=self._said(when), count=len(held[0].holders))
        raise Conflict(text, worded=True)

    async def interview_slots(self, nursery: str) -> list[SlotView]:
        """The nursery's slots from now on, with who holds them."""
        n = lookup.nursery(self.services, nursery)
        slots = await self.services.repos.interviews.upcoming(n.id, self.services.now())
        ids = [rid for s in slots for rid in s.holders]
        names = {r.id: r.child_name for r in await self._regs(n.id) if r.id in ids}
        return [self._slot_json(s, names) for s in slots]

    def _slot_json(self, slot: SlotDoc, names: dict[str, str]) -> SlotView:
        return SlotView(
            at=self._when(slot.at),
            capacity=slot.capacity,
            booked=len(slot.holders),
            children=[names.get(rid, rid) for rid in slot.holders],
        )

    # -- registrations -------------------------------------------------------------------------
    async def _regs(self, nursery_id: str, **kw: Any) -> list[RegistrationDoc]:
        return await self.services.repos.registrations.at_nursery(nursery_id, **kw)

    async def _reg_json(self, regs: list[RegistrationDoc]) -> list[RegistrationView]:
        states = self.services.config.staff.states
        langs = await lookup.languages(self.services, [r.user for r in regs])
        out = []
        for life in await self.lifecycle.lives(regs):
            r, slot = life.reg, life.slot
            out.append(
                RegistrationView(
                    registration=r.id,
                    user=r.user,
                    child=r.child_name,
                    kana=r.child_kana,
                    birth_date=r.birth_date,
                    sex=r.sex,
                    parent=r.parent_name,
                    phone=r.phone,
                    postal_code=r.postal_code,
                    address=r.address,
                    registered_at=self._when(r.created_at),
                    state=life.state,
                    state_label=states[life.state],
                    interview_at=self._when(slot.at) if slot else None,
                    missed_interview=self._when(r.missed_interview)
                    if r.missed_interview and life.state == "interview_lapsed"
                    else None,
                    expiry=r.expiry,
                    language=langs.get(r.user),
                )
            )
        return out

    async def registrations(self, nursery: str) -> list[RegistrationView]:
        """Every live registration at the nursery, oldest first."""
        n = lookup.nursery(self.services, nursery)
        return await self._reg_json(await self._regs(n.id))

    async def find_children(self, nursery: str, query: str) -> list[RegistrationView]:
        """Registered children at the nursery whose name or furigana holds `query`, read as a
        person reads it (kanji, hiragana, katakana, half-width kana, with or without spaces);
        the ones that may book first."""
        n = lookup.nursery(self.services, nursery)
        wanted = name_key(query)
        if not wanted:
            return []
        regs = [
            r
            for r in await self._regs(n.id)
            if wanted in name_key(r.child_name) or wanted in name_key(r.child_kana)
        ]
        rows = await self._reg_json(regs)
        return sorted(rows, key=lambda r: (r.state != "cleared", r.kana, r.child))

    async def waiting_interviews(self, nursery: str) -> list[RegistrationView]:
        """Registrations not yet cleared: booked interviews first (soonest first), then those
        whose interview day passed (面談日経過), then those yet to book one."""
        n = lookup.nursery(self.services, nursery)
        rows = await self._reg_json(await self._regs(n.id, cleared=False))
        order = {"interview_booked": 0, "interview_lapsed": 1, "registered": 2}
        return sorted(rows, key=lambda r: (order.get(r.state, 3), r.interview_at or ""))

    async def duplicates(self, nursery: str) -> list[DuplicateGroup]:
        """Children (same name, as a person reads it, and birth date) registered here more
        than once, by several LINE users."""
        n = lookup.nursery(self.services, nursery)
        groups: dict[tuple[str, str], list[RegistrationDoc]] = defaultdict(list)
        for r in await self._regs(n.id):
            groups[(name_key(r.child_name), r.birth_date)].append(r)
        out = []
        for regs in groups.values():
            if len(regs) > 1:
                out.append(
                    DuplicateGroup(
                        child=regs[0].child_name,
                        birth_date=regs[0].birth_date,
                        registrations=await self._reg_json(regs),
                    )
                )
        return out

    # -- clearance -----------------------------------------------------------------------------
    async def complete_interview(
        self, nursery: str, child: str, birth_date: str | None = None, parent: str | None = None
    ) -> Clearance:
        """The interview took place: clear the registration and tell the parent.

        The expiry is 31 March of the fiscal year of the interview (the booked slot's, the
        missed one's, or today without one); once that year has ended it is refused
        (domain/registrations.py). The clearance is written first and `notified_at` last,
        so asking again after a crash half-way finishes the job (same retry key: LINE
        drops a push it already took).
        """
        n = lookup.nursery(self.services, nursery)
        life = await self._one_child(n, child, birth_date, parent)
        if life.state == "cleared" and life.reg.notified_at is None:
            reg = life.reg  # an earlier run stopped before the parent was told: finish it
            await self.lifecycle.give_back_interview(life)
        else:  # refused, saying why, from any other state (an expired one never told 利用可能)
            reg = await self.lifecycle.clear(life)
        expiry = dt.date.fromisoformat(str(reg.expiry))
        child = reg.child_name

        def word() -> str:  # in the parent's language
            msg = self.services.msg
            return msg.cleared_push.format(
                child_name=child,
                nursery=self.services.config.nursery(n.id).name,
                expiry=labels.ymd(expiry, msg.formats),
            )

        to = Addressee(n.id, reg.child_name, reg.user, reg.id, reg.phone)
        told = await notify(self.services, to, word, f"cleared:{reg.user}:{reg.id}")
        if told.delivery != "failed":
            await self.services.repos.registrations.mark_notified(reg.id, self.services.now())
        log.info("interview_completed", nursery=n.id, registration=reg.id, notified=told.notified)
        return Clearance(
            registration=reg.id,
            child=reg.child_name,
            kana=reg.child_kana,
            nursery=n.name,
            interview_date=str(reg.interview_date),
            expiry=expiry.isoformat(),
            **told.model_dump(),
        )

    async def _one_child(
        self, n: Nursery, child: str, birth_date: str | None, parent: str | None = None
    ) -> Life:
        """The one registration at `n` not yet cleared for this child name (and birth date, and
        parent's name: one child registered by both parents).

        `child` may also be a registration id, for two same-named children born the same day.
        """
        regs = [
            r for r in await self._regs(n.id) if r.id == child or same_name(r.child_name, child)
        ]
        if birth_date:
            regs = [r for r in regs if r.birth_date == birth_date.strip()]
        if parent:
            regs = [r for r in regs if same_name(r.parent_name, parent)]
        sm = self.services.config.staff.messages
        if not regs:
            raise NotFound(sm.child_unknown.format(child=child, nursery=n.name), worded=True)
        waiting = [r for r in regs if not r.cleared() or r.notified_at is None]
        if not waiting:
            text = sm.already_cleared.format(child=child, nursery=n.name, expiry=regs[0].expiry)
            raise Conflict(text, worded=True)
        if len(waiting) > 1:
            which = self.lifecycle.choices(waiting)
            raise Conflict(
                sm.child_ambiguous.format(
                    child=child, nursery=n.name, count=len(waiting), which=which
                ),
                worded=True,
            )
        return (await self.lifecycle.lives(waiting[:1]))[0]
