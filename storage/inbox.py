"""Webhook events as received, until handled: the bot's durable queue.

`_id` is LINE's `webhookEventId`, so a redelivered event is a no-op. Events of
one user are handled in `seq` order under a per-user lease (`Leases`), so
several server processes can share the work without reordering a user's events.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from storage.mongo import AFTER, ASCENDING, Database, DuplicateKeyError

PENDING, DONE, DEAD = "pending", "done", "dead"
KEEP_DONE = dt.timedelta(days=7)


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Inbox:
    def __init__(self, db: Database) -> None:
        self._c = db["inbox"]
        self._counters = db["counters"]

    async def ensure_indexes(self) -> None:
        await self._c.create_index([("user", ASCENDING), ("status", ASCENDING), ("seq", ASCENDING)])
        await self._c.create_index([("status", ASCENDING), ("retry_at", ASCENDING)])
        # Handled events are kept a week (wall-clock, not the injected clock) for audit and
        # to recognise LINE's redeliveries, then MongoDB's TTL monitor removes them.
        await self._c.create_index("purge_at", expireAfterSeconds=0)

    async def _next_seq(self, n: int) -> int:
        """Reserve `n` consecutive sequence numbers; returns the first."""
        doc = await self._counters.find_one_and_update(
            {"_id": "inbox_seq"}, {"$inc": {"value": n}}, upsert=True, return_document=AFTER
        )
        return int(doc["value"]) - n + 1

    async def add(
        self, events: list[tuple[str, str, dict[str, Any]]], now: dt.datetime
    ) -> list[str]:
        """Store (event_id, user, event) triples in arrival order; return the ids that were new."""
        if not events:
            return []
        first = await self._next_seq(len(events))
        new: list[str] = []
        for i, (event_id, user, event) in enumerate(events):
            try:
                await self._c.insert_one(
                    {
                        "_id": event_id,
                        "user": user,
                        "seq": first + i,
                        "status": PENDING,
                        "event": event,
                        "received_at": now,
                        "retry_at": now,
                        "attempts": 0,
                    }
                )
                new.append(event_id)
            except DuplicateKeyError:
                continue
        return new

    async def pending_for(self, user: str, limit: int = 50) -> list[dict[str, Any]]:
        cur = self._c.find({"user": user, "status": PENDING}).sort("seq", ASCENDING).limit(limit)
        return [doc async for doc in cur]

    async def mark_done(self, event_id: str, now: dt.datetime) -> None:
        await self._c.update_one(
            {"_id": event_id},
            {
                "$set": {"status": DONE, "done_at": now, "purge_at": _wall_clock() + KEEP_DONE},
                "$unset": {"event": "", "error": ""},
            },
        )

    async def mark_failed(
        self, event_id: str, error: str, now: dt.datetime, max_attempts: int
    ) -> dict[str, Any] | None:
        """Count a failed attempt; after `max_attempts` the event is parked as dead for staff."""
        doc = await self._c.find_one_and_update(
            {"_id": event_id, "status": PENDING},
            {"$inc": {"attempts": 1}, "$set": {"error": error[:300]}},
            return_document=AFTER,
        )
        if doc is None:
            return None
        attempts = int(doc["attempts"])
        if attempts >= max_attempts:
            await self._c.update_one({"_id": event_id}, {"$set": {"status": DEAD}})
            doc["status"] = DEAD
        else:
            retry_at = now + dt.timedelta(seconds=min(2**attempts, 300))
            await self._c.update_one({"_id": event_id}, {"$set": {"retry_at": retry_at}})
        return doc

    async def users_due(self, now: dt.datetime, limit: int = 100) -> list[str]:
        """Users with pending events ready to be (re)tried: for the sweeper."""
        cur = self._c.find({"status": PENDING, "retry_at": {"$lte": now}}, {"user": 1}).limit(limit)
        seen: dict[str, None] = {}
        async for doc in cur:
            seen.setdefault(doc["user"], None)
        return list(seen)

    async def get(self, event_id: str) -> dict[str, Any] | None:
        return await self._c.find_one({"_id": event_id})

    async def count(self, status: str) -> int:
        return await self._c.count_documents({"status": status})


class Leases:
    """Per-user leases: at most one worker, in any process, handles a user's events."""

    def __init__(self, db: Database) -> None:
        self._c = db["user_leases"]

    async def acquire(self, user: str, owner: str, now: dt.datetime, ttl: dt.timedelta) -> bool:
        try:
            doc = await self._c.find_one_and_update(
                {"_id": user, "$or": [{"until": {"$lt": now}}, {"owner": owner}]},
                {"$set": {"owner": owner, "until": now + ttl}},
                upsert=True,
                return_document=AFTER,
            )
        except DuplicateKeyError:
            return False
        return doc is not None and doc.get("owner") == owner

    async def release(self, user: str, owner: str) -> None:
        await self._c.delete_one({"_id": user, "owner": owner})
