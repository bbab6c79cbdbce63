"""Webhook events as received, until handled: the bot's durable queue.

`inbox` holds one document per event; its `_id` is LINE's `webhookEventId`, so
a redelivered event is a no-op. Handled events are kept a week (`done`), events
that failed too often are parked (`dead`) for staff.

`user_leases` holds one document per LINE user: the lease (which worker handles
this user now, and until when) and the queue of the user's events still to be
handled, ordered by `k` (LINE's timestamp, then arrival). A worker takes the
lease and reads the queue in one update, and gives the lease back while taking
the handled events off the queue in another, so handling an event never
searches the inbox, however large it grows, and several server processes share
the work without reordering one user's events.

An event is inserted before it is queued. One that is pending but not queued
(the process died between the two writes) is queued again when LINE redelivers
it, or by the sweeper (`Inbox.stranded`).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from pymongo.errors import BulkWriteError

from storage.mongo import AFTER, ASCENDING, Database, DuplicateKeyError

PENDING, DONE, DEAD = "pending", "done", "dead"
KEEP_DONE = dt.timedelta(days=7)
DUPLICATE = 11000


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_last_arrival = 0


def _arrival() -> int:
    """Nanoseconds since the epoch, strictly increasing within this process."""
    global _last_arrival
    _last_arrival = max(time.time_ns(), _last_arrival + 1)
    return _last_arrival


def order_key(event: dict[str, Any]) -> str:
    """Sorts one user's events: LINE's timestamp (when the user acted), then arrival."""
    ts = event.get("timestamp")
    ms = ts if isinstance(ts, int) and 0 <= ts < 10**15 else 0
    return f"{ms:015d}.{_arrival():020d}"


@dataclass(frozen=True)
class Queued:
    """An event to put on its user's queue."""

    id: str
    user: str
    k: str
    new: bool  # False: a redelivery of an event still pending (it may never have been queued)

    def item(self) -> dict[str, str]:
        return {"id": self.id, "k": self.k}


