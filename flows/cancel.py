"""Viewing and cancelling (予約を取り消す): every held booking of this LINE user, soonest first.

Each booking is a bubble; before its deadline it carries a `キャンセル`
postback naming it. Only postbacks shown to this user are accepted (a forged
one is refused), and the domain checks the booking again against the user and
the deadline when `はい` is tapped. A booking the nursery took by phone is shown
as such, with its number to call. Also `ChangeFlow`: a request to change a
booking gets the manual's answer, then the same list.
"""

from __future__ import annotations

from typing import Any, ClassVar

from domain import labels
from domain.holdings import Holding, Holdings
from domain.replies import Button, Carousel, Column, choices
from domain.services import Services
from flows.base import END, START, Flow, Input, Run


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
        self.holdings = Holdings(services)

    def _title(self, h: Holding) -> str:
        msg = self.services.msg
        if h.kind == "interview":
            return h.nursery.name + msg.cancel_interview_suffix
        return h.nursery.name + (msg.cancel_phone_suffix if h.by_phone else "")

    def _text(self, h: Holding) -> str:
        msg = self.services.msg
        if h.kind == "interview":
            when = labels.moment(h.at, msg.weekdays)
            return msg.cancel_interview_text.format(child_name=h.child_name, when=when)
        return msg.cancel_childcare_text.format(
            child_name=h.child_name,
            day=labels.day(h.at.date(), msg.weekdays),
            start=labels.hour(h.at.hour),
            end=labels.hour(h.end or h.at.hour),
        )

    # -- the list --------------------------------------------------------------------------
    async def prompt_list(self, run: Run) -> None:
        msg, now = self.services.msg, self.services.now()
        held = await self.holdings.of_user(run.user_id)
        if not held:
            run.out.say(msg.cancel_none)
            await run.fire("nothing_held")
            return
        columns = []
        shown: dict[str, str] = {}
        for h in held:
            title, text = self._title(h), self._text(h)
            if h.cancellable(now):
                button = Button(msg.label_cancel, "postback", h.key)
                columns.append(Column(title, text, (button,)))
                shown[h.key] = f"{title}\n{text}"
            else:
                why = msg.cancel_phone_booking if h.by_phone else msg.cancel_call_nursery
                columns.append(Column(title, f"{text}\n{why.format(phone=h.nursery.phone)}"))
        run.out.say(msg.cancel_list_intro)
        run.out.add(Carousel(msg.cancel_list_intro, tuple(columns)))
        run.data["shown"] = shown
        if not shown:
            await run.fire("past_deadline")

    async def on_list(self, run: Run, inp: Input) -> None:
        shown: dict[str, str] = run.data.get("shown", {})
        key: str | None = None
        if inp.kind == "postback" and inp.data in shown:
            key = inp.data
        elif (
            inp.kind == "text"
            and inp.text.strip() == self.services.msg.label_cancel
            and len(shown) == 1
        ):
            key = next(iter(shown))
        if key is None:
            await run.reask(self.services.msg.choose_from_buttons)
            return
        run.data["chosen"] = key
        await run.fire("pick")

    # -- はい / いいえ ---------------------------------------------------------------------
    async def prompt_confirm(self, run: Run) -> None:
        msg = self.services.msg
        title, text = run.data["shown"][run.data["chosen"]].split("\n", 1)
        buttons = choices(msg.label_yes, msg.label_no)
        run.out.say(msg.cancel_confirm.format(title=title, text=text), *buttons)
        run.offer(buttons, ["yes", "no"])

    async def on_confirm(self, run: Run, inp: Input) -> None:
        msg = self.services.msg
        answer = await run.choice(inp)
        if answer is None:
            return
        if answer == "no":
            run.out.say(msg.cancel_kept)
        elif await self.holdings.cancel(run.user_id, run.data["chosen"]):
            run.out.say(msg.cancel_done)
        else:
            run.out.say(msg.cancel_already_gone)
        await run.fire("done")


class ChangeFlow(Flow):
    """`予約の変更` and its synonyms: bookings are not changed over LINE; the list follows."""

    name = "change"
    states: ClassVar[list[str]] = ["to_cancel"]
    transitions: ClassVar[list[dict[str, Any]]] = [
        {"trigger": "begin", "source": START, "dest": "to_cancel"},
    ]

    async def prompt_to_cancel(self, run: Run) -> None:
        run.out.say(self.services.msg.booking_change_not_possible)
