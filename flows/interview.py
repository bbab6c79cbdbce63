"""面談予約: child, then one of the nursery's interview slots with room, then はい/いいえ.

Started after a registration and by `面談予約の再開` from anywhere. The choices are
the registrations whose life cycle lets them book an interview (domain/lifecycle.py):
registered, or whose interview day passed without clearance. The one who confirms
a slot too late is told and shown the slots again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from domain import labels
from domain.config import Nursery
from domain.interview_booking import InterviewBooking, OpenSlot
from domain.lifecycle import Life
from domain.replies import Button
from domain.services import Services
from flows.base import END, Flow, Input, Run


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
    # the session timed out here: the registration stands, 面談予約の再開 goes on
    resume_after_timeout = True

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.booking = InterviewBooking(services)

    # -- what can be booked ----------------------------------------------------------------------
    async def _waiting(self, run: Run) -> tuple[list[Life], str | None]:
        return await run.memo("waiting", lambda: self.booking.waiting(run.user_id))

    async def _slots(self, run: Run) -> list[OpenSlot]:
        return await run.memo("slots", lambda: self.booking.open_slots(self._nursery(run)))

    async def has_waiting(self, run: Run) -> bool:
        return bool((await self._waiting(run))[0])

    async def has_slots(self, run: Run) -> bool:
        return bool(await self._slots(run))

    def _nursery(self, run: Run) -> Nursery:
        return self.services.config.nursery(run.data["nursery"])

    def _when(self, slot: OpenSlot) -> str:
        return labels.moment(slot.at, self.services.msg.formats)

    # -- prompts ---------------------------------------------------------------------------------
    async def prompt_nothing(self, run: Run) -> None:
        why = run.extra.get("why") or (await self._waiting(run))[1]
        run.out.say(getattr(self.services.msg, why or "interview_nothing_no_registration"))
        await run.fire("told")

    async def prompt_no_slots(self, run: Run) -> None:
        n = self._nursery(run)
        run.out.say(self.services.msg.interview_no_slots.format(nursery=n.name, phone=n.phone))
        await run.fire("told")

    async def prompt_child(self, run: Run) -> None:
        lives = (await self._waiting(run))[0]
        buttons = [
            Button(f"{life.reg.child_name}/{self.services.config.nursery(life.reg.nursery).name}")
            for life in lives
        ]
        run.offer(buttons, [life.reg.id for life in lives])
        run.out.say(self.services.msg.interview_choose_child, *buttons)

    async def prompt_slot(self, run: Run) -> None:
        n = self._nursery(run)
        slots = await self._slots(run)
        buttons = [Button(self._when(s)) for s in slots]
        run.offer(buttons, [s.id for s in slots])
        run.out.say(self.services.msg.interview_choose_slot.format(nursery=n.name), *buttons)

    async def prompt_confirm(self, run: Run) -> None:
        msg = self.services.msg
        text = msg.interview_confirm.format(
            child_name=run.data["child_name"],
            nursery=self._nursery(run).name,
            when=run.data["when"],
        )
        buttons = [Button(msg.label_yes), Button(msg.label_no)]
        run.offer(buttons, ["yes", "no"])
        run.out.say(text, *buttons)

    # -- answers ---------------------------------------------------------------------------------
    async def on_child(self, run: Run, inp: Input) -> None:
        reg_id = run.chosen(inp)
        life = await self.booking.child(run.user_id, reg_id) if reg_id else None
        if life is None:
            await run.reask(self.services.msg.choose_from_buttons)
            return
        run.data.update(
            registration=life.reg.id, child_name=life.reg.child_name, nursery=life.reg.nursery
        )
        await run.fire("picked_child")

    async def on_slot(self, run: Run, inp: Input) -> None:
        slot_id = run.chosen(inp)
        slot = await self.booking.slot(slot_id) if slot_id else None
        if slot is None:
            await run.reask(self.services.msg.choose_from_buttons)
            return
        run.data.update(slot=slot.id, at=slot.at.isoformat(), when=self._when(slot))
        await run.fire("picked_slot")

    async def on_confirm(self, run: Run, inp: Input) -> None:
        msg = self.services.msg
        answer = await run.choice(inp)
        if answer is None:
            return
        if answer == "no":
            run.out.say(msg.interview_cancelled_choice)
            await run.fire("declined")
            return
        booked = await self.booking.book(run.user_id, run.data["registration"], run.data["slot"])
        if booked == "slot_taken":
            run.out.say(msg.interview_slot_taken)
            await run.fire("slot_taken")
            return
        if booked != "booked":
            run.extra["why"] = booked
            await run.fire("gone")
            return
        n = self._nursery(run)
        deadline = self.booking.deadline(n, dt.datetime.fromisoformat(run.data["at"]))
        run.out.say(
            msg.interview_done.format(
                nursery=n.name,
                when=run.data["when"],
                documents=msg.list_separator.join(self.services.config.interview_documents),
                forms_url=self.services.config.forms_url,
                cancel=labels.how_to_cancel(msg, n, deadline, self.services.now()),
            )
        )
        await run.fire("booked")
