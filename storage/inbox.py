"""Webhook events as received, until handled: the bot's durable queue.

`inbox` holds one document per event; its `_id` is LINE's `webhookEventId`, so
a redelivered event is a no-op. Handled events are kept a week (`done`); events
that failed too often are parked (`dead`) for staff, also for a week and without
what the parent typed or tapped.

The user's document in `sessions` (the same one that holds the dialog session,
storage/sessions.py) also holds the lease (which worker handles this user now,
and until when), the queue of the user's events still to be handled, ordered by
`k` (LINE's timestamp, then arrival), each with the event itself, and the ids of
the last events handled. So one command stores an event on its user's queue and,
when nobody holds the user, takes the lease and returns the queue and the session
(`Leases.offer`); handling reads nothing more; one command takes the handled events
off the queue and gives the lease back (`Leases.release`). Several server
processes share the work without reordering one user's events.

Marking handled events `done` in `inbox` is batched (`Inbox.mark_done`, many ids at
once): until then the user's `handled` ids say that they were, so neither LINE's
redelivery nor the sweeper queues them again.

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
KEEP = dt.timedelta(days=7)  # handled and parked events, then MongoDB's TTL monitor drops them
# What a parked event loses: what the parent typed or tapped, and the spent reply token. Staff
# keep what diagnoses it: the event's type, ids and timestamp, attempts and the error's kind.
PERSONAL = ("event.message.text", "event.postback", "event.replyToken")
KEEP_HANDLED = 64  # ids of a user's last handled events kept beside the queue
DUPLICATE = 11000
LEASES = "sessions"  # the collection of the users' documents (shared with Sessions)
NOT_RETURNED = {"handled": 0}  # left out of the documents the lease commands return


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
    event: dict[str, Any] | None = None

    def item(self) -> dict[str, Any]:
        return {"id": self.id, "k": self.k, "event": self.event}


class Inbox:
    def __init__(self, db: Database, ttl: bool = True) -> None:
        self._c = db["inbox"]
        self._ttl = ttl  # False: no TTL index; `purge_expired` deletes instead

    async def ensure_indexes(self) -> None:
        # The sweeper's look for pending events that never reached a queue.
        await self._c.create_index([("status", ASCENDING), ("received_at", ASCENDING)])
        # Handled and parked events are kept a week (wall-clock, not the injected clock) for
        # audit and to recognise LINE's redeliveries, then MongoDB's TTL monitor removes them.
        if self._ttl:
            await self._c.create_index("purge_at", expireAfterSeconds=0)

    async def purge_expired(self) -> int:
        """What a TTL index would have deleted by now, on a store without one (0 commands
        where the TTL index does it)."""
        if self._ttl:
            return 0
        res = await self._c.delete_many({"purge_at": {"$lte": _wall_clock()}})
        return res.deleted_count

    async def add(
        self, events: list[tuple[str, str, dict[str, Any]]], now: dt.datetime
    ) -> list[Queued]:
        """Store (event_id, user, event) triples; return those to queue: the new ones and
        redeliveries of events still pending."""
        if not events:
            return []
        docs: list[dict[str, Any]] = [
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
            Queued(d["_id"], d["user"], d["seq"], True, d["event"])
            for i, d in enumerate(docs)
            if i not in seen
        ]
        if seen:
            again = [docs[i]["_id"] for i in seen]
            async for d in self._c.find({"_id": {"$in": again}, "status": PENDING}):
                out.append(Queued(d["_id"], d["user"], d["seq"], False, d.get("event")))
        return out

    async def get(self, event_id: str) -> dict[str, Any] | None:
        return await self._c.find_one({"_id": event_id})

    async def mark_done(self, event_ids: list[str], now: dt.datetime) -> None:
        """Mark handled events done, many at once (parked ones stay parked)."""
        if not event_ids:
            return
        await self._c.update_many(
            {"_id": {"$in": event_ids}, "status": PENDING},
            {
                "$set": {"status": DONE, "done_at": now, "purge_at": _wall_clock() + KEEP},
                "$unset": {"event": "", "error": "", "retry_at": ""},
            },
        )

    async def mark_failed(
        self, event_id: str, error: str, now: dt.datetime, max_attempts: int
    ) -> dict[str, Any] | None:
        """Count a failed attempt; after `max_attempts` the event is parked as dead for staff,
        else it gets its `retry_at`."""
        doc = await self._c.find_one_and_update(
            {"_id": event_id, "status": PENDING},
            {"$inc": {"attempts": 1}, "$set": {"error": error[:300]}},
            return_document=AFTER,
        )
        if doc is None:
            return None
        attempts = int(doc["attempts"])
        if attempts >= max_attempts:
            await self._c.update_one(
                {"_id": event_id},
                {
                    "$set": {"status": DEAD, "dead_at": now, "purge_at": _wall_clock() + KEEP},
                    "$unset": {**dict.fromkeys(PERSONAL, ""), "retry_at": ""},
                },
            )
            doc["status"] = DEAD
        else:
            retry_at = now + dt.timedelta(seconds=min(2**attempts, 300))
            await self._c.update_one({"_id": event_id}, {"$set": {"retry_at": retry_at}})
            doc["retry_at"] = retry_at
        return doc

    async def stranded(self, received_before: dt.datetime, limit: int = 500) -> list[Queued]:
        """Pending events received before a moment (normally handled within seconds): for the
        sweeper to make sure each is on its user's queue."""
        cur = self._c.find(
            {"status": PENDING, "received_at": {"$lt": received_before}},
            {"user": 1, "seq": 1, "event": 1},
        ).limit(limit)
        return [Queued(d["_id"], d["user"], d["seq"], False, d.get("event")) async for d in cur]

    async def count(self, status: str) -> int:
        return await self._c.count_documents({"status": status})

    async def oldest(self, status: str) -> dt.datetime | None:
        """When the longest-waiting event with this status arrived (metrics: queue age)."""
        doc = await self._c.find_one(
            {"status": status}, {"received_at": 1}, sort=[("received_at", ASCENDING)]
        )
        return doc["received_at"] if doc else None


