"""Background upkeep of one app instance: settles bookings a crash left half-way, gives back
the slots of interviews whose day has ended (the registration becomes 面談日経過), passes on
the waiting list's offers that ran out and offers seats a line may have missed
(domain/offers.py), pushes the reminders that are due, and, on a store without TTL
indexes (the in-memory one), deletes parked events and reminder claims past their keep.

The booking and cancel flows repair before they start (at most every 30 s per process),
but a seat held by a crashed booking should come back even if nobody books at that
moment; so each instance also runs the ledger's repair and its orphan sweep at start-up and
every `every` seconds. Both are idempotent, so several instances doing them at
once do no harm; reminders are claimed in MongoDB one by one, so each goes out once
(domain/reminders.py). Passes run on the injected clock; a replay moving its
frozen clock runs one at once (`run_once`), waiting for a pass under way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

from domain.ledger import Ledger
from domain.offers import Offers
from domain.registrations import Registrations
from domain.reminders import Reminders
from domain.services import Services
from storage.mongo import StoreUnavailable

log = structlog.get_logger(__name__)
T = TypeVar("T")


class Maintenance:
    def __init__(self, services: Services, every: float = 60.0) -> None:
        self.ledger = Ledger(services)
        self.repos = services.repos
        self.reminders = Reminders(services)
        self.registrations = Registrations(services)
        self.offers = Offers(services)
        self.every = every
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def run_once(self) -> int:
        """One pass; failures are logged (and retried next pass), never raised. Returns the
        number of bookings settled."""
        async with self._lock:
            settled = await self._step("repair", self._repair) or 0
            await self._step("interviews", self.registrations.settle_lapsed)
            await self._step("waiting", self.offers.run_once)
            await self._step("reminders", self.reminders.run_once)
            await self._step("purge", self.repos.purge_expired)
        return settled

    async def _repair(self) -> int:
        settled = await self.ledger.repair() + await self.ledger.sweep_orphans()
        if settled:
            log.info("bookings_settled", count=settled)
        return settled

    @staticmethod
    async def _step(during: str, step: Callable[[], Awaitable[T]]) -> T | None:
        """Run one part of the pass; a failure is logged, and the next pass tries again."""
        try:
            return await step()
        except StoreUnavailable as e:
            log.error("store_unavailable", during=during, error=type(e).__name__)
        except Exception:
            log.exception(f"{during}_failed")
        return None

    async def _forever(self) -> None:
        while True:
            await self.run_once()
            await asyncio.sleep(self.every)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
