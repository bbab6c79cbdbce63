"""Handles inbox entries: one user's events strictly in order, different users concurrently.

The webhook stores events and calls `kick(user)`; a task per user drains that
user's pending events under a lease in the database, so two processes never
handle one user at once. A sweeper picks up what nobody is handling: events
whose worker died (the lease expires) and failed events due for a retry.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from bot.logs import user_hash
from storage.clock import Clock
from storage.inbox import Inbox, Leases
from storage.mongo import StoreUnavailable

log = structlog.get_logger("bot.dispatcher")

Handler = Callable[[dict[str, Any]], Awaitable[None]]


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

    # -- called by the webhook -------------------------------------------------------------
    async def accept(self, entries: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
        """Store events durably (redeliveries are dropped here), then start handling them."""
        new = await self.inbox.add(entries, self.clock.now())
        users = {user for event_id, user, _ in entries if event_id in new}
        for user in users:
            self.kick(user)
        return new

    def kick(self, user: str) -> None:
        if self._closing:
            return  # left pending in the inbox: another process or the next start takes it
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
                if not await self.leases.acquire(user, self.owner, self.clock.now(), self.lease):
                    return  # another worker has this user; it re-checks before letting go
                try:
                    await self._handle_pending(user)
                finally:
                    await self.leases.release(user, self.owner)
                # Events may have arrived between our last look and the release.
                if user not in self._again and not await self._has_due(user):
                    return
        except StoreUnavailable as e:
            log.error("store_unavailable", user=user_hash(user), error=type(e).__name__)
        except Exception:
            log.exception("dispatch_failed", user=user_hash(user))
        finally:
            self._tasks.pop(user, None)

    async def _has_due(self, user: str) -> bool:
        now = self.clock.now()
        return any(_due(e, now) for e in await self.inbox.pending_for(user, limit=1))

    async def _handle_pending(self, user: str) -> None:
        while True:
            entries = await self.inbox.pending_for(user)
            if not entries:
                return
            for entry in entries:
                if not _due(entry, self.clock.now()):
                    return  # keep order: a failed event blocks this user's later ones
                # Renew the lease for every event so a long queue keeps it.
                if not await self.leases.acquire(user, self.owner, self.clock.now(), self.lease):
                    return
                await self._handle_one(entry)
                fresh = await self.inbox.get(entry["_id"])
                if fresh is not None and fresh.get("status") == "pending":
                    return  # failed: retried later by the sweeper, order kept

    async def _handle_one(self, entry: dict[str, Any]) -> None:
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
            log.exception(
                "event_failed",
                event_id=event_id,
                user=user_hash(entry["user"]),
                attempts=doc.get("attempts") if doc else None,
                parked=bool(doc and doc.get("status") == "dead"),
            )
            return
        await self.inbox.mark_done(event_id, self.clock.now())

    # -- background ------------------------------------------------------------------------
    async def sweep_once(self) -> int:
        users = await self.inbox.users_due(self.clock.now())
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


def _due(entry: dict[str, Any], now: dt.datetime) -> bool:
    retry_at = entry.get("retry_at")
    if retry_at is None:
        return True
    if retry_at.tzinfo is None:
        retry_at = retry_at.replace(tzinfo=dt.UTC)
    return retry_at <= now