class Leases:
    """Per-user lease and queue: at most one worker, in any process, handles a user's events.

    The commands that take the lease return the user's document (the queue, and the
    dialog session that storage/sessions.py keeps in the same document).
    """

    def __init__(self, db: Database) -> None:
        self._c = db[LEASES]

    async def ensure_indexes(self) -> None:
        # Users with something queued, for the sweeper (multikey; empty queues have no entry).
        await self._c.create_index("queue.k")

    @staticmethod
    def _free(owner: str, now: dt.datetime) -> list[dict[str, Any]]:
        return [{"owner": None}, {"owner": owner}, {"until": {"$lt": now}}]

    async def offer(
        self, user: str, events: list[Queued], owner: str, now: dt.datetime, ttl: dt.timedelta
    ) -> dict[str, Any] | None:
        """Put new events on the user's queue, in order, and take the lease if nobody else
        holds it: the user's document then, else None (the events are queued all the same)."""
        push = {"$push": {"queue": {"$each": [q.item() for q in events], "$sort": {"k": 1}}}}
        try:
            doc = await self._c.find_one_and_update(
                {"_id": user, "$or": self._free(owner, now)},
                {**push, "$set": {"owner": owner, "until": now + ttl}},
                projection=NOT_RETURNED,
                upsert=True,
                return_document=AFTER,
            )
        except DuplicateKeyError:  # another worker holds the user (or created it just now)
            doc = None
        if doc is None:
            try:
                await self._c.update_one({"_id": user}, push, upsert=True)
            except DuplicateKeyError:  # created by a concurrent upsert: now it exists
                await self._c.update_one({"_id": user}, push)
            return None
        return doc if doc.get("owner") == owner else None

    async def requeue(self, user: str, event: Queued) -> str:
        """Queue an event unless it is queued already or was handled: "queued" (now or
        before) or "handled"."""
        try:
            await self._c.update_one(
                {"_id": user, "queue.id": {"$ne": event.id}, "handled": {"$ne": event.id}},
                {"$push": {"queue": {"$each": [event.item()], "$sort": {"k": 1}}}},
                upsert=True,
            )
        except DuplicateKeyError:  # the user's document exists and holds the event
            found = await self._c.find_one({"_id": user, "handled": event.id}, {"_id": 1})
            return "handled" if found is not None else "queued"
        return "queued"

    async def acquire(
        self, user: str, owner: str, now: dt.datetime, ttl: dt.timedelta
    ) -> dict[str, Any] | None:
        """Take (or renew) the lease: the user's document, or None if another worker holds
        it."""
        try:
            doc = await self._c.find_one_and_update(
                {"_id": user, "$or": self._free(owner, now)},
                {"$set": {"owner": owner, "until": now + ttl}},
                projection=NOT_RETURNED,
                upsert=True,
                return_document=AFTER,
            )
        except DuplicateKeyError:
            return None
        if doc is None or doc.get("owner") != owner:
            return None
        return doc

    async def renew(self, user: str, owner: str, now: dt.datetime, ttl: dt.timedelta) -> bool:
        res = await self._c.update_one(
            {"_id": user, "owner": owner}, {"$set": {"until": now + ttl}}
        )
        return res.matched_count == 1

    @staticmethod
    def _handled(done: list[str]) -> dict[str, Any]:
        return {
            "$pull": {"queue": {"id": {"$in": done}}},
            "$push": {"handled": {"$each": done, "$slice": -KEEP_HANDLED}},
        }

    async def progress(
        self, user: str, owner: str, done: list[str], now: dt.datetime, ttl: dt.timedelta
    ) -> bool:
        """Take handled events off the queue while keeping (and renewing) the lease: more
        are to come. False if the lease was lost meanwhile."""
        res = await self._c.update_one(
            {"_id": user, "owner": owner},
            {**self._handled(done), "$set": {"until": now + ttl}},
        )
        if res.matched_count != 1:
            await self._c.update_one({"_id": user}, self._handled(done))
            return False
        return True

    async def release(
        self, user: str, owner: str, done: list[str] | None = None
    ) -> list[dict[str, Any]] | None:
        """Give the lease back, taking `done` events off the queue; what is still queued, or
        None if the lease had been lost to another worker meanwhile."""
        update: dict[str, Any] = {"$unset": {"owner": "", "until": ""}}
        if done:
            update.update(self._handled(done))
        doc = await self._c.find_one_and_update(
            {"_id": user, "owner": owner},
            update,
            projection={"queue": 1},
            return_document=AFTER,
        )
        if doc is None:
            if done:
                await self._c.update_one({"_id": user}, self._handled(done))
            return None
        return list(doc.get("queue", []))

    async def delay(self, user: str, event_id: str, retry_at: dt.datetime) -> None:
        """A failed event waits on the queue until `retry_at` (and the events behind it)."""
        await self._c.update_one(
            {"_id": user, "queue.id": event_id}, {"$set": {"queue.$.retry_at": retry_at}}
        )

    async def with_queue(self, limit: int = 500) -> list[str]:
        """Users with events queued."""
        cur = self._c.find({"queue.k": {"$gte": ""}}, {"_id": 1}).limit(limit)
        return [d["_id"] async for d in cur]
