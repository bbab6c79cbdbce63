"""Handles inbox entries: one user's events strictly in order, different users concurrently.

The webhook stores events and puts them on their user's queue, taking the
user's lease in the same command when nobody holds it, and calls `kick(user)`;
a task per user drains that queue under the lease (see storage/inbox.py), so two
processes never handle one user at once. The queue holds the events themselves
and comes with the user's session, so handling an event costs, besides what the
flow itself reads and writes, the session's save and one command that takes the
event off the queue and gives the lease back. Events handled are marked done in
the inbox in batches. A sweeper picks up what nobody is handling: events whose
worker died (the lease expires), failed events due for a retry, and events
stored but never queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import structlog

from bot import metrics
from bot.logs import user_hash
from storage.clock import Clock
from storage.inbox import DEAD, PENDING, Inbox, Leases, Queued
from storage.mongo import StoreUnavailable
from storage.sessions import Sessions

log = structlog.get_logger("bot.line.dispatcher")

Handler = Callable[[dict[str, Any]], Awaitable[None]]

STRANDED_AFTER = dt.timedelta(minutes=1)  # a pending event this old should have been handled
STRANDED_CHECK = dt.timedelta(minutes=1)  # how often the sweeper looks for such events
FLUSH_AT = 64  # handled events marked done in the inbox at once (and at every sweep)


class Dispatcher:
    def __init__(
        self,
        inbox: Inbox,
        leases: Leases,
        sessions: Sessions,
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
        self.sessions = sessions
        self.handler = handler
        self.clock = clock
        self.lease = lease
        self.max_attempts = max_attempts
        self.sweep_every = sweep_every
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._detached: set[asyncio.Task[None]] = set()
        self._again: set[str] = set()
        self._fresh: dict[str, dict[str, Any]] = {}  # queues taken by the webhook meanwhile
        self._finished: list[str] = []  # handled, not yet marked done in the inbox
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
        docs: dict[str, dict[str, Any] | None] = {}
        async with self._accepting.hold({user for _, user, _ in entries}):
            now = self.clock.now()
            queued = await self.inbox.add(entries, now)
            by_user: dict[str, list[Queued]] = {}
            for q in queued:
                by_user.setdefault(q.user, []).append(q)
            for user, events in by_user.items():
                new = [q for q in events if q.new]
                docs[user] = None
                if new:
                    docs[user] = await self.leases.offer(user, new, self.owner, now, self.lease)
                for q in events:
                    if not q.new:  # a redelivery of an event still pending: queued if not
                        await self._requeue(q)
        for user, doc in docs.items():
            self.kick(user, doc)
        return [q.id for q in queued if q.new]

    async def _requeue(self, q: Queued) -> None:
        if await self.leases.requeue(q.user, q) == "handled":
            self._finished.append(q.id)  # handled, its mark in the inbox not yet written

    def detach(self, work: Coroutine[Any, Any, None]) -> None:
        """Run work that needs no queue (a group's notice) beside the users' tasks; `idle` and
        `close` wait for it too."""
        if self._closing:
            work.close()
            return
        task = asyncio.create_task(work)
        self._detached.add(task)
        task.add_done_callback(self._detached.discard)

    def kick(self, user: str, doc: dict[str, Any] | None = None) -> None:
        """Handle the user's queue; `doc`: the user's document, its lease just taken."""
        if self._closing:
            return  # left queued: another process or the next start takes it
        task = self._tasks.get(user)
        if task is not None and not task.done():
            if doc is not None:
                self._fresh[user] = doc
            self._again.add(user)
            return
        self._tasks[user] = asyncio.create_task(self._drain(user, doc))

    # -- the work --------------------------------------------------------------------------
    async def _drain(self, user: str, doc: dict[str, Any] | None) -> None:
        try:
            while True:
                self._again.discard(user)
                if doc is None:
                    doc = await self.leases.acquire(user, self.owner, self.clock.now(), self.lease)
                    if doc is None:
                        return  # another worker has this user; it re-checks before letting go
                self.sessions.carry(user, doc)  # read with the lease: the session as it is
                seen: set[str] = set()
                rest = await self._work(user, list(doc.get("queue", [])), seen)
                fresh = self._fresh.pop(user, None)
                if rest is None:
                    return  # the lease ran out and another worker took over
                doc = None
                if any(item["id"] not in seen for item in rest):
                    continue  # queued between our look and the release: take the lease again
                if fresh is not None:
                    doc = fresh  # the webhook took the lease again after we gave it back
                    continue
                if user not in self._again:
                    return
        except StoreUnavailable as e:
            log.error("store_unavailable", user=user_hash(user), error=type(e).__name__)
        except Exception:
            log.exception("dispatch_failed", user=user_hash(user))
        finally:
            self._tasks.pop(user, None)
            if len(self._finished) >= FLUSH_AT:
                await self._flush()

    async def _work(
        self, user: str, queue: list[dict[str, Any]], seen: set[str]
    ) -> list[dict[str, Any]] | None:
        """Handle the queued events in order, then give the lease back: what is still queued
        then, or None if the lease was lost. Stops at an event that failed and waits for a
        retry (the events behind it wait too). Events handled are taken off the queue
        before the next one is handled, so a worker dying in between re-runs none."""
        held_since = self.clock.now()
        done: list[str] = []
        try:
            while queue:
                item = queue.pop(0)
                if item["id"] in seen:
                    continue
                seen.add(item["id"])
                now = self.clock.now()
                if not _due(item, now):
                    break  # keep order: a failed event blocks this user's later ones
                if now - held_since > self.lease / 3:  # a long queue keeps the lease
                    if not await self.leases.renew(user, self.owner, now, self.lease):
                        return None
                    held_since = now
                if await self._handle_one(user, item) == "retry":
                    break  # retried later by the sweeper, order kept
                done.append(item["id"])
                if not queue and user in self._fresh:  # queued by the webhook meanwhile
                    queue = [i for i in self._fresh.pop(user)["queue"] if i["id"] not in seen]
                if queue:
                    now = self.clock.now()
                    if not await self.leases.progress(user, self.owner, done, now, self.lease):
                        return None
                    self._finished.extend(done)
                    done, held_since = [], now
        finally:
            rest = await self.leases.release(user, self.owner, done)
            self._finished.extend(done)  # off the queue: the inbox may be told later
        return rest

    async def _handle_one(self, user: str, item: dict[str, Any]) -> str:
        """Handle one event: "done", "dead" (parked after too many failures) or "retry"."""
        event_id = item["id"]
        if item.get("event") is None:  # queued without its event: read it from the inbox
            entry = await self.inbox.get(event_id)
            if entry is None or entry.get("status") != PENDING:
                return "done"  # handled before, parked, or purged: off the queue
        else:
            entry = {"_id": event_id, "user": user, "event": item["event"]}
        started = time.perf_counter()
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
                user=user_hash(user),
                attempts=doc.get("attempts") if doc else None,
                parked=parked,
            )
            if doc is None:
                return "done"  # no longer pending: finished elsewhere meanwhile
            (metrics.EVENTS_PARKED if parked else metrics.EVENTS_RETRIED).inc()
            if parked:
                return "dead"
            await self.leases.delay(user, event_id, doc["retry_at"])
            return "retry"
        metrics.HANDLING.observe(time.perf_counter() - started)
        metrics.EVENTS_HANDLED.inc()
        return "done"

    async def _flush(self) -> None:
        """Mark the events handled so far done in the inbox (kept for the next try if the
        store is out of reach: the users' `handled` ids cover them meanwhile)."""
        ids, self._finished = self._finished, []
        try:
            await self.inbox.mark_done(ids, self.clock.now())
        except StoreUnavailable as e:
            self._finished = ids + self._finished
            log.error("store_unavailable", during="mark_done", error=type(e).__name__)

    # -- background ------------------------------------------------------------------------
    async def sweep_once(self) -> int:
        """Kick every user with events queued (a dead worker's, failed ones due for a retry);
        now and then, queue pending events that never reached a queue."""
        now = self.clock.now()
        if self._stranded_at is None or now - self._stranded_at >= STRANDED_CHECK:
            self._stranded_at = now
            for q in await self.inbox.stranded(now - STRANDED_AFTER):
                await self._requeue(q)
        await self._flush()
        users = await self.leases.with_queue()
        for user in users:
            task = self._tasks.get(user)
            if task is None or task.done():  # a running task sees its queue when it lets go
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
        while self._tasks or self._detached:
            tasks = [*self._tasks.values(), *self._detached]
            await asyncio.gather(*tasks, return_exceptions=True)
        await self._flush()

    async def close(self, grace: float = 10.0) -> None:
        """Stop taking work; let in-flight events finish (or leave them pending for others)."""
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        tasks = [*self._tasks.values(), *self._detached]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            for t in late:
                t.cancel()
        await self._flush()


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


def _due(item: dict[str, Any], now: dt.datetime) -> bool:
    retry_at = item.get("retry_at")
    if retry_at is None:
        return True
    if retry_at.tzinfo is None:
        retry_at = retry_at.replace(tzinfo=dt.UTC)
    return bool(retry_at <= now)
