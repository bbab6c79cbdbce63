"""Viewing and cancelling (予約を取り消す): every held booking of this LINE user, soonest first.

Each booking is a bubble; before its deadline it carries a `キャンセル`
postback naming it. Only postbacks shown to this user are accepted (a forged
one is refused), and the domain checks the booking again against the user and
the deadline when `はい` is tapped. A booking the nursery took by phone is shown
as such, with its number to call. Also `ChangeFlow`: a request to change a
booking gets the manual's answer, then the same list.

The child's entries on the waiting list (キャンセル待ち) are listed among them, by day,
each with a button to leave the line (`w|leave|<entry>`, domain/waiting.py `leave`),
confirmed with はい / いいえ like a cancellation. An entry whose offer is open carries the
offer's own 予約する / 辞退する instead (the engine answers them, flows/offer_answers.py):
the pushed offer's buttons are gone from the chat once the parent sends anything else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from domain import labels
from domain.holdings import Holding, Holdings
from domain.offers import DECLINE, LEAVE, TAKE, parse_postback, postback
from domain.replies import Button, Carousel, Column, choices
from domain.services import Services
from domain.waiting import Entry, Waiting
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
        self.waiting = Waiting(services)

    def _title(self, h: Holding) -> str:
        msg = self.services.msg
        if h.kind == "interview":
            return h.nursery.name + msg.cancel_interview_suffix
        return h.nursery.name + (msg.cancel_phone_suffix if h.by_phone else "")

    def _text(self, h: Holding) -> str:
        msg = self.services.msg
        if h.kind == "interview":
            when = labels.moment(h.at, msg.formats)
            return msg.cancel_interview_text.format(child_name=h.child_name, when=when)
        return msg.cancel_childcare_text.format(
            child_name=h.child_name,
            day=labels.day(h.at.date(), msg.formats),
            start=labels.hour(h.at.hour, self.services.msg.formats),
            end=labels.hour(h.end or h.at.hour, self.services.msg.formats),
        )

    def _waiting(self, e: Entry) -> tuple[str, str, str]:
        """An entry in line: its title, its text, and where it stands in line."""
        msg = self.services.msg
        text = msg.waiting.list_text.format(
            child_name=e.child_name,
            day=labels.day(e.day, msg.formats),
            start=labels.hour(e.start, self.services.msg.formats),
            end=labels.hour(e.end, self.services.msg.formats),
        )
        if e.status == "offered" and e.offered_until is not None:
            where = msg.waiting.list_offered.format(
                until=labels.moment(e.offered_until, msg.formats)
            )
        else:
            where = msg.waiting.list_place.format(place=e.place)
        return e.nursery.name + msg.waiting.list_suffix, text, where

    # -- the list --------------------------------------------------------------------------
    async def prompt_list(self, run: Run) -> None:
        msg, now, zone = self.services.msg, self.services.now(), self.services.config.zone()
        held = await self.holdings.of_user(run.user_id)
        lines = await self.waiting.of_user(run.user_id)
        if not held and not lines:
            run.out.say(msg.cancel_none)
            await run.fire("nothing_held")
            return
        listed: list[tuple[dt.datetime, Column]] = []
        shown: dict[str, str] = {}
        for h in held:
            title, text = self._title(h), self._text(h)
            if h.cancellable(now):
                button = Button(msg.label_cancel, "postback", h.key)
                listed.append((h.at, Column(title, text, (button,))))
                shown[h.key] = f"{title}\n{text}"
            else:
                why = msg.cancel_phone_booking if h.by_phone else msg.cancel_call_nursery
                column = Column(title, f"{text}\n{why.format(phone=h.nursery.phone)}")
                listed.append((h.at, column))
        for e in lines:
            title, text, where = self._waiting(e)
            at = dt.datetime.combine(e.day, dt.time(e.start), zone)
            if e.status == "offered" and e.offer is not None:
                answers = (
                    Button(msg.waiting.label_take, "postback", postback(TAKE, e.offer)),
                    Button(msg.waiting.label_decline, "postback", postback(DECLINE, e.offer)),
                )
                listed.append((at, Column(title, f"{text}\n{where}", answers)))
                continue
            key = postback(LEAVE, e.key)
            button = Button(msg.waiting.label_leave, "postback", key)
            listed.append((at, Column(title, f"{text}\n{where}", (button,))))
            shown[key] = f"{title}\n{text}"
        intro = msg.waiting.list_intro if lines else msg.cancel_list_intro
        columns = tuple(c for _, c in sorted(listed, key=lambda x: x[0]))
        run.out.say(intro)
        run.out.add(Carousel(intro, columns))
        run.data["shown"] = shown
        if not shown:
            await run.fire("past_deadline")

    async def on_list(self, run: Run, inp: Input) -> None:
        shown: dict[str, str] = run.data.get("shown", {})
        key: str | None = None
        msg = self.services.msg
        if inp.kind == "postback" and inp.data in shown:
            key = inp.data
        elif inp.kind == "text" and inp.text.strip() in (msg.label_cancel, msg.waiting.label_leave):
            # the only button of its kind, typed
            leave = inp.text.strip() == msg.waiting.label_leave
            keys = [k for k in shown if (parse_postback(k) is not None) == leave]
            key = keys[0] if len(keys) == 1 else None
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
        leaving = parse_postback(run.data["chosen"]) is not None
        ask = msg.waiting.leave_confirm if leaving else msg.cancel_confirm
        run.out.say(ask.format(title=title, text=text), *buttons)
        run.offer(buttons, ["yes", "no"])

    async def on_confirm(self, run: Run, inp: Input) -> None:
        msg = self.services.msg
        answer = await run.choice(inp)
        if answer is None:
            return
        leaving = parse_postback(run.data["chosen"])
        if leaving is not None:
            if answer == "no":
                run.out.say(msg.waiting.leave_kept)
            elif await self.waiting.leave(run.user_id, leaving[1]) == "left":
                run.out.say(msg.waiting.left)
            else:
                run.out.say(msg.waiting.leave_gone)
        elif answer == "no":
            run.out.say(msg.cancel_kept)
        elif await self.holdings.cancel(run.user_id, run.data["chosen"]):
            interview = self.holdings.is_interview(run.data["chosen"])
            run.out.say(msg.cancel_interview_done if interview else msg.cancel_done)
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
