"""Handles the inbox: one user's events strictly in order, different users concurrently.

The webhook puts events on their user's queue, taking the user's lease in the same
command when nobody holds it, and calls `kick(user)`; a task per user drains that queue
under the lease (see storage/inbox.py), so two processes never handle one user at once.
The queue holds the events themselves and comes with the user's session, so handling an
event costs, besides what the flow itself reads and writes, the session's save and one
command that takes the event off the queue and gives the lease back. A sweeper picks up
what nobody is handling: events whose worker died (the lease expires) and failed events
due for a retry. An event that fails too often is parked for staff (storage/parked.py)
and its sender is told it was not handled (`gave_up`).
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
from storage.inbox import Leases, Queued, order_key
from storage.mongo import StoreUnavailable
from storage.parked import ParkedEvents
from storage.sessions import Sessions

log = structlog.get_logger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]
# Told when an event is parked: (user, queued item). The user hears that it was not handled.
GaveUp = Callable[[str, dict[str, Any]], Awaitable[None]]

MAX_RETRY_WAIT = 300.0  # seconds: a failed event is retried after 2, 4, 8, ... up to this


class Dispatcher:
    def __init__(
        self,
        leases: Leases,
        parked: ParkedEvents,
        sessions: Sessions,
        handler: Handler,
        clock: Clock,
        *,
        lease: dt.timedelta = dt.timedelta(seconds=30),
        max_attempts: int = 5,
        sweep_every: float = 5.0,
        owner: str | None = None,
        gave_up: GaveUp | None = None,
    ) -> None:
        self.leases = leases
        self.parked = parked
        self.sessions = sessions
        self.handler = handler
        self.clock = clock
        self.lease = lease
        self.max_attempts = max_attempts
        self.sweep_every = sweep_every
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.gave_up = gave_up
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._detached: set[asyncio.Task[None]] = set()
        self._again: set[str] = set()
        self._fresh: dict[str, dict[str, Any]] = {}  # queues taken by the webhook meanwhile
        self._sweeper: asyncio.Task[None] | None = None
        self._closing = False
        self._accepting = UserLocks()

    # -- called by the webhook -------------------------------------------------------------
    async def accept(self, entries: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
        """Queue events durably (redeliveries are dropped here), start handling them; the
        ids of the events queued now.

        A user's events from webhooks arriving at once are queued one webhook at a time in
        this process: otherwise a later event, queued first, could be handled before an
        earlier one reaches the queue (seen against a MongoDB server).
        """
        docs: dict[str, dict[str, Any] | None] = {}
        new: list[str] = []
        async with self._accepting.hold({user for _, user, _ in entries}):
            now = self.clock.now()
            by_user: dict[str, list[Queued]] = {}
            for event_id, user, event in entries:
                q = Queued(event_id, user, order_key(event), event, now)
                by_user.setdefault(user, []).append(q)
            for user, events in by_user.items():
                doc, queued = await self.leases.offer(user, events, self.owner, now, self.lease)
                docs[user] = doc
                new += [q.id for q in queued]
        for user, doc in docs.items():
            self.kick(user, doc)
        return new

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
        if doc is not None and doc.get("previous_owner") == self.owner:
            # The lease was our own task's, which has ended since: events it handled may
            # still be on this copy of the queue, so the new task reads the queue again.
            doc = None
        self._tasks[user] = asyncio.create_task(self._drain(user, doc))

    # -- the work --------------------------------------------------------------------------
    async def _drain(self, user: str, doc: dict[str, Any] | None) -> None:
        taken: set[str] = set()  # handled and off the queue, by this task
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
                taken |= seen - {item["id"] for item in rest}
                doc = None
                if any(item["id"] not in seen for item in rest):
                    continue  # queued between our look and the release: take the lease again
                if fresh is not None:
                    # The webhook took the lease (ours) and read the queue before we took
                    # our handled events off it: those are not handled again.
                    fresh["queue"] = [i for i in fresh.get("queue", []) if i["id"] not in taken]
                    doc = fresh
                    continue
                if user not in self._again:
                    return
        except StoreUnavailable as e:
            log.error("store_unavailable", user=user_hash(user), error=type(e).__name__)
        except Exception:
            log.exception("dispatch_failed", user=user_hash(user))
        finally:
            self._tasks.pop(user, None)

    async def _work(
        self, user: str, queue: list[dict[str, Any]], seen: set[str]
    ) -> list[dict[str, Any]] | None:
        """Handle the queued events in order, then give the lease back: what is still queued
        then, or None if the lease was lost. Stops at an event that failed and waits for a
        retry (the events behind it wait too). Events handled are taken off the queue
        before the next one is handled, so a worker dying in between re-runs none."""
        held_since = self.clock.now()
        done: list[str] = []
        answered = False  # whether every event taken was answered (none waits for a retry)
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
                    done, held_since = [], now
            else:  # no event stopped the run: each one taken was answered
                answered = True
        finally:
            rest = await self.leases.release(user, self.owner, done, answered)
        return rest

    async def _handle_one(self, user: str, item: dict[str, Any]) -> str:
        """Handle one event: "done", "dead" (parked after too many failures) or "retry"."""
        event_id = item["id"]
        if item.get("event") is None:  # queued by a version that kept the event elsewhere
            log.warning("queued_without_event", event_id=event_id, user=user_hash(user))
            return "done"
        started = time.perf_counter()
        try:
            # `failed`: an earlier attempt ended in an error it reported; without one, an
            # event handled before was cut short by its worker's death (see EventHandler)
            entry = {"_id": event_id, "user": user, "event": item["event"]}
            await self.handler({**entry, "failed": bool(item.get("attempts"))})
        except asyncio.CancelledError:
            raise
        except StoreUnavailable:
            raise
        except Exception as e:
            return await self._failed(user, item, type(e).__name__)
        metrics.HANDLING.observe(time.perf_counter() - started)
        metrics.EVENTS_HANDLED.inc()
        return "done"

    async def _failed(self, user: str, item: dict[str, Any], error: str) -> str:
        """Count a failed attempt: the event waits for a retry, or after `max_attempts` it is
        parked for staff and taken off the queue."""
        attempts = int(item.get("attempts", 0)) + 1
        now = self.clock.now()
        parked = attempts >= self.max_attempts
        log.exception(
            "event_failed",
            event_id=item["id"],
            user=user_hash(user),
            attempts=attempts,
            parked=parked,
        )
        (metrics.EVENTS_PARKED if parked else metrics.EVENTS_RETRIED).inc()
        if parked:
            received = item.get("at") or now
            await self.parked.park(
                item["id"], user, item.get("event"), received, attempts, error, now
            )
            if self.gave_up is not None:
                await self.gave_up(user, item)
            return "dead"
        retry_at = now + dt.timedelta(seconds=min(2.0**attempts, MAX_RETRY_WAIT))
        await self.leases.failed(user, item["id"], attempts, error, retry_at)
        return "retry"

    # -- background ------------------------------------------------------------------------
    async def sweep_once(self) -> int:
        """Kick every user with events queued that no other live worker holds (a dead
        worker's, failed ones due for a retry)."""
        users = await self.leases.with_queue(self.owner, self.clock.now())
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

    async def close(self, grace: float = 10.0) -> None:
        """Stop taking work; let in-flight events finish (or leave them pending for others).
        Events cut short stay queued, their leases given back before this returns, so another
        worker's next sweep takes them at once."""
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        tasks = [*self._tasks.values(), *self._detached]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            for t in late:
                t.cancel()
            if late:  # each one gives its lease back as it ends
                await asyncio.wait(late, timeout=grace)


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
