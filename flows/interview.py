"""面談予約: child, then one of the nursery's interview slots with room, then はい/いいえ.

Started after a registration and by `面談予約の再開` from anywhere. The choices
are this user's live registrations that are neither cleared nor holding a
slot. Booking is one conditional update on the slot (`InterviewSlots.book`),
so a slot's capacity holds even when parents confirm at the same moment; the
one who comes too late is told and shown the slots again.
"""

from __future__ import annotations

from typing import Any, ClassVar

from domain import labels
from domain.config import Nursery
from domain.replies import Button
from flows.base import END, Flow, Input, Run
from storage.interviews import SlotDoc
from storage.registrations import RegistrationDoc


class InterviewFlow(Flow):
    name = "interview"
    states: ClassVar[list[str]] = ["child", "slot", "confirm", "nothing", "no_slots", "to_menu"]
    passing: ClassVar[frozenset[str]] = frozenset({"nothing", "no_slots"})
    transitions: ClassVar[list[dict[str, Any]]] = [
        {"trigger": "begin", "source": "start", "dest": "child", "conditions": "has_waiting"},
        {"trigger": "begin", "source": "start", "dest": "nothing"},
        {"trigger": "picked_child", "source": "child", "dest": "slot", "conditions": "has_slots"},
        {"trigger": "picked_child", "source": "child", "dest": "no_slots"},
        {"trigger": "picked_slot", "source": "slot", "dest": "confirm"},
        {"trigger": "slot_taken", "source": "confirm", "dest": "slot", "conditions": "has_slots"},
        {"trigger": "slot_taken", "source": "confirm", "dest": "no_slots"},
        {"trigger": "booked", "source": "confirm", "dest": END},
        {"trigger": "declined", "source": "confirm", "dest": END},
        {"trigger": "gone", "source": "confirm", "dest": "nothing"},
        {"trigger": "told", "source": "nothing", "dest": "to_menu"},
        {"trigger": "told", "source": "no_slots", "dest": END},
    ]

    # -- what can be booked ------------------------------------------------------------------
    async def waiting(self, user: str) -> tuple[list[RegistrationDoc], str]:
        """Registrations that may book an interview; with none, the message saying why."""
        m, today = self.s.msg, self.s.today()
        regs = [r for r in await self.s.repos.registrations.for_user(user) if not r.expired(today)]
        if not regs:
            return [], m.iv_nothing_no_registration
        pending = [r for r in regs if not r.cleared()]
        held = await self.s.repos.interviews.held_by([r.id for r in pending])
        free = [r for r in pending if r.id not in held]
        if free:
            return free, ""
        return [], m.iv_nothing_booked if held else m.iv_nothing_cleared

    async def open_slots(self, nursery: Nursery) -> list[SlotDoc]:
        slots = await self.s.repos.interviews.upcoming(nursery.id, self.s.now())
        return [s for s in slots if s.has_room()]

    async def _waiting(self, run: Run) -> tuple[list[RegistrationDoc], str]:
        return await run.memo("waiting", lambda: self.waiting(run.user_id))

    async def _slots(self, run: Run) -> list[SlotDoc]:
        return await run.memo("slots", lambda: self.open_slots(self._nursery(run)))

    async def has_waiting(self, run: Run) -> bool:
        return bool((await self._waiting(run))[0])

    async def has_slots(self, run: Run) -> bool:
        return bool(await self._slots(run))

    def _nursery(self, run: Run) -> Nursery:
        return self.s.config.nursery(run.data["nursery"])

    def _when(self, slot: SlotDoc) -> str:
        return labels.moment(slot.at.astimezone(self.s.config.zone()), self.s.msg.weekdays)

    # -- prompts -------------------------------------------------------------------------------
    async def prompt_nothing(self, run: Run) -> None:
        run.out.say(run.extra.get("why") or (await self._waiting(run))[1])
        await run.fire("told")

    async def prompt_no_slots(self, run: Run) -> None:
        n = self._nursery(run)
        run.out.say(self.s.msg.iv_no_slots.format(nursery=n.name, phone=n.phone))
        await run.fire("told")

    async def prompt_child(self, run: Run) -> None:
        regs = (await self._waiting(run))[0]
        names = {n.id: n.name for n in self.s.config.nurseries}
        buttons = [Button(f"{r.child_name}/{names.get(r.nursery, r.nursery)}") for r in regs]
        run.offer(buttons, [r.id for r in regs])
        run.out.say(self.s.msg.iv_choose_child, *buttons)

    async def prompt_slot(self, run: Run) -> None:
        n = self._nursery(run)
        slots = await self._slots(run)
        buttons = [Button(self._when(s)) for s in slots]
        run.offer(buttons, [s.id for s in slots])
        run.out.say(self.s.msg.iv_choose_slot.format(nursery=n.name), *buttons)

    async def prompt_confirm(self, run: Run) -> None:
        m = self.s.msg
        text = m.iv_confirm.format(
            child_name=run.data["child_name"],
            nursery=self._nursery(run).name,
            when=run.data["when"],
        )
        buttons = [Button(m.label_yes), Button(m.label_no)]
        run.offer(buttons, ["yes", "no"])
        run.out.say(text, *buttons)

    async def _still_open(self, run: Run) -> bool:
        """The chosen registration may still book: not cleared, holding no other slot.

        Holding the chosen slot already counts as open, so a confirmation handled twice
        (a session conflict re-runs the message) still ends in the booked reply.
        """
        rid = run.data["registration"]
        reg = await self.s.repos.registrations.get(rid)
        held = (await self.s.repos.interviews.held_by([rid])).get(rid)
        m = self.s.msg
        if reg is None or reg.cleared():
            run.extra["why"] = m.iv_nothing_cleared if reg else m.iv_nothing_no_registration
            return False
        if held is not None and held.id != run.data["slot"]:
            run.extra["why"] = m.iv_nothing_booked
            return False
        return True

    # -- answers -------------------------------------------------------------------------------
    async def on_child(self, run: Run, inp: Input) -> None:
        reg_id = run.chosen(inp)
        reg = await self.s.repos.registrations.get(reg_id) if reg_id else None
        if reg is None:
            await run.reask(self.s.msg.choose_from_buttons)
            return
        run.data.update(registration=reg.id, child_name=reg.child_name, nursery=reg.nursery)
        await run.fire("picked_child")

    async def on_slot(self, run: Run, inp: Input) -> None:
        slot_id = run.chosen(inp)
        slot = await self.s.repos.interviews.get(slot_id) if slot_id else None
        if slot is None:
            await run.reask(self.s.msg.choose_from_buttons)
            return
        run.data.update(slot=slot.id, when=self._when(slot))
        await run.fire("picked_slot")

    async def on_confirm(self, run: Run, inp: Input) -> None:
        m = self.s.msg
        answer = await run.choice(inp)
        if answer is None:
            return
        if answer == "no":
            run.out.say(m.iv_cancelled_choice)
            await run.fire("declined")
            return
        if not await self._still_open(run):
            await run.fire("gone")
            return
        slot = await self.s.repos.interviews.get(run.data["slot"])
        if (
            slot is None
            or slot.at <= self.s.now()
            or not await self.s.repos.interviews.book(slot.id, run.data["registration"])
        ):
            run.out.say(m.iv_slot_taken)
            await run.fire("slot_taken")
            return
        n = self._nursery(run)
        zone = self.s.config.zone()
        deadline = n.cancel_deadline.interview.moment(slot.at.astimezone(zone).date(), zone)
        cancel = labels.how_to_cancel(m, n, deadline, self.s.now())
        run.out.say(
            m.iv_done.format(
                nursery=n.name,
                when=self._when(slot),
                documents=self.s.msg.list_separator.join(self.s.config.interview_documents),
                cancel=cancel,
            )
        )
        await run.fire("booked")
