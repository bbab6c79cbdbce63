"""Handles inbox entries: one user's events strictly in order, different users concurrently.

The webhook stores events, puts them on their user's queue and calls
`kick(user)`; a task per user drains that queue under a lease in the database
(taken and given back together with the queue, see storage/inbox.py), so two
processes never handle one user at once. A sweeper picks up what nobody is
handling: events whose worker died (the lease expires), failed events due for
a retry, and events stored but never queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import structlog

from bot.logs import user_hash
from storage.clock import Clock
from storage.inbox import DEAD, PENDING, Inbox, Leases, Queued
from storage.mongo import StoreUnavailable

log = structlog.get_logger("bot.line.dispatcher")

Handler = Callable[[dict[str, Any]], Awaitable[None]]

STRANDED_AFTER = dt.timedelta(minutes=1)  # a pending event this old should have been handled
STRANDED_CHECK = dt.timedelta(minutes=1)  # how often the sweeper looks for such events


class Dispatcher:
    def __init__(
        self,
        inbox: Inbox,
        leases: Leases,
        handler: Handler,
        clock: Clock,
        *,
        lease: dt.timedelta = dt.timedelta(seconds=30),
        max_attempts: int = 5,
        sweep_every: float = 5.0,
        owner: str | None = None,
    ) -> None:
        self.inbox = inbox
        self.leases = leases
        self.handler = handler
        self.clock = clock
        self.lease = lease
        self.max_attempts = max_attempts
        self.sweep_every = sweep_every
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._closing = False
        self._stranded_at: dt.datetime | None = None
        self._accepting = UserLocks()

    # -- called by the webhook -------------------------------------------------------------
    async def accept(self, entries: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
        """Store events durably (redeliveries are dropped here), queue them, start handling.

        A user's events from webhooks arriving at once are stored and queued one webhook at
        a time in this process: otherwise a later event, queued first, could be handled
        before an earlier one reaches the queue (seen against a MongoDB server).
        """
        async with self._accepting.hold({user for _, user, _ in entries}):
            queued = await self.inbox.add(entries, self.clock.now())
            by_user: dict[str, list[Queued]] = {}
            for q in queued:
                by_user.setdefault(q.user, []).append(q)
            for user, events in by_user.items():
                new = [q for q in events if q.new]
                if new:
                    await self.leases.enqueue(user, new)
                for q in events:
                    if not q.new:  # a redelivery of an event still pending: queued if not
                        await self.leases.requeue(user, q)
        for user in by_user:
            self.kick(user)
        return [q.id for q in queued if q.new]

    def kick(self, user: str) -> None:
        if self._closing:
            return  # left queued: another process or the next start takes it
        task = self._tasks.get(user)
        if task is not None and not task.done():
            self._again.add(user)
            return
        self._tasks[user] = asyncio.create_task(self._drain(user))

    # -- the work --------------------------------------------------------------------------
    async def _drain(self, user: str) -> None:
        try:
            while True:
                self._again.discard(user)
                queue = await self.leases.acquire(user, self.owner, self.clock.now(), self.lease)
                if queue is None:
                    return  # another worker has this user; it re-checks before letting go
                seen: set[str] = set()
                done: list[str] = []
                try:
                    await self._handle_queue(user, queue, seen, done)
                finally:
                    rest = await self.leases.release(user, self.owner, done)
                if rest is None:
                    return  # the lease ran out and another worker took over
                # Events queued between our look and the release (by any process).
                if user not in self._again and all(item["id"] in seen for item in rest):
                    return
        except StoreUnavailable as e:
            log.error("store_unavailable", user=user_hash(user), error=type(e).__name__)
        except Exception:
            log.exception("dispatch_failed", user=user_hash(user))
        finally:
            self._tasks.pop(user, None)

    async def _handle_queue(
        self, user: str, queue: list[dict[str, str]], seen: set[str], done: list[str]
    ) -> None:
        """Handle the queued events in order; stop at one that failed and waits for a retry."""
        held_since = self.clock.now()
        for item in queue:
            event_id = item["id"]
            seen.add(event_id)
            entry = await self.inbox.get(event_id)
            if entry is None or entry.get("status") != PENDING:
                done.append(event_id)  # handled before, parked, or purged: off the queue
                continue
            now = self.clock.now()
            if not _due(entry, now):
                return  # keep order: a failed event blocks this user's later ones
            if now - held_since > self.lease / 3:  # a long queue keeps the lease
                if not await self.leases.renew(user, self.owner, now, self.lease):
                    return
                held_since = now
            if await self._handle_one(entry) == "retry":
                return  # retried later by the sweeper, order kept
            done.append(event_id)

    async def _handle_one(self, entry: dict[str, Any]) -> str:
        """Handle one event: "done", "dead" (parked after too many failures) or "retry"."""
        event_id = entry["_id"]
        try:
            await self.handler(entry)
        except asyncio.CancelledError:
            raise
        except StoreUnavailable:
            raise
        except Exception as e:
            doc = await self.inbox.mark_failed(
                event_id, type(e).__name__, self.clock.now(), self.max_attempts
            )
            parked = doc is not None and doc.get("status") == DEAD
            log.exception(
                "event_failed",
                event_id=event_id,
                user=user_hash(entry["user"]),
                attempts=doc.get("attempts") if doc else None,
                parked=parked,
            )
            if doc is None:
                return "done"  # no longer pending: finished elsewhere meanwhile
            return "dead" if parked else "retry"
        await self.inbox.mark_done(event_id, self.clock.now())
        return "done"

    # -- background ------------------------------------------------------------------------
    async def sweep_once(self) -> int:
        """Kick every user with events queued (a dead worker's, failed ones due for a retry);
        now and then, queue pending events that never reached a queue."""
        now = self.clock.now()
        if self._stranded_at is None or now - self._stranded_at >= STRANDED_CHECK:
            self._stranded_at = now
            for q in await self.inbox.stranded(now - STRANDED_AFTER):
                await self.leases.requeue(q.user, q)
        users = await self.leases.with_queue()
        for user in users:
            self.kick(user)
        return len(users)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_every)
            try:
                await self.sweep_once()
            except StoreUnavailable as e:
                log.error("store_unavailable", during="sweep", error=type(e).__name__)
            except Exception:
                log.exception("sweep_failed")

    def start(self) -> None:
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_forever())

    async def idle(self) -> None:
        """Wait until no user task is running (tests, replays, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def close(self, grace: float = 10.0) -> None:
        """Stop taking work; let in-flight events finish (or leave them pending for others)."""
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        tasks = list(self._tasks.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            for t in late:
                t.cancel()


class UserLocks:
    """One lock per user, held only while in use (the map does not grow with every user)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, users: set[str]) -> AsyncIterator[None]:
        order = sorted(users)  # always taken in one order: two webhooks never wait on each other
        for user in order:
            lock, n = self._locks.get(user) or (asyncio.Lock(), 0)
            self._locks[user] = (lock, n + 1)
        try:
            async with contextlib.AsyncExitStack() as stack:
                for user in order:
                    await stack.enter_async_context(self._locks[user][0])
                yield
        finally:
            for user in order:
                lock, n = self._locks[user]
                if n == 1:
                    del self._locks[user]
                else:
                    self._locks[user] = (lock, n - 1)


def _due(entry: dict[str, Any], now: dt.datetime) -> bool:
    retry_at = entry.get("retry_at")
    if retry_at is None:
        return True
    if retry_at.tzinfo is None:
        retry_at = retry_at.replace(tzinfo=dt.UTC)
    return retry_at <= now
