"""キャンセル待ち, the seats' side: freed seats offered to the line, first come first, once.

`seats_freed(nursery, date)` is called wherever seats come free on a day: a parent's
cancellation (domain/holdings.py), a staff cancellation (domain/bookings.py), a
registration removed (domain/registrations.py), seats raised or a day opened
(domain/seat_settings.py), an offer declined, timed out or passed on (here), and, for
whatever a crash or a race let slip, the maintenance pass for every day with a line
(`run_once`). One process at a time goes through a day's line (the day's lease,
storage/waiting.py); a call while another holds it asks that one to go again.

Going through the line: every entry still `waiting`, by time joined, whose every hour
has a free seat now is offered them, unless the child cannot take them: a child holding
its `booking.max_days_per_child` days is passed over and keeps its place; a child that
holds that day, whose registration can no longer book it, or whose band has begun
leaves the line (`ended`). An offer HOLDS the seats: a booking document in status
`offered` that takes them through the ledger (so the calendar counts them as taken and
nobody else can book them) but not the child's day (domain/ledger.py `hold`). It lasts
until `offered_until` = now + config `waiting.offer_minutes`, never past the start of
the band (a band that has begun can no longer be booked on LINE). The parent is pushed
the offer with 予約する / 辞退する (retry key `waiting-offer:<offer>`, so a retry never
doubles it). The answers are domain/waiting.py's.

The hold's booking document decides every race over an offer: taking it moves it
`offered` → `booked`, every way of ending it moves it `offered` → `failing` first; the
entry then follows the booking (`follow`), which the maintenance pass also does for an
entry a crash left behind.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

import structlog

from domain import labels
from domain.calendar import Calendar
from domain.config import Nursery
from domain.ledger import REPAIR_AFTER, Ledger
from domain.lifecycle import Life
from domain.notices import Addressee, Template, notify, speaking_to
from domain.replies import Button, Carousel, Column
from domain.services import Services
from storage.bookings import BookingDoc
from storage.waiting import ACTIVE, Status, WaitingDoc

log = structlog.get_logger(__name__)

LEASE = dt.timedelta(minutes=2)  # a day's lease: taken again after this (its process died)
PASSES = 20  # passes over one line in one call, at most (each one asked for by a call)
# what a hold given back says the entry becomes (other reasons: back in line, waiting)
FOLLOWS: dict[str, Status] = {
    s: s for s in ("declined", "expired", "left", "removed", "ended", "booked")
}

TAKE, DECLINE, LEAVE = "take", "decline", "leave"


def postback(action: str, key: str) -> str:
    """The postback data of a waiting-list button: `w|take|<offer>`, `w|decline|<offer>`
    (the offer push's buttons) and `w|leave|<entry>` (leaving the line)."""
    return f"w|{action}|{key}"


def parse_postback(data: str) -> tuple[str, str] | None:
    """(action, key) of a waiting-list postback, or None if `data` is not one."""
    kind, _, rest = data.partition("|")
    action, _, key = rest.partition("|")
    if kind != "w" or action not in (TAKE, DECLINE, LEAVE) or not key:
        return None
    return action, key


class Offers:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.ledger = Ledger(services)
        self.calendar = Calendar(services)

    # -- seats came free -----------------------------------------------------------------------
    async def seats_freed(self, nursery: str, date: dt.date) -> int:
        """Seats may have come free on `date`: offer them to its line. Any process may call
        it at any time, as often as it likes; the number of offers this call made."""
        w, now = self.services.repos.waiting, self.services.now()
        if date < self.services.today() or not await w.has_line(nursery, date):
            return 0
        await w.ask(nursery, date)
        owner = self.services.ids.new()
        gen = await w.lease(nursery, date, owner, now, now + LEASE)
        if gen is None:
            return 0  # another process is going through the line: it goes again for us
        made = 0
        try:
            for _ in range(PASSES):
                made += await self._pass(self.services.config.nursery(nursery), date)
                gen = await w.unlease(nursery, date, owner, gen)
                if gen is None:
                    break
        finally:
            if gen is not None:
                await w.unlease(nursery, date, owner, None)
        return made

    async def _pass(self, n: Nursery, date: dt.date) -> int:
        line = await self.services.repos.waiting.line(n.id, date)
        free = await self.calendar.day_free(n, date)
        zone, now, made = self.services.config.zone(), self.services.now(), 0
        for e in line:
            if e.status != "waiting":
                continue
            if dt.datetime.combine(e.day(), dt.time(e.start), zone) <= now:
                await self.withdraw(e, "ended", "past", pass_on=False)
                continue
            why = await self.unable(e)
            if why in ("same_day", "not_cleared"):  # booked that day meanwhile, removed, ...
                await self.withdraw(e, "ended", why, pass_on=False)
                continue
            if why == "limit" or not all(free.get(h, 0) > 0 for h in e.hours()):
                continue  # a child at its limit keeps its place: it may give a day back
            if await self._offer(e, n):
                made += 1
                for h in e.hours():
                    free[h] -= 1
            else:
                free = await self.calendar.day_free(n, date)
        return made

    async def unable(self, e: WaitingDoc) -> str | None:
        """Why the child cannot take seats for `e` now: `limit` (holds its days), `same_day`
        (holds that day), `not_cleared` (its registration cannot book that day); or None."""
        repos, today = self.services.repos, self.services.today()
        reg = await repos.registrations.get(e.registration)
        if reg is None:
            return "not_cleared"
        life = Life(reg, None, today, self.services.config.zone())
        expiry = life.expiry()
        if life.state != "cleared" or (expiry is not None and e.day() > expiry):
            return "not_cleared"
        held = (await repos.allowances.get(e.child)).future(today)
        if any(h.date == e.date for h in held):
            return "same_day"
        if len(held) >= self.services.config.booking.max_days_per_child:
            return "limit"
        return None

    async def _offer(self, e: WaitingDoc, n: Nursery) -> bool:
        """Offer `e` the seats of its band: claim the entry, hold the seats, push."""
        w, now, zone = self.services.repos.waiting, self.services.now(), self.services.config.zone()
        offer = self.services.ids.new()
        begins = dt.datetime.combine(e.day(), dt.time(e.start), zone)
        until = min(now + dt.timedelta(minutes=self.services.config.waiting.offer_minutes), begins)
        claimed = await w.move(
            e.id, ("waiting",), "offered", now, version=e.version,
            offer=offer, offered_at=now, offered_until=until, told=False, reason=None,
        )  # fmt: skip
        if claimed is None:
            return False
        intent = BookingDoc(
            id=offer, status="offering", source="line", nursery=n.id, date=e.date,
            start=e.start, end=e.end, user=e.user, registration=e.registration,
            child_name=e.child_name, child=e.child, answers=e.answers, created_at=now,
            waiting=e.id,
        )  # fmt: skip
        if not await self.ledger.hold(intent):
            await self._back_in_line(claimed)
            return False
        fresh = await w.get(e.id)
        if fresh is None or fresh.status != "offered" or fresh.offer != offer:
            # withdrawn while the seats were being held (left, removed): give them back
            await self.ledger.release_hold(intent, fresh.status if fresh else "ended")
            return False
        log.info(
            "waiting_offered",
            nursery=n.id,
            date=e.date,
            registration=e.registration,
            offer=offer,
        )
        self.services.tally("waiting_offer", nursery=n.id)
        await self.tell_offer(fresh)
        return True

    async def _back_in_line(self, e: WaitingDoc) -> None:
        """The offer's seats could not be held: the entry waits again, in its place."""
        await self.services.repos.waiting.move(
            e.id, ("offered",), "waiting", self.services.now(), if_offer=e.offer,
            offer=None, offered_at=None, offered_until=None, told=False,
        )  # fmt: skip

    # -- telling the parent --------------------------------------------------------------------
    def fields(self, e: WaitingDoc) -> dict[str, str]:
        """The fields the waiting list's messages are filled with."""
        msg, n = self.services.msg, self.services.config.nursery(e.nursery)
        until = e.offered_until.astimezone(self.services.config.zone()) if e.offered_until else None
        return {
            "child_name": e.child_name,
            "nursery": n.name,
            "day": labels.day(e.day(), msg.formats),
            "start": labels.hour(e.start, self.services.msg.formats),
            "end": labels.hour(e.end, self.services.msg.formats),
            "until": labels.moment(until, msg.formats) if until else "",
            "phone": n.phone,
            "max": str(self.services.config.booking.max_days_per_child),
        }

    async def tell_offer(self, e: WaitingDoc) -> None:
        """Push the offer as a card whose buttons stay (quick replies would go with the
        parent's next message while the seats are still held); an unreachable parent
        (blocked) passes it on."""
        assert e.offer is not None
        async with speaking_to(self.services, e.user):  # theirs, whoever freed the seats
            wm = self.services.msg.waiting
            buttons = (
                Button(wm.label_take, "postback", postback(TAKE, e.offer)),
                Button(wm.label_decline, "postback", postback(DECLINE, e.offer)),
            )
            body = wm.offer_push.format(**self.fields(e))
            card = Carousel(body, (Column(wm.offer_title, body, buttons),))
        try:
            sent = await self.services.notifier.push(e.user, [card], f"waiting-offer:{e.offer}")
        except Exception as ex:  # LINE down: the maintenance pass pushes again (same key)
            log.warning("waiting_offer_push_failed", error=type(ex).__name__)
            return
        await self.services.repos.waiting.mark_told(e.id, e.offer)
        if not sent:
            log.info("waiting_offer_unreachable", registration=e.registration, date=e.date)
            await self.withdraw(e, "ended", "unreachable")

    async def _push(self, e: WaitingDoc, template: Template, key: str) -> None:
        """Tell the parent in their language; one LINE cannot reach (down, blocked) is
        listed for staff to phone, as every other notice is."""
        to = Addressee(e.nursery, e.child_name, e.user, e.registration)
        await notify(
            self.services, to, lambda: template(self.services.msg).format(**self.fields(e)), key
        )

    # -- ending an entry -----------------------------------------------------------------------
    async def withdraw(
        self, e: WaitingDoc, to: Status, reason: str | None = None, pass_on: bool = True
    ) -> WaitingDoc | None:
        """Take `e` off the line as `to` (giving its offer's seats back first, and passing
        them on unless `pass_on` is False); the entry after, or None if it was no longer in
        line or its offer had been taken (it is then `booked`)."""
        w, bookings = self.services.repos.waiting, self.services.repos.bookings
        for _ in range(5):
            held = False
            if e.status == "offered" and e.offer is not None:
                b = await bookings.get(e.offer)
                if b is not None and b.status == "offered":
                    held = await self.ledger.release_hold(b, to)
                    b = await bookings.get(e.offer)
                if b is not None and b.status == "booked":
                    await self.follow(e)
                    return None
            moved = await w.move(e.id, ACTIVE, to, self.services.now(), version=e.version,
                                 reason=reason)  # fmt: skip
            fresh = moved or await w.get(e.id)
            if moved is None and held and fresh is not None and fresh.offer == e.offer:
                # another process saw the hold given back and moved the entry as it says
                moved = fresh if fresh.status == to else None
            if moved is not None:
                # whether a reason was given, never its words (staff type them freely)
                log.info(
                    "waiting_ended",
                    registration=e.registration,
                    date=e.date,
                    status=to,
                    reason_given=bool(reason),
                )
                if (held or e.status == "offered") and pass_on:
                    await self.seats_freed(e.nursery, e.day())
                return moved
            if fresh is None or fresh.status not in ACTIVE:
                return None
            e = fresh
        return None

    async def follow(self, e: WaitingDoc) -> WaitingDoc | None:
        """Bring an offered entry in line with its hold: taken → `booked`; given back → what
        the give-back says (declined, expired, ...) or back in line. None if nothing to do."""
        if e.status != "offered" or e.offer is None:
            return None
        w, now = self.services.repos.waiting, self.services.now()
        b = await self.services.repos.bookings.get(e.offer)
        if b is None or b.status in ("offering", "offered"):
            if b is None and e.offered_at is not None and e.offered_at < now - REPAIR_AFTER:
                await self._back_in_line(e)  # claimed, then the process died
            return None
        if b.status in ("booked", "cancelling", "cancelled"):
            return await w.move(e.id, ("offered",), "booked", now, if_offer=e.offer)
        to = FOLLOWS.get(b.reason or "")
        if to is None or to == "booked":
            await self._back_in_line(e)
            return await w.get(e.id)
        return await w.move(e.id, ("offered",), to, now, if_offer=e.offer)

    async def expire(self, e: WaitingDoc) -> bool:
        """The offer ran out unanswered: its seats go to the next in line, the parent is
        told. False if it was answered meanwhile."""
        if await self.withdraw(e, "expired") is None:
            return False
        assert e.offer is not None
        await self._push(e, lambda m: m.waiting.offer_expired_push, f"waiting-expired:{e.offer}")
        self.services.tally("waiting_expired", nursery=e.nursery)
        return True

    async def end_registration(self, registration: str) -> int:
        """A registration was removed: its entries leave their lines (offers passed on)."""
        ended = 0
        for e in await self.services.repos.waiting.of_registration(registration):
            ended += await self.withdraw(e, "ended", "registration_removed") is not None
        return ended

    async def close_day(self, nursery: str, date: dt.date, reason: str | None) -> int:
        """臨時休園: the day's line ends (nothing passed on), each parent told."""
        ended = 0
        for e in await self.services.repos.waiting.line(nursery, date):
            if await self.withdraw(e, "ended", "closed", pass_on=False) is not None:
                to = Addressee(nursery, e.child_name, e.user, e.registration)
                word = partial(self.closed_text, e, reason)
                await notify(self.services, to, word, f"waiting-closed:{e.id}:{e.version}")
                ended += 1
        return ended

    def closed_text(self, e: WaitingDoc, reason: str | None) -> str:
        msg = self.services.msg
        return msg.waiting.closed_push.format(**self.fields(e), reason=self.reason_line(reason))

    def reason_line(self, reason: str | None) -> str:
        text = (reason or "").strip()
        return self.services.msg.staff_reason_line.format(reason=text) if text else ""

    # -- the maintenance pass ------------------------------------------------------------------
    async def run_once(self) -> int:
        """Offers that ran out are passed on, entries a crash left behind follow their holds,
        offers not yet pushed are pushed, entries of past days end, and every day with a
        line is gone through (seats freed by a repair, a race, a crash). Offers made."""
        repos, now = self.services.repos, self.services.now()
        for e in await repos.waiting.offered():
            if e.offered_until is not None and e.offered_until < now:
                await self.expire(e)
            elif await self.follow(e) is None and not e.told:
                b = await repos.bookings.get(e.offer or "")
                if b is not None and b.status == "offered":
                    await self.tell_offer(e)
        await repos.waiting.end_past(self.services.today(), now)
        made = 0
        for nursery, date in sorted(await repos.waiting.active_days()):
            made += await self.seats_freed(nursery, date)
        return made
