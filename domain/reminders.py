"""Reminders pushed to parents before a childcare day or an interview, while it can still
be cancelled on LINE: the reminder says until when (config.yaml refuses a reminder time
after any nursery's cancel deadline).

Each background pass (bot/maintenance.py) looks for bookings and interviews whose
reminder moment (config `reminders`: `days_before` the day at `time`) has come and
which have not begun; each reminder is claimed in MongoDB before it is pushed
(storage/reminders.py), so several processes and restarts push it once. A
booking cancelled or an interview released before the push gets none; a parent
who blocked the account is recorded as such and not tried again. A childcare
booking made after its reminder moment gets none either: its confirmation,
moments before, said the same.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Awaitable, Callable

import structlog

from domain import labels, language
from domain.config import Deadline, Nursery
from domain.replies import Text
from domain.services import Services
from storage.bookings import HELD, BookingDoc
from storage.interviews import SlotDoc
from storage.reminders import Status as ClaimStatus

log = structlog.get_logger(__name__)

KEEP = dt.timedelta(days=7)  # a claim is kept this long after its day (then deleted)
STALE = dt.timedelta(minutes=5)  # a claim not settled by then is taken again
MAX_ATTEMPTS = 6  # pushes tried per reminder before it is given up


class Reminders:
    def __init__(self, services: Services) -> None:
        self.services = services

    def _due_days(self, rule: Deadline) -> list[dt.date]:
        """The days whose reminder moment has come, from today on."""
        now, today, zone = self.services.now(), self.services.today(), self.services.config.zone()
        days = [today + dt.timedelta(days=i) for i in range(rule.days_before + 1)]
        return [d for d in days if rule.moment(d, zone) <= now]

    async def run_once(self) -> Counter[str]:
        """Push every reminder due now; how many went each way (`sent`, `blocked`, ...)."""
        if not self.services.config.reminders.enabled:
            return Counter()
        outcomes: Counter[str] = Counter()
        await self._childcare(outcomes)
        await self._interviews(outcomes)
        now = self.services.now()
        outcomes["failed"] += await self.services.repos.reminders.give_up(now, STALE, MAX_ATTEMPTS)
        for result, n in outcomes.items():
            if n:
                log.info("reminders", result=result, count=n)
        return outcomes

    # -- childcare days ------------------------------------------------------------------------
    async def _childcare(self, outcomes: Counter[str]) -> None:
        rule, zone, now = (
            self.services.config.reminders.childcare,
            self.services.config.zone(),
            self.services.now(),
        )
        bookings = await self.services.repos.bookings.held_on(self._due_days(rule))
        due = {
            f"childcare:{b.id}": b
            for b in bookings
            if b.created_at.astimezone(zone) < rule.moment(b.day(), zone)
            and dt.datetime.combine(b.day(), dt.time(b.start), zone) > now
        }
        done = await self.services.repos.reminders.settled(list(due))
        users = [b.user for key, b in due.items() if key not in done and b.user]
        langs = await self.services.repos.users.languages(users) if users else {}
        for key, b in due.items():
            if key not in done and b.user:
                with language.speaking(langs.get(b.user, language.BASE)):
                    text = self._childcare_text(b)
                result = await self._send(
                    key, "childcare", b.user, b.nursery, text, self._booked(b), b.day()
                )
                outcomes[result] += 1

    def _childcare_text(self, b: BookingDoc) -> str:
        msg, n, zone = (
            self.services.msg,
            self.services.config.nursery(b.nursery),
            self.services.config.zone(),
        )
        return msg.reminder_childcare.format(
            child_name=b.child_name,
            nursery=n.name,
            day=labels.day(b.day(), msg.formats),
            start=labels.hour(b.start, self.services.msg.formats),
            end=labels.hour(b.end, self.services.msg.formats),
            bring=msg.list_separator.join(n.bring or [self.services.config.childcare_form]),
            cancel=msg.cancel_phone_booking.format(phone=n.phone)
            if b.source == "phone"  # taken by phone, cancelled by phone only
            else self._cancel(n, n.cancel_deadline.childcare.moment(b.day(), zone)),
            phone=n.phone,
            forms_url=self.services.config.forms_url,
        )

    def _cancel(self, n: Nursery, deadline: dt.datetime) -> str:
        return labels.how_to_cancel(self.services.msg, n, deadline, self.services.now())

    def _booked(self, b: BookingDoc) -> Callable[[], Awaitable[bool]]:
        async def still() -> bool:
            fresh = await self.services.repos.bookings.get(b.id)
            return fresh is not None and fresh.status in HELD

        return still

    # -- interviews ----------------------------------------------------------------------------
    async def _interviews(self, outcomes: Counter[str]) -> None:
        rule, zone, now = (
            self.services.config.reminders.interview,
            self.services.config.zone(),
            self.services.now(),
        )

        def slot_day(slot: SlotDoc) -> dt.date:
            return slot.at.astimezone(zone).date()

        days = self._due_days(rule)
        if not days:
            return
        first = max(now, dt.datetime.combine(days[0], dt.time(0), zone))
        last = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(0), zone)
        slots = await self.services.repos.interviews.held_between(first, last)
        due = {
            f"interview:{slot.id}:{rid}": (slot, rid)
            for slot in slots
            for rid in slot.holders
            if self._booked_before(slot, rid, rule.moment(slot_day(slot), zone))
        }
        done = await self.services.repos.reminders.settled(list(due))
        regs = {
            key: reg
            for key, (_, rid) in due.items()
            if key not in done
            and (reg := await self.services.repos.registrations.get(rid)) is not None
            and not reg.cleared()
        }
        users = sorted({reg.user for reg in regs.values()})
        langs = await self.services.repos.users.languages(users) if users else {}
        for key, reg in regs.items():
            slot = due[key][0]
            with language.speaking(langs.get(reg.user, language.BASE)):
                n = self.services.config.nursery(reg.nursery)
                msg = self.services.msg
                text = msg.reminder_interview.format(
                    child_name=reg.child_name,
                    nursery=n.name,
                    when=labels.moment(slot.at.astimezone(zone), msg.formats),
                    documents=msg.list_separator.join(self.services.config.interview_documents),
                    cancel=self._cancel(
                        n, n.cancel_deadline.interview.moment(slot_day(slot), zone)
                    ),
                    phone=n.phone,
                    forms_url=self.services.config.forms_url,
                )
            day = slot_day(slot)
            result = await self._send(
                key, "interview", reg.user, n.id, text, self._holds(slot, reg.id), day
            )
            outcomes[result] += 1

    @staticmethod
    def _booked_before(slot: SlotDoc, rid: str, moment: dt.datetime) -> bool:
        """Booked before its reminder's moment: one booked later (or moved there later) was
        just told everything a reminder says, and LINE's cancel deadline has passed or is
        near."""
        at = slot.booked.get(rid)
        return at is None or at < moment

    def _holds(self, slot: SlotDoc, rid: str) -> Callable[[], Awaitable[bool]]:
        async def still() -> bool:
            fresh = await self.services.repos.interviews.get(slot.id)
            return fresh is not None and rid in fresh.holders

        return still

    # -- one reminder --------------------------------------------------------------------------
    async def _send(
        self,
        key: str,
        kind: str,
        user: str,
        nursery: str,
        text: str,
        still_due: Callable[[], Awaitable[bool]],
        day: dt.date,
    ) -> str:
        """Claim, check the reminder still stands, push, record; the result."""
        claims, now = self.services.repos.reminders, self.services.now()
        keep = dt.datetime.combine(day, dt.time(0), self.services.config.zone()) + KEEP - now
        if not await claims.claim(key, kind, user, now, STALE, MAX_ATTEMPTS, keep):
            return "elsewhere"
        if not await still_due():
            await claims.settle(key, "dropped", now)
            return "dropped"
        try:
            pushed = await self.services.notifier.push(user, [Text(text)], key)
        except Exception as e:  # LINE down or refusing: tried again on a later pass
            await claims.settle(key, "retry", now, type(e).__name__)
            log.warning("reminder_push_failed", kind=kind, error=type(e).__name__)
            result = "retry"
        else:
            settled: ClaimStatus = "sent" if pushed else "blocked"
            await claims.settle(key, settled, now)
            result = settled
        self.services.tally("reminder", kind=kind, result=result, nursery=nursery)
        return result
