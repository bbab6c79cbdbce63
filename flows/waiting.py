"""Joining the waiting list (キャンセル待ち) for a full day: start and end hour, the nursery's
questions, then 「キャンセル待ちに登録しますか？」 with はい/いいえ.

Handed over by the booking flow when a `満席・キャンセル待ち` day is tapped (with the
registration and the day). The hours offered are any the nursery opens that day, full or
not (domain/waiting.py `open_hours`); whether the child may wait is the domain's (`join`),
and every outcome is worded here. What comes next (an offer pushed when seats free, held
for `waiting.offer_minutes`) is said once the child is in line.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from domain import labels
from domain.calendar import Free, end_hours, start_hours
from domain.childcare import Childcare
from domain.lifecycle import Life
from domain.replies import choices
from domain.services import Services
from domain.waiting import Joined, Waiting
from flows.band import BandEnd
from flows.base import END, START, Flow, Input, Run
from flows.questions import NurseryQuestions


class WaitingFlow(NurseryQuestions, BandEnd, Flow):
    name = "waiting"
    states: ClassVar[list[str]] = ["start_hour", "end_hour", "question", "confirm", "to_menu"]
    transitions: ClassVar[list[dict[str, Any]]] = [
        {"trigger": "begin", "source": START, "dest": "start_hour", "before": "setup"},
        {"trigger": "no_hours", "source": ["start_hour", "end_hour"], "dest": "to_menu"},
        {"trigger": "pick_start", "source": "start_hour", "dest": "end_hour"},
        {
            "trigger": "pick_end",
            "source": "end_hour",
            "dest": "question",
            "conditions": "has_questions",
        },
        {"trigger": "pick_end", "source": "end_hour", "dest": "confirm"},
        {"trigger": "answer", "source": "question", "dest": "question"},
        {"trigger": "answered", "source": "question", "dest": "confirm"},
        {"trigger": "joined", "source": "confirm", "dest": END},
        {"trigger": "refused", "source": "confirm", "dest": END},
        {"trigger": "stop", "source": "confirm", "dest": END},
    ]
    slow = frozenset({"confirm"})  # はい joins the line (and may offer a seat at once)

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.waiting = Waiting(services)
        self.childcare = Childcare(services)

    def setup(self, run: Run, registration: str, nursery: str, child_name: str, date: str) -> None:
        """What the booking flow handed over: the child's registration and the full day."""
        run.data.update(
            registration=registration, nursery=nursery, child_name=child_name, date=date
        )
        run.data["answers"] = {}

    # -- helpers ---------------------------------------------------------------------------
    async def _life(self, run: Run) -> Life | None:
        reg = run.data["registration"]
        return await run.memo("life", lambda: self.childcare.registration(run.user_id, reg))

    def _date(self, run: Run) -> dt.date:
        return dt.date.fromisoformat(run.data["date"])

    def _fields(self, run: Run) -> dict[str, str]:
        msg = self.services.msg
        out = {
            "nursery": self.nursery(run).name,
            "day": labels.day(self._date(run), msg.formats),
            "child_name": run.data["child_name"],
            "min": str(self.services.config.booking.min_hours),
            "max": str(self.services.config.booking.max_days_per_child),
        }
        for key in ("start", "end"):
            out[key] = (
                labels.hour(run.data[key], self.services.msg.formats) if key in run.data else ""
            )
        return out

    async def _open(self, run: Run) -> Free:
        """The hours a band may cover, as a `Free` of one seat each (read once a message)."""
        nursery, date = self.nursery(run), self._date(run)
        hours = await run.memo("open", lambda: self.waiting.open_hours(nursery, date))
        return {h: 1 for h in hours}

    async def _no_hours(self, run: Run) -> None:
        run.out.say(self.services.msg.waiting.no_hours.format(**self._fields(run)))
        await run.fire("no_hours")

    # -- start and end hours ---------------------------------------------------------------
    async def prompt_start_hour(self, run: Run) -> None:
        starts = start_hours(await self._open(run), self.services.config.booking.min_hours)
        if not starts:
            await self._no_hours(run)
            return
        buttons = choices(*(labels.hour(h, self.services.msg.formats) for h in starts))
        run.out.say(self.services.msg.waiting.choose_start.format(**self._fields(run)), *buttons)
        run.offer(buttons, [str(h) for h in starts])

    async def on_start_hour(self, run: Run, inp: Input) -> None:
        start = await run.choice(inp)
        if start is None:
            return
        min_hours = self.services.config.booking.min_hours
        if not end_hours(await self._open(run), int(start), min_hours):
            await run.reask(self.services.msg.waiting.no_end.format(**self._fields(run)))
            return
        run.data["start"] = int(start)
        await run.fire("pick_start")

    async def prompt_end_hour(self, run: Run) -> None:
        min_hours = self.services.config.booking.min_hours
        ends = end_hours(await self._open(run), run.data["start"], min_hours)
        if not ends:  # the day closed, or its hours began, since the start was chosen
            await self._no_hours(run)
            return
        buttons = choices(*(labels.hour(h, self.services.msg.formats) for h in ends))
        run.out.say(self.services.msg.waiting.choose_end.format(**self._fields(run)), *buttons)
        run.offer(buttons, [str(h) for h in ends])

    # -- はい / いいえ ---------------------------------------------------------------------
    async def prompt_confirm(self, run: Run) -> None:
        msg = self.services.msg
        buttons = choices(msg.label_yes, msg.label_no)
        text = msg.waiting.confirm.format(answers=self.answers_text(run), **self._fields(run))
        run.out.say(text, *buttons)
        run.offer(buttons, ["yes", "no"])

    async def on_confirm(self, run: Run, inp: Input) -> None:
        msg = self.services.msg
        answer = await run.choice(inp)
        if answer is None:
            return
        if answer == "no":
            run.out.say(msg.waiting.join_stopped)
            await run.fire("stop")
            return
        life = await self._life(run)
        joined = Joined("not_cleared")
        if life is not None:
            joined = await self.waiting.join(
                life, self._date(run), run.data["start"], run.data["end"], run.data["answers"]
            )
        run.out.say(self._joined(run, joined, life))
        await run.fire("joined" if joined.outcome == "joined" else "refused")

    def _joined(self, run: Run, joined: Joined, life: Life | None) -> str:
        """What `join`'s outcome tells the parent."""
        msg, w, fields = self.services.msg, self.services.msg.waiting, self._fields(run)
        e = joined.entry
        if e is not None:  # joined, or in line already: the entry's own hours
            fields |= {
                "start": labels.hour(e.start, self.services.msg.formats),
                "end": labels.hour(e.end, self.services.msg.formats),
            }
        match joined.outcome:
            case "joined":
                minutes = str(self.services.config.waiting.offer_minutes)
                return w.joined.format(place=e.place if e else 1, minutes=minutes, **fields)
            case "already":
                return w.join_already.format(**fields)
            case "limit":
                return w.join_limit.format(**fields)
            case "bookable":
                return w.join_bookable.format(**fields)
            case "band":
                return w.join_band.format(**fields)
            case "holds_day":
                return w.join_holds_day.format(**fields)
            case "outside":
                return w.join_outside.format(**fields)
            case "expired" if life is not None:
                expiry = labels.ymd(life.expiry() or self._date(run), self.services.msg.formats)
                return msg.booking_expired.format(expiry=expiry, **fields)
            case "age":
                return msg.booking_age_refused.format(
                    ages=labels.ages(msg, self.nursery(run)), **fields
                )
        return msg.booking_no_cleared
