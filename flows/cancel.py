"""Viewing and cancelling (予約を取り消す): every held booking of this LINE user, soonest first.

Each booking is a bubble; before its deadline it carries a `キャンセル`
postback naming it. Only postbacks shown to this user are accepted (a forged
one is refused), and the booking is checked again against the user and the
deadline when `はい` is tapped. Also `ChangeFlow`: a request to change a
booking gets the manual's answer, then the same list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar

from domain import labels
from domain.ledger import Ledger
from domain.replies import Button, Carousel, Column, choices
from domain.services import Services
from flows.base import END, START, Flow, Input, Run
from storage.bookings import BookingDoc


@dataclass
class Item:
    """One held booking as the list shows it."""

    at: dt.datetime  # when it starts, for the order
    title: str
    text: str
    key: str  # postback data: "i|<slot id>|<registration id>" or "b|<booking id>"
    deadline: dt.datetime
    phone: str


class CancelFlow(Flow):
    name = "cancel"
    states: ClassVar[list[str]] = ["list", "confirm", "to_menu"]
    transitions: ClassVar[list[dict[str, Any]]] = [
        {"trigger": "begin", "source": START, "dest": "list"},
        {"trigger": "nothing_held", "source": "list", "dest": "to_menu"},
        {"trigger": "past_deadline", "source": "list", "dest": END},
        {"trigger": "pick", "source": "list", "dest": "confirm"},
        {"trigger": "done", "source": "confirm", "dest": END},
    ]

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.ledger = Ledger(services)

    async def items(self, user: str) -> list[Item]:
        """The user's held interview and childcare bookings, soonest first."""
        s, m = self.s, self.s.msg
        zone, now = s.config.zone(), s.now()
        regs = await s.repos.registrations.for_user(user)
        waiting = {r.id: r for r in regs if not r.cleared()}
        out: list[Item] = []
        for reg_id, slot in (await s.repos.interviews.held_by(list(waiting))).items():
            if slot.at <= now:
                continue
            nursery = s.config.nursery(slot.nursery)
            at = slot.at.astimezone(zone)
            out.append(
                Item(
                    at=at,
                    title=nursery.name + m.cx_interview_suffix,
                    text=m.cx_interview_text.format(
                        child_name=waiting[reg_id].child_name, when=labels.moment(at, m.weekdays)
                    ),
                    key=f"i|{slot.id}|{reg_id}",
                    deadline=nursery.cancel_deadline.interview.moment(at.date(), zone),
                    phone=nursery.phone,
                )
            )
        out += [self._childcare(b) for b in await s.repos.bookings.of_user(user, s.today())]
        return sorted(out, key=lambda i: i.at)

    def _childcare(self, b: BookingDoc) -> Item:
        s, m = self.s, self.s.msg
        zone = s.config.zone()
        nursery = s.config.nursery(b.nursery)
        return Item(
            at=dt.datetime.combine(b.day(), dt.time(b.start), zone),
            title=nursery.name,
            text=m.cx_childcare_text.format(
                child_name=b.child_name,
                day=labels.day(b.day(), m.weekdays),
                start=labels.hour(b.start),
                end=labels.hour(b.end),
            ),
            key=f"b|{b.id}",
            deadline=self._deadline(b),
            phone=nursery.phone,
        )

    # -- the list --------------------------------------------------------------------------
    async def prompt_list(self, run: Run) -> None:
        m, now = self.s.msg, self.s.now()
        await self.ledger.repair_due()
        items = await self.items(run.user_id)
        if not items:
            run.out.say(m.cx_none)
            await run.fire("nothing_held")
            return
        columns = []
        shown: dict[str, str] = {}
        for item in items:
            if now <= item.deadline:
                button = Button(m.label_cancel, "postback", item.key)
                columns.append(Column(item.title, item.text, (button,)))
                shown[item.key] = f"{item.title}\n{item.text}"
            else:
                call = m.cx_call_nursery.format(phone=item.phone)
                columns.append(Column(item.title, f"{item.text}\n{call}"))
        run.out.say(m.cx_list_intro)
        run.out.add(Carousel(m.cx_list_intro, tuple(columns)))
        run.data["shown"] = shown
        if not shown:
            await run.fire("past_deadline")

    async def on_list(self, run: Run, inp: Input) -> None:
        shown: dict[str, str] = run.data.get("shown", {})
        key: str | None = None
        if inp.kind == "postback" and inp.data in shown:
            key = inp.data
        elif inp.kind == "text" and inp.text.strip() == self.s.msg.label_cancel and len(shown) == 1:
            key = next(iter(shown))
        if key is None:
            await run.reask(self.s.msg.choose_from_buttons)
            return
        run.data["chosen"] = key
        await run.fire("pick")

    # -- はい / いいえ ---------------------------------------------------------------------
    async def prompt_confirm(self, run: Run) -> None:
        m = self.s.msg
        title, text = run.data["shown"][run.data["chosen"]].split("\n", 1)
        buttons = choices(m.label_yes, m.label_no)
        run.out.say(m.cx_confirm.format(title=title, text=text), *buttons)
        run.offer(buttons, ["yes", "no"])

    async def on_confirm(self, run: Run, inp: Input) -> None:
        m = self.s.msg
        answer = await run.choice(inp)
        if answer is None:
            return
        if answer == "no":
            run.out.say(m.cx_kept)
        elif await self._cancel(run.user_id, run.data["chosen"]):
            run.out.say(m.cx_done)
        else:
            run.out.say(m.cx_already_gone)
        await run.fire("done")

    async def _cancel(self, user: str, key: str) -> bool:
        """Cancel the booking `key` names if it is still this user's and before its deadline."""
        kind, _, rest = key.partition("|")
        if kind == "i":
            item = next((i for i in await self.items(user) if i.key == key), None)
            if item is None or self.s.now() > item.deadline:
                return False
            slot_id, _, reg_id = rest.rpartition("|")
            return await self.s.repos.interviews.release(slot_id, reg_id)
        # A childcare booking is read by its id alone: the list is not read again.
        booking = await self.s.repos.bookings.get(rest)
        if booking is None or not booking.held_for(user, self.s.today()):
            return False
        if self.s.now() > self._deadline(booking):
            return False
        return await self.ledger.cancel(booking, "parent")

    def _deadline(self, b: BookingDoc) -> dt.datetime:
        """The last moment a childcare booking can be cancelled over LINE."""
        deadline = self.s.config.nursery(b.nursery).cancel_deadline.childcare
        return deadline.moment(b.day(), self.s.config.zone())


class ChangeFlow(Flow):
    """`予約の変更` and its synonyms: bookings are not changed over LINE; the list follows."""

    name = "change"
    states: ClassVar[list[str]] = ["to_cancel"]
    transitions: ClassVar[list[dict[str, Any]]] = [
        {"trigger": "begin", "source": START, "dest": "to_cancel"},
    ]

    async def prompt_to_cancel(self, run: Run) -> None:
        run.out.say(self.s.msg.bk_change_not_possible)
