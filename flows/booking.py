"""Childcare booking (予約をする): child, day, start and end hour, questions, summary, 確定.

Availability is read afresh at every step; only `確定` takes anything, through
the ledger, under a booking id fixed when the summary is first shown, so a
double tap or a retried event books once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from domain import labels
from domain.calendar import Calendar, Free, end_hours, start_hours
from domain.config import Nursery
from domain.ledger import Ledger, Outcome
from domain.replies import Sticker, choices
from domain.services import Services
from flows.base import END, START, Flow, Input, Run
from storage.allowances import child_key
from storage.bookings import BookingDoc
from storage.registrations import RegistrationDoc


class BookingFlow(Flow):
    name = "booking"
    states: ClassVar[list[str]] = [
        "child",
        "day",
        "start_hour",
        "end_hour",
        "question",
        "summary",
        "to_menu",
    ]
    transitions: ClassVar[list[dict[str, Any]]] = [
        {"trigger": "begin", "source": START, "dest": "child"},
        {"trigger": "nothing_bookable", "source": "child", "dest": "to_menu"},
        {"trigger": "limit", "source": "child", "dest": "to_menu"},
        {"trigger": "no_days", "source": "day", "dest": "to_menu"},
        {"trigger": "pick_child", "source": "child", "dest": "day"},
        {"trigger": "pick_day", "source": "day", "dest": "start_hour"},
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
        self.calendar = Calendar(services)
        self.ledger = Ledger(services)

    # -- helpers ---------------------------------------------------------------------------
    def nursery(self, run: Run) -> Nursery:
        return self.s.config.nursery(run.data["nursery"])

    def has_questions(self, run: Run) -> bool:
        return bool(self.nursery(run).questions)

    def _day(self, run: Run) -> dt.date:
        return dt.date.fromisoformat(run.data["date"])

    def _day_label(self, run: Run) -> str:
        return labels.day(self._day(run), self.s.msg.weekdays)

    async def _held_dates(self, run: Run, key: str) -> set[str]:
        allowance = await run.memo(f"allowance:{key}", lambda: self.s.repos.allowances.get(key))
        return {h.date for h in allowance.future(self.s.today())}

    async def _free(self, run: Run, day: dt.date) -> Free:
        """The day's free seats by hour, read once per message (the answer's check and the
        next question show the same figures; the ledger decides at booking)."""
        nursery = self.nursery(run)
        return await run.memo(
            f"free:{nursery.id}:{day}", lambda: self.calendar.day_free(nursery, day)
        )

    # -- child -----------------------------------------------------------------------------
    async def prompt_child(self, run: Run) -> None:
        m, today = self.s.msg, self.s.today()
        await self.ledger.repair_due()
        regs = [r for r in await self.s.repos.registrations.for_user(run.user_id) if r.cleared()]
        for r in regs:
            if r.expired(today):
                run.out.say(
                    m.bk_expired.format(
                        child_name=r.child_name,
                        nursery=self.s.config.nursery(r.nursery).name,
                        expiry=labels.ymd(dt.date.fromisoformat(r.expiry or "")),
                    )
                )
        bookable = [r for r in regs if r.bookable(today)]
        if not bookable:
            if not regs:
                run.out.say(m.bk_no_cleared)
            await run.fire("nothing_bookable")
            return
        buttons = choices(
            *(f"{r.child_name}/{self.s.config.nursery(r.nursery).name}" for r in bookable)
        )
        run.out.say(m.bk_choose_child, *buttons)
        run.offer(buttons, [r.id for r in bookable])

    async def on_child(self, run: Run, inp: Input) -> None:
        reg_id = run.chosen(inp)
        reg = await self.s.repos.registrations.get(reg_id) if reg_id else None
        if reg is None or reg.user != run.user_id or not reg.bookable(self.s.today()):
            await run.reask(self.s.msg.choose_from_buttons)
            return
        key = child_key(run.user_id, reg.child_name, reg.birth_date)
        run.data.update(registration=reg.id, nursery=reg.nursery, child=key)
        run.data["child_name"] = reg.child_name
        limit = self.s.config.booking.max_days_per_child
        if len(await self._held_dates(run, key)) >= limit:
            run.out.say(self.s.msg.bk_limit_reached.format(child_name=reg.child_name, max=limit))
            await run.fire("limit")
            return
        await run.fire("pick_child")

    # -- day -------------------------------------------------------------------------------
    async def prompt_day(self, run: Run) -> None:
        m, nursery = self.s.msg, self.nursery(run)
        days = await self.calendar.days(nursery, await self._held_dates(run, run.data["child"]))
        if not days:
            run.out.say(
                m.bk_no_days.format(
                    nursery=nursery.name, horizon=self.s.config.booking.horizon_days
                )
            )
            await run.fire("no_days")
            return
        buttons = choices(
            *(m.bk_day_label.format(day=labels.day(d, m.weekdays), seats=n) for d, n in days)
        )
        run.out.say(
            m.bk_choose_day.format(nursery=nursery.name, total=sum(n for _, n in days)), *buttons
        )
        run.offer(buttons, [d.isoformat() for d, _ in days])

    async def on_day(self, run: Run, inp: Input) -> None:
        date = run.chosen(inp)
        if date is None and inp.kind == "text":  # the day typed without its seats, `4/24(水)`
            offered = run.data.get("_offer", {}).values()
            by_day = {labels.day(dt.date.fromisoformat(v), self.s.msg.weekdays): v for v in offered}
            date = by_day.get(inp.text.strip())
        if date is None:
            await run.reask(self.s.msg.choose_from_buttons)
            return
        free = await self._free(run, dt.date.fromisoformat(date))
        if not start_hours(free, self.s.config.booking.min_hours):
            await run.reask(self.s.msg.bk_filled)
            return
        run.data["date"] = date
        await run.fire("pick_day")

    # -- start and end hours ---------------------------------------------------------------
    async def prompt_start_hour(self, run: Run) -> None:
        free = await self._free(run, self._day(run))
        starts = start_hours(free, self.s.config.booking.min_hours)
        buttons = choices(*(labels.hour(h) for h in starts))
        run.out.say(self.s.msg.bk_choose_start.format(day=self._day_label(run)), *buttons)
        run.offer(buttons, [str(h) for h in starts])

    async def on_start_hour(self, run: Run, inp: Input) -> None:
        start = await run.choice(inp)
        if start is None:
            return
        min_hours = self.s.config.booking.min_hours
        free = await self._free(run, self._day(run))
        if not end_hours(free, int(start), min_hours):
            await run.reask(self.s.msg.bk_no_end.format(min=min_hours))
            return
        run.data["start"] = int(start)
        await run.fire("pick_start")

    async def prompt_end_hour(self, run: Run) -> None:
        min_hours = self.s.config.booking.min_hours
        free = await self._free(run, self._day(run))
        ends = end_hours(free, run.data["start"], min_hours)
        buttons = choices(*(labels.hour(h) for h in ends))
        run.out.say(self.s.msg.bk_choose_end.format(min=min_hours), *buttons)
        run.offer(buttons, [str(h) for h in ends])

    async def on_end_hour(self, run: Run, inp: Input) -> None:
        end = await run.choice(inp)
        if end is None:
            return
        run.data["end"] = int(end)
        run.data["answers"] = {}
        await run.fire("pick_end")

    # -- the nursery's questions -----------------------------------------------------------
    async def prompt_question(self, run: Run) -> None:
        q = self.nursery(run).questions[len(run.data["answers"])]
        buttons = choices(*q.choices)
        run.out.say(q.text, *buttons)
        run.offer(buttons, list(q.choices))

    async def on_question(self, run: Run, inp: Input) -> None:
        answer = await run.choice(inp)
        if answer is None:
            return
        questions = self.nursery(run).questions
        run.data["answers"][questions[len(run.data["answers"])].id] = answer
        await run.fire("answer" if len(run.data["answers"]) < len(questions) else "answered")

    # -- summary and 確定 ------------------------------------------------------------------
    def _band(self, run: Run) -> dict[str, str]:
        return {
            "nursery": self.nursery(run).name,
            "day": self._day_label(run),
            "start": labels.hour(run.data["start"]),
            "end": labels.hour(run.data["end"]),
        }

    async def prompt_summary(self, run: Run) -> None:
        m = self.s.msg
        run.data.setdefault("booking_id", self.s.ids.new())
        by_id = {q.id: q.label for q in self.nursery(run).questions}
        answers = "\n".join(f"{by_id[k]}：{v}" for k, v in run.data["answers"].items())
        buttons = choices(m.label_confirm, m.label_stop)
        run.out.say(
            m.bk_summary.format(
                child_name=run.data["child_name"], answers=answers, **self._band(run)
            ),
            *buttons,
        )
        run.offer(buttons, ["confirm", "stop"])

    async def on_summary(self, run: Run, inp: Input) -> None:
        m = self.s.msg
        choice = await run.choice(inp)
        if choice is None:
            return
        if choice == "stop":
            run.out.say(m.bk_stopped)
            await run.fire("stop")
            return
        reg = await self.s.repos.registrations.get(run.data["registration"])
        if reg is None or not reg.bookable(self.s.today()):
            run.out.say(m.bk_no_cleared)
            await run.fire("stop")
            return
        starts = dt.datetime.combine(
            self._day(run), dt.time(run.data["start"]), self.s.config.zone()
        )
        if starts <= self.s.now():  # the band began while the parent was on the summary
            outcome: Outcome = "filled"
        else:
            outcome = await self.ledger.book(self._intent(run, reg))
        if outcome == "filled":
            run.out.say(m.bk_filled)
            await run.fire("filled")
            return
        if outcome == "limit":
            limit = self.s.config.booking.max_days_per_child
            run.out.say(m.bk_limit_reached.format(child_name=reg.child_name, max=limit))
            await run.fire("limit")
            return
        sticker = self.s.config.completion_sticker
        run.out.add(Sticker(sticker.package_id, sticker.sticker_id))
        cancel = self._how_to_cancel(run)
        run.out.say(
            m.bk_done.format(form=self.s.config.childcare_form, cancel=cancel, **self._band(run))
        )
        await run.fire("confirm")

    def _how_to_cancel(self, run: Run) -> str:
        nursery = self.nursery(run)
        deadline = nursery.cancel_deadline.childcare.moment(self._day(run), self.s.config.zone())
        return labels.how_to_cancel(self.s.msg, nursery, deadline, self.s.now())

    def _intent(self, run: Run, reg: RegistrationDoc) -> BookingDoc:
        return BookingDoc(
            id=run.data["booking_id"],
            nursery=reg.nursery,
            date=run.data["date"],
            start=run.data["start"],
            end=run.data["end"],
            user=run.user_id,
            registration=reg.id,
            child_name=reg.child_name,
            child=run.data["child"],
            answers=run.data["answers"],
            created_at=self.s.now(),
        )
