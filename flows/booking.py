"""Childcare booking (予約をする): child, day, start and end hour, questions, summary, 確定.

The rules (who may book which day, how many, from what age) are the domain's
(domain/childcare.py); this dialog asks, re-asks with the reason, and words the
outcome. Availability is read afresh at every step; only `確定` takes anything,
under a booking id fixed when the summary is first shown, so a double tap or a
retried event books once.

The day list also shows the full days the child may wait for (`M/D(曜) 満席・キャンセル待ち`,
domain/waiting.py `full_days`); tapping one hands over to the waiting list's dialog
(flows/waiting.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from domain import labels, normalize
from domain.calendar import Free, end_hours, start_hours
from domain.childcare import Childcare, DayList, Outcome, Request
from domain.config import Nursery
from domain.lifecycle import Life
from domain.replies import Outbox, Sticker, choices
from domain.services import Services
from domain.waiting import Waiting
from flows.band import BandEnd
from flows.base import END, START, Flow, Input, Run
from flows.questions import NurseryQuestions

FULL = "w:"  # the value of a full day's button in the day list: `w:YYYY-MM-DD`


def say_booked(
    services: Services, out: Outbox, nursery: Nursery, day: dt.date, band: dict[str, str]
) -> None:
    """The sticker and the completion message of a childcare booking, with the cancel
    deadline (a booking made here, or an offer of the waiting list taken)."""
    msg, sticker = services.msg, services.config.completion_sticker
    out.add(Sticker(sticker.package_id, sticker.sticker_id))
    deadline = Childcare(services).deadline(nursery, day)
    cancel = labels.how_to_cancel(msg, nursery, deadline, services.now())
    out.say(
        msg.booking_done.format(
            form=services.config.childcare_form,
            forms_url=services.config.forms_url,
            cancel=cancel,
            **band,
        )
    )


class BookingFlow(NurseryQuestions, BandEnd, Flow):
    name = "booking"
    states: ClassVar[list[str]] = [
        "child",
        "day",
        "start_hour",
        "end_hour",
        "question",
        "summary",
        "to_menu",
        "to_waiting",
    ]
    transitions: ClassVar[list[dict[str, Any]]] = [
        {"trigger": "begin", "source": START, "dest": "child"},
        {"trigger": "nothing_bookable", "source": "child", "dest": "to_menu"},
        {"trigger": "limit", "source": "child", "dest": "to_menu"},
        {"trigger": "no_days", "source": "day", "dest": "to_menu"},
        {"trigger": "pick_child", "source": "child", "dest": "day"},
        {"trigger": "pick_day", "source": "day", "dest": "start_hour"},
        {"trigger": "wait", "source": "day", "dest": "to_waiting"},  # a full day tapped
        {"trigger": "pick_start", "source": "start_hour", "dest": "end_hour"},
        {
            "trigger": "pick_end",
            "source": "end_hour",
            "dest": "question",
            "conditions": "has_questions",
        },
        {"trigger": "pick_end", "source": "end_hour", "dest": "summary"},
        {"trigger": "answer", "source": "question", "dest": "question"},
        {"trigger": "answered", "source": "question", "dest": "summary"},
        {"trigger": "confirm", "source": "summary", "dest": END},
        {"trigger": "filled", "source": "summary", "dest": "to_menu"},
        {"trigger": "limit", "source": "summary", "dest": END},
        {"trigger": "stop", "source": "summary", "dest": END},
    ]
    slow = frozenset({"child", "summary"})  # the child's answer shows the calendar; 確定 books

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.childcare = Childcare(services)
        self.waiting = Waiting(services)

    # -- helpers ---------------------------------------------------------------------------
    def _day(self, run: Run) -> dt.date:
        return dt.date.fromisoformat(run.data["date"])

    def _day_label(self, run: Run) -> str:
        return labels.day(self._day(run), self.services.msg.formats)

    async def _life(self, run: Run) -> Life | None:
        """The chosen registration, read once per message."""
        reg = run.data["registration"]
        return await run.memo("life", lambda: self.childcare.registration(run.user_id, reg))

    async def _held_dates(self, run: Run, life: Life) -> set[str]:
        return await run.memo("held", lambda: self.childcare.held_dates(life))

    async def _free(self, run: Run, day: dt.date) -> Free:
        """The day's free seats by hour, read once per message (the answer's check and the
        next question show the same figures; the ledger decides at booking)."""
        nursery = self.nursery(run)
        return await run.memo(f"free:{nursery.id}:{day}", lambda: self.childcare.free(nursery, day))

    # -- child -----------------------------------------------------------------------------
    async def prompt_child(self, run: Run) -> None:
        msg = self.services.msg
        bookable, expired = await self.childcare.children(run.user_id)
        for life in expired:
            run.out.say(
                msg.booking_expired.format(
                    child_name=life.reg.child_name,
                    nursery=self.services.config.nursery(life.reg.nursery).name,
                    expiry=labels.ymd(
                        life.expiry() or self.services.today(), self.services.msg.formats
                    ),
                )
            )
        if not bookable:
            if not expired:
                run.out.say(msg.booking_no_cleared)
            await run.fire("nothing_bookable")
            return
        buttons = choices(
            *(
                f"{life.reg.child_name}/{self.services.config.nursery(life.reg.nursery).name}"
                for life in bookable
            )
        )
        run.out.say(msg.booking_choose_child, *buttons)
        run.offer(buttons, [life.reg.id for life in bookable])

    async def on_child(self, run: Run, inp: Input) -> None:
        reg_id = run.chosen(inp)
        life = await self.childcare.child(run.user_id, reg_id) if reg_id else None
        if life is None:
            await run.reask(self.services.msg.choose_from_buttons)
            return
        run.extra["life"] = life
        run.data.update(registration=life.reg.id, nursery=life.reg.nursery)
        run.data["child_name"] = life.reg.child_name
        limit = self.services.config.booking.max_days_per_child
        if len(await self._held_dates(run, life)) >= limit:
            run.out.say(
                self.services.msg.booking_limit_reached.format(
                    child_name=life.reg.child_name, max=limit
                )
            )
            await run.fire("limit")
            return
        await run.fire("pick_child")

    # -- day -------------------------------------------------------------------------------
    async def prompt_day(self, run: Run) -> None:
        msg, nursery = self.services.msg, self.nursery(run)
        life = await self._life(run)
        listed = (
            await self.childcare.days(life, await self._held_dates(run, life))
            if life is not None
            else DayList([])
        )
        for note in self._notes(run, listed):
            run.out.say(note)
        over = listed.age_until is not None and listed.age_until < self.services.today()
        full = await self.waiting.full_days(life) if life is not None else []
        if not listed.days and not full:
            if not over:
                run.out.say(
                    msg.booking_no_days.format(
                        nursery=nursery.name, horizon=self.services.config.booking.horizon_days
                    )
                )
            await run.fire("no_days")
            return
        days = sorted(
            [(d, d.isoformat(), msg.booking_day_label, n) for d, n in listed.days]
            + [(d, FULL + d.isoformat(), msg.waiting.day_label, 0) for d in full]
        )
        buttons = choices(
            *(text.format(day=labels.day(d, msg.formats), seats=n) for d, _, text, n in days)
        )
        total = sum(n for _, n in listed.days)
        run.out.say(msg.booking_choose_day.format(nursery=nursery.name, total=total), *buttons)
        run.offer(buttons, [value for _, value, _, _ in days])

    def _notes(self, run: Run, listed: DayList) -> list[str]:
        """Why the day list stops short: the registration's expiry, the child's age."""
        msg, n, child = self.services.msg, self.nursery(run), run.data["child_name"]
        notes = []
        if listed.age_from is not None:
            day = labels.day(listed.age_from, msg.formats)
            notes.append(
                msg.booking_age_from.format(
                    child_name=child, day=day, nursery=n.name, ages=labels.ages(msg, n)
                )
            )
        if listed.expiry is not None:
            notes.append(
                msg.booking_until_expiry.format(
                    expiry=labels.ymd(listed.expiry, self.services.msg.formats)
                )
            )
        if listed.age_until is not None:
            day = labels.day(listed.age_until, msg.formats)
            past = listed.age_until < self.services.today()
            text = msg.booking_age_over if past else msg.booking_age_until
            notes.append(
                text.format(child_name=child, day=day, nursery=n.name, ages=labels.ages(msg, n))
            )
        return notes

    async def on_day(self, run: Run, inp: Input) -> None:
        date = run.chosen(inp)
        if date is None and inp.kind == "text":  # the day typed without its seats, `4/24(水)`
            offered = run.data.get("_offer", {}).values()
            by_day = {
                labels.day(
                    dt.date.fromisoformat(v.removeprefix(FULL)), self.services.msg.formats
                ): v
                for v in offered
            }
            date = by_day.get(normalize.fold(inp.text))
        if date is None:
            await run.reask(self.services.msg.choose_from_buttons)
            return
        full = date.startswith(FULL)
        date = date.removeprefix(FULL)
        free = await self._free(run, dt.date.fromisoformat(date))
        if full and not start_hours(free, self.services.config.booking.min_hours):
            keep = ("registration", "nursery", "child_name")
            await run.fire("wait", date=date, **{k: run.data[k] for k in keep})
            return
        if not start_hours(free, self.services.config.booking.min_hours):
            await run.reask(self.services.msg.booking_filled)
            return
        if full:  # a seat came free since the list was shown: book it
            d = labels.day(dt.date.fromisoformat(date), self.services.msg.formats)
            run.out.say(self.services.msg.waiting.day_now_bookable.format(day=d))
        run.data["date"] = date
        await run.fire("pick_day")

    # -- start and end hours ---------------------------------------------------------------
    async def prompt_start_hour(self, run: Run) -> None:
        free = await self._free(run, self._day(run))
        starts = start_hours(free, self.services.config.booking.min_hours)
        buttons = choices(*(labels.hour(h, self.services.msg.formats) for h in starts))
        run.out.say(
            self.services.msg.booking_choose_start.format(day=self._day_label(run)), *buttons
        )
        run.offer(buttons, [str(h) for h in starts])

    async def on_start_hour(self, run: Run, inp: Input) -> None:
        start = await run.choice(inp)
        if start is None:
            return
        min_hours = self.services.config.booking.min_hours
        free = await self._free(run, self._day(run))
        if not end_hours(free, int(start), min_hours):
            await run.reask(self.services.msg.booking_no_end.format(min=min_hours))
            return
        run.data["start"] = int(start)
        await run.fire("pick_start")

    async def prompt_end_hour(self, run: Run) -> None:
        min_hours = self.services.config.booking.min_hours
        free = await self._free(run, self._day(run))
        ends = end_hours(free, run.data["start"], min_hours)
        buttons = choices(*(labels.hour(h, self.services.msg.formats) for h in ends))
        run.out.say(self.services.msg.booking_choose_end.format(min=min_hours), *buttons)
        run.offer(buttons, [str(h) for h in ends])

    # -- summary and 確定 ------------------------------------------------------------------
    def _band(self, run: Run) -> dict[str, str]:
        return {
            "nursery": self.nursery(run).name,
            "day": self._day_label(run),
            "start": labels.hour(run.data["start"], self.services.msg.formats),
            "end": labels.hour(run.data["end"], self.services.msg.formats),
        }

    async def prompt_summary(self, run: Run) -> None:
        msg = self.services.msg
        run.data.setdefault("booking_id", self.services.ids.new())
        answers = self.answers_text(run)
        buttons = choices(msg.label_confirm, msg.label_stop)
        run.out.say(
            msg.booking_summary.format(
                child_name=run.data["child_name"], answers=answers, **self._band(run)
            ),
            *buttons,
        )
        run.offer(buttons, ["confirm", "stop"])

    async def on_summary(self, run: Run, inp: Input) -> None:
        msg = self.services.msg
        choice = await run.choice(inp)
        if choice is None:
            return
        if choice == "stop":
            run.out.say(msg.booking_stopped)
            await run.fire("stop")
            return
        life = await self._life(run)
        outcome: Outcome = "not_cleared"
        if life is not None:
            outcome = await self.childcare.book(
                Request(
                    booking_id=run.data["booking_id"],
                    nursery=self.nursery(run),
                    date=self._day(run),
                    start=run.data["start"],
                    end=run.data["end"],
                    life=life,
                    answers=run.data["answers"],
                )
            )
        if outcome == "booked":
            self._say_booked(run)
            await run.fire("confirm")
            return
        run.out.say(self._refusal(run, outcome, life))
        await run.fire(
            {"filled": "filled", "started": "filled", "limit": "limit"}.get(outcome, "stop")
        )

    def _refusal(self, run: Run, outcome: Outcome, life: Life | None) -> str:
        msg, n, child = self.services.msg, self.nursery(run), run.data["child_name"]
        if outcome == "limit":
            limit = self.services.config.booking.max_days_per_child
            return msg.booking_limit_reached.format(child_name=child, max=limit)
        if outcome == "same_day":
            return msg.booking_same_day.format(child_name=child, day=self._day_label(run))
        if outcome == "expired" and life is not None:
            expiry = labels.ymd(life.expiry() or self._day(run), self.services.msg.formats)
            return msg.booking_expired.format(child_name=child, nursery=n.name, expiry=expiry)
        if outcome == "age":
            return msg.booking_age_refused.format(
                child_name=child, day=self._day_label(run), nursery=n.name, ages=labels.ages(msg, n)
            )
        if outcome == "not_cleared":
            return msg.booking_no_cleared
        if outcome == "started":
            start = labels.hour(run.data["start"], msg.formats)
            return msg.booking_started.format(day=self._day_label(run), start=start)
        return msg.booking_filled

    def _say_booked(self, run: Run) -> None:
        say_booked(self.services, run.out, self.nursery(run), self._day(run), self._band(run))