class Inbox:
    def __init__(self, db: Database) -> None:
        self._c = db["inbox"]

    async def ensure_indexes(self) -> None:
        # The sweeper's look for pending events that never reached a queue.
        await self._c.create_index([("status", ASCENDING), ("received_at", ASCENDING)])
        # Handled events are kept a week (wall-clock, not the injected clock) for audit and
        # to recognise LINE's redeliveries, then MongoDB's TTL monitor removes them.
        await self._c.create_index("purge_at", expireAfterSeconds=0)

    async def add(
        self, events: list[tuple[str, str, dict[str, Any]]], now: dt.datetime
    ) -> list[Queued]:
        """Store (event_id, user, event) triples; return those to queue: the new ones and
        redeliveries of events still pending."""
        if not events:
            return []
        docs = [
            {
                "_id": event_id,
                "user": user,
                "seq": order_key(event),
                "status": PENDING,
                "event": event,
                "received_at": now,
                "retry_at": now,
                "attempts": 0,
            }
            for event_id, user, event in events
        ]
        seen: set[int] = set()
        try:
            await self._c.insert_many(docs, ordered=False)
        except BulkWriteError as e:
            errors = e.details.get("writeErrors", [])
            if any(err.get("code") != DUPLICATE for err in errors):
                raise
            seen = {int(err["index"]) for err in errors}
        out = [
            Queued(d["_id"], d["user"], d["seq"], True) for i, d in enumerate(docs) if i not in seen
        ]
        if seen:
            again = [docs[i]["_id"] for i in seen]
            async for d in self._c.find({"_id": {"$in": again}, "status": PENDING}):
                out.append(Queued(d["_id"], d["user"], d["seq"], False))
        return out

    async def get(self, event_id: str) -> dict[str, Any] | None:
        return await self._c.find_one({"_id": event_id})

    async def mark_done(self, event_id: str, now: dt.datetime) -> None:
        await self._c.update_one(
            {"_id": event_id},
            {
                "$set": {"status": DONE, "done_at": now, "purge_at": _wall_clock() + KEEP_DONE},
                "$unset": {"event": "", "error": "", "retry_at": ""},
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

    async def stranded(self, received_before: dt.datetime, limit: int = 500) -> list[Queued]:
        """Pending events received before a moment (normally handled within seconds): for the
        sweeper to make sure each is on its user's queue."""
        cur = self._c.find(
            {"status": PENDING, "received_at": {"$lt": received_before}},
            {"user": 1, "seq": 1},
        ).limit(limit)
        return [Queued(d["_id"], d["user"], d["seq"], False) async for d in cur]

    async def count(self, status: str) -> int:
        return await self._c.count_documents({"status": status})

    async def oldest(self, status: str) -> dt.datetime | None:
        """When the longest-waiting event with this status arrived (metrics: queue age)."""
        doc = await self._c.find_one(
            {"status": status}, {"received_at": 1}, sort=[("received_at", ASCENDING)]
        )
        return doc["received_at"] if doc else None


class Leases:
    """Per-user lease and queue: at most one worker, in any process, handles a user's events."""

    def __init__(self, db: Database) -> None:
        self._c = db["user_leases"]

    async def ensure_indexes(self) -> None:
        # Users with something queued, for the sweeper (multikey; empty queues have no entry).
        await self._c.create_index("queue.k")

    async def enqueue(self, user: str, events: list[Queued]) -> None:
        """Put new events on the user's queue, in order."""
        push = {"$push": {"queue": {"$each": [q.item() for q in events], "$sort": {"k": 1}}}}
        try:
            await self._c.update_one({"_id": user}, push, upsert=True)
        except DuplicateKeyError:  # created by a concurrent upsert: now it exists
            await self._c.update_one({"_id": user}, push)

    async def requeue(self, user: str, event: Queued) -> None:
        """Queue an event unless it is queued already."""
        try:
            await self._c.update_one(
                {"_id": user, "queue.id": {"$ne": event.id}},
                {"$push": {"queue": {"$each": [event.item()], "$sort": {"k": 1}}}},
                upsert=True,
            )
        except DuplicateKeyError:
            pass  # the user's document exists and already holds the event

    async def acquire(
        self, user: str, owner: str, now: dt.datetime, ttl: dt.timedelta
    ) -> list[dict[str, str]] | None:
        """Take (or renew) the lease; the user's queue, or None if another worker holds it."""
        try:
            doc = await self._c.find_one_and_update(
                {"_id": user, "$or": [{"owner": None}, {"owner": owner}, {"until": {"$lt": now}}]},
                {"$set": {"owner": owner, "until": now + ttl}},
                upsert=True,
                return_document=AFTER,
            )
        except DuplicateKeyError:
            return None
        if doc is None or doc.get("owner") != owner:
            return None
        return list(doc.get("queue", []))

    async def renew(self, user: str, owner: str, now: dt.datetime, ttl: dt.timedelta) -> bool:
        res = await self._c.update_one(
            {"_id": user, "owner": owner}, {"$set": {"until": now + ttl}}
        )
        return res.matched_count == 1

    async def release(
        self, user: str, owner: str, done: list[str] | None = None
    ) -> list[dict[str, str]] | None:
        """Give the lease back, taking `done` events off the queue; what is still queued, or
        None if the lease had been lost to another worker meanwhile."""
        update: dict[str, Any] = {"$unset": {"owner": "", "until": ""}}
        pull = {"$pull": {"queue": {"id": {"$in": done}}}} if done else {}
        doc = await self._c.find_one_and_update(
            {"_id": user, "owner": owner}, {**update, **pull}, return_document=AFTER
        )
        if doc is None:
            if pull:
                await self._c.update_one({"_id": user}, pull)
            return None
        return list(doc.get("queue", []))

    async def with_queue(self, limit: int = 500) -> list[str]:
        """Users with events queued."""
        cur = self._c.find({"queue.k": {"$gte": ""}}, {"_id": 1}).limit(limit)
        return [d["_id"] async for d in cur]
