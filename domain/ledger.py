"""Taking and giving back a childcare booking across its three documents.

A booking is the booking document (written first, as the intent), one seat in
every hour of its band on the day's seat document, and, for a LINE booking,
one of the child's allowance days. Each step is a single-document atomic
update; the booking's status records the decision, so whatever a crash left
half-way is settled by `repair()`: a pending intent older than `repair_after`
(REPAIR_AFTER unless the constructor is told otherwise) is completed if it holds
everything, else given back; a give-back (`failing`, `cancelling`) not finished
`repair_after` after it was decided is finished. Younger ones are left alone, as
a lease would be: the process that started them is still at work. Every step is
idempotent, so a retried event or a concurrent repair does no harm, and a
booking id reused (a double tap) books once.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import structlog

from domain.calendar import default_seats
from domain.services import Services
from storage.bookings import BookingDoc, Status

log = structlog.get_logger(__name__)

REPAIR_AFTER = dt.timedelta(minutes=2)
# The flows repair before they list or take bookings, at most this often per process: a
# half-done booking is only repaired once REPAIR_AFTER old, and every instance's
# maintenance pass repairs each minute besides (bot/maintenance.py).
FLOW_REPAIR_EVERY = dt.timedelta(seconds=30)
ORPHANS_WITHIN = dt.timedelta(minutes=15)

Outcome = Literal["booked", "filled", "limit"]


class Ledger:
    def __init__(self, services: Services, repair_after: dt.timedelta = REPAIR_AFTER) -> None:
        self.services = services
        self.repair_after = repair_after

    def _defaults(self, b: BookingDoc) -> dict[int, int]:
        return default_seats(self.services.config.nursery(b.nursery), b.day())

    async def book(self, intent: BookingDoc) -> Outcome:
        """Take the seats (and the child's day) for `intent`, all or nothing."""
        repos, rules = self.services.repos, self.services.config.booking
        b = await repos.bookings.intend(intent)
        if b.status in ("booked", "cancelling", "cancelled"):
            return "booked"  # the same booking, confirmed before (a double tap or a retry)
        if b.status != "pending":
            return "limit" if b.reason == "limit" else "filled"
        if b.child is not None and not await repos.allowances.take(
            b.child, b.id, b.day(), self.services.today(), rules.max_days_per_child
        ):
            return await self._fail(b, "limit")
        if not await repos.seats.take(b.nursery, b.day(), b.hours(), b.id, self._defaults(b)):
            return await self._fail(b, "filled")
        if await repos.bookings.move(b.id, "pending", "booked", self.services.now()) is not None:
            log.info("booking_booked", booking=b.id, source=b.source)
            self.services.tally("booking", nursery=b.nursery, source=b.source)
            return "booked"
        return await self._settle_after_race(b)

    async def _fail(self, b: BookingDoc, reason: Literal["filled", "limit"]) -> Outcome:
        moved = await self.services.repos.bookings.move(
            b.id, "pending", "failing", self.services.now(), reason
        )
        if moved is None:
            return await self._settle_after_race(b)
        await self._give_back(moved, "failed")
        log.info("booking_failed", booking=b.id, reason=reason)
        return reason

    async def _settle_after_race(self, b: BookingDoc) -> Outcome:
        """The repair decided this booking meanwhile: follow its decision."""
        fresh = await self.services.repos.bookings.get(b.id)
        if fresh is not None and fresh.status == "booked":
            return "booked"
        await self._give_back(b, "failed")
        return "filled"

    async def cancel(self, b: BookingDoc, by: str) -> bool:
        """Cancel a held booking and give its seats and day back. False if it was not held."""
        moved = await self.services.repos.bookings.move(
            b.id, "booked", "cancelling", self.services.now(), by
        )
        if moved is None:
            return False
        await self._give_back(moved, "cancelled")
        log.info("booking_cancelled", booking=b.id, by=by)
        self.services.tally("cancellation", nursery=b.nursery, by=by)
        return True

    # -- seats held for an offer from the waiting list (domain/offers.py) ----------------------
    async def hold(self, intent: BookingDoc) -> bool:
        """Take the seats of `intent` (status `offering`) for an offer, without the child's
        day; True once it holds them (`offered`), False if they are taken (given back)."""
        repos = self.services.repos
        b = await repos.bookings.intend(intent)
        if b.status != "offering":
            return b.status == "offered"
        if not await repos.seats.take(b.nursery, b.day(), b.hours(), b.id, self._defaults(b)):
            moved = await repos.bookings.move(
                b.id, "offering", "failing", self.services.now(), "filled"
            )
            if moved is not None:
                await self._give_back(moved, "failed")
            return False
        if await repos.bookings.move(b.id, "offering", "offered", self.services.now()) is None:
            await self._give_back(b, "failed")  # the repair gave it up meanwhile
            return False
        return True

    async def take_hold(self, b: BookingDoc) -> Outcome | None:
        """The parent takes the offer: the child's day, then the booking is `booked`. `limit`
        if the child may not hold the day (the caller tells a held day from its limit);
        None if the hold was given up meanwhile (passed on)."""
        repos, rules = self.services.repos, self.services.config.booking
        assert b.child is not None
        if not await repos.allowances.take(
            b.child, b.id, b.day(), self.services.today(), rules.max_days_per_child
        ):
            return "limit"
        if await repos.bookings.move(b.id, "offered", "booked", self.services.now()) is not None:
            log.info("booking_booked", booking=b.id, source="waiting")
            self.services.tally("booking", nursery=b.nursery, source="waiting")
            return "booked"
        fresh = await repos.bookings.get(b.id)
        if fresh is not None and fresh.status == "booked":
            return "booked"  # taken already (a double tap)
        await repos.allowances.release(b.child, b.id)
        return None

    async def release_hold(self, b: BookingDoc, reason: str) -> bool:
        """Give an offer's seats back (declined, timed out, passed on); False if it was not
        held (taken, or given back already)."""
        moved = await self.services.repos.bookings.move(
            b.id, "offered", "failing", self.services.now(), reason
        )
        if moved is None:
            return False
        await self._give_back(moved, "failed")
        log.info("offer_released", booking=b.id, reason=reason)
        return True

    async def _give_back(self, b: BookingDoc, final: Literal["failed", "cancelled"]) -> bool:
        """Give the seats and the day back and end the booking; True if anything changed."""
        repos = self.services.repos
        freed = b.child is not None and await repos.allowances.release(b.child, b.id)
        freed = await repos.seats.release(b.nursery, b.day(), b.hours(), b.id) or freed
        frm: Status = "failing" if final == "failed" else "cancelling"
        return await repos.bookings.move(b.id, frm, final, self.services.now()) is not None or freed

    async def _holds_all(self, b: BookingDoc) -> bool:
        day = await self.services.repos.seats.day(b.nursery, b.day())
        if not all(day.holds(h, b.id) for h in b.hours()):
            return False
        if b.child is None:
            return True
        return b.id in await self.services.repos.allowances.holding([b.id])

    async def repair_due(self) -> int:
        """`repair()` for the flows, unless this process ran it in the last FLOW_REPAIR_EVERY
        (a clock set back, as a replay may, repairs again)."""
        now, last = self.services.now(), self.services.repaired_at
        if last is not None and last <= now < last + FLOW_REPAIR_EVERY:
            return 0
        self.services.repaired_at = now
        return await self.repair()

    async def repair(self) -> int:
        """Settle what crashes left half-way; the number of bookings this call changed."""
        repos, now = self.services.repos, self.services.now()
        settled = 0
        for b in await repos.bookings.unsettled(now - self.repair_after):
            if b.status == "offering":  # an offer's hold a crash left half-made
                moved = await repos.bookings.move(b.id, "offering", "failing", now, "interrupted")
                if moved is None:
                    continue
                b = moved
            if b.status == "pending":
                if await self._holds_all(b):
                    if await repos.bookings.move(b.id, "pending", "booked", now) is None:
                        continue
                    log.warning("booking_repaired", booking=b.id, outcome="booked")
                    self.services.tally("repair", outcome="booked")
                    settled += 1
                    continue
                moved = await repos.bookings.move(b.id, "pending", "failing", now, "interrupted")
                if moved is None:
                    continue
                b = moved
            if await self._give_back(b, "cancelled" if b.status == "cancelling" else "failed"):
                log.warning("booking_repaired", booking=b.id, outcome=b.status)
                self.services.tally(
                    "repair", outcome="cancelled" if b.status == "cancelling" else "failed"
                )
                settled += 1
        return settled

    async def sweep_orphans(self) -> int:
        """Give back seats and days still held by bookings that recently ended.

        A process still working on a booking after the repair gave it up can take a
        seat afterwards; it gives the seat back itself, unless it dies first. Giving
        back is idempotent, so every booking ended lately is simply given back again.
        """
        repos, freed = self.services.repos, 0
        ended = await repos.bookings.ended_since(self.services.now() - ORPHANS_WITHIN)
        if not ended:
            return 0
        # Two reads for all of them (the seat days, the allowances), not two per booking.
        days = await repos.seats.some({(b.nursery, b.day()) for b in ended})
        days_held = await repos.allowances.holding([b.id for b in ended if b.child is not None])
        for b in ended:
            day = days.get((b.nursery, b.day()))
            held_seat = day is not None and any(day.holds(h, b.id) for h in b.hours())
            held_day = b.id in days_held
            if held_seat or held_day:
                if b.child is not None:
                    await repos.allowances.release(b.child, b.id)
                await repos.seats.release(b.nursery, b.day(), b.hours(), b.id)
                log.warning("booking_orphan_freed", booking=b.id, status=b.status)
                self.services.tally("repair", outcome="orphan_freed")
                freed += 1
        return freed
