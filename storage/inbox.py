"""The inbox: each user's queue of webhook events still to be handled.

The queue lives in the user's document in `sessions` (the same document holds the dialog
session, storage/sessions.py), beside the lease (which worker handles this user now, and
until when) and the ids of the user's last events handled. Each queued item holds the
event itself, its order key `k` (LINE's timestamp, then arrival), when it arrived, and,
once handling failed, the attempts and when to try again.

One command stores a webhook's events on their user's queue and, when nobody holds the
user, takes the lease and returns the queue and the session (`Leases.offer`); handling
reads nothing more; one command takes the handled events off the queue and gives the
lease back (`Leases.release`). Several server processes share the work without
reordering one user's events.

An event already on the queue or among the user's last `KEEP_HANDLED` handled is not
queued again, so LINE's redelivery of an event (the same `webhookEventId`) is a no-op.
There is no second record of the event to keep in step: storing it and queueing it are
the same write, so no event can be stored but never queued. Events that failed too
often are taken off the queue and parked for staff (storage/parked.py).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from storage.mongo import AFTER, BEFORE, Database, DuplicateKeyError, IndexModel, create_indexes
from storage.sessions import RERUN_ANSWER

KEEP_HANDLED = 64  # ids of a user's last handled events kept beside the queue
LEASES = "sessions"  # the collection of the users' documents (shared with Sessions)
NOT_RETURNED = {"handled": 0}  # left out of the documents the lease commands return

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


def _k(item: dict[str, Any]) -> str:
    return str(item["k"])


@dataclass(frozen=True)
class Queued:
    """An event to put on its user's queue."""

    id: str
    user: str
    k: str
    event: dict[str, Any] | None
    at: dt.datetime  # when it arrived

    def item(self) -> dict[str, Any]:
        return {"id": self.id, "k": self.k, "event": self.event, "at": self.at}


class Leases:
    """Per-user queue and lease: at most one worker, in any process, handles a user's
    events.

    The commands that take the lease return the user's document (the queue, and the
    dialog session that storage/sessions.py keeps in the same document). `offer` and
    `release` ask for the document as it was before their update and apply the update's
    effect to it themselves (the events put in order, the handled ones taken off): on
    MongoDB that costs the same, and the in-memory store answers with the document after
    an update by scanning the collection once more.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._c = db[LEASES]

    async def ensure_indexes(self) -> None:
        # Users with something queued, for the sweeper (multikey; empty queues have no entry).
        await create_indexes(self._c, [IndexModel("queue.k")])

    @staticmethod
    def _free(owner: str, now: dt.datetime) -> list[dict[str, Any]]:
        return [{"owner": None}, {"owner": owner}, {"until": {"$lt": now}}]

    @staticmethod
    def _push(events: list[Queued]) -> dict[str, Any]:
        return {"$push": {"queue": {"$each": [q.item() for q in events], "$sort": {"k": 1}}}}

    async def offer(
        self, user: str, events: list[Queued], owner: str, now: dt.datetime, ttl: dt.timedelta
    ) -> tuple[dict[str, Any] | None, list[Queued]]:
        """Put events on the user's queue, in order, unless queued or handled before, and
        take the lease if nobody else holds it. Returns the user's document if the lease
        was taken (else None; the events are queued all the same), with `previous_owner`
        (the lease may have been this worker's own), and the events queued now (not those
        LINE delivered again)."""
        ids = [q.id for q in events]
        fresh = {"queue.id": {"$nin": ids}, "handled": {"$nin": ids}}
        until = now + ttl
        try:
            before = await self._c.find_one_and_update(
                {"_id": user, "$or": self._free(owner, now), **fresh},
                {**self._push(events), "$set": {"owner": owner, "until": until}},
                projection=NOT_RETURNED,
                upsert=True,
                return_document=BEFORE,  # see the class docstring
            )
        except DuplicateKeyError:  # another worker holds the user, or an event came before
            pass
        else:  # the lease is ours (None: the document was made now)
            doc = dict(before or {"_id": user})
            doc["queue"] = sorted([*doc.get("queue", []), *(q.item() for q in events)], key=_k)
            doc.update(owner=owner, until=until, previous_owner=doc.get("owner"))
            return doc, events
        try:  # queued all the same, behind the worker that holds the user
            await self._c.update_one({"_id": user, **fresh}, self._push(events), upsert=True)
            return None, events
        except DuplicateKeyError:  # some came before: each one on its own
            return None, [q for q in events if await self.requeue(q) == "new"]

    async def requeue(self, event: Queued) -> str:
        """Queue an event unless it is queued already or was handled: "new", "queued"
        (before) or "handled"."""
        try:
            await self._c.update_one(
                {"_id": event.user, "queue.id": {"$ne": event.id}, "handled": {"$ne": event.id}},
                self._push([event]),
                upsert=True,
            )
        except DuplicateKeyError:  # the user's document exists and holds the event
            found = await self._c.find_one({"_id": event.user, "handled": event.id}, {"_id": 1})
            return "handled" if found is not None else "queued"
        return "new"

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
        self, user: str, owner: str, done: list[str] | None = None, answered: bool = False
    ) -> list[dict[str, Any]] | None:
        """Give the lease back, taking `done` events off the queue; what is still queued, or
        None if the lease had been lost to another worker meanwhile. `answered`: every event
        this worker took was answered, so the answer kept for a re-run goes too."""
        unset = {"owner": "", "until": ""}
        if answered:
            unset[RERUN_ANSWER] = ""
        update: dict[str, Any] = {"$unset": unset}
        if done:
            update.update(self._handled(done))
        before = await self._c.find_one_and_update(
            {"_id": user, "owner": owner},
            update,
            projection={"queue": 1},
            return_document=BEFORE,  # see the class docstring
        )
        if before is None:
            if done:
                await self._c.update_one({"_id": user}, self._handled(done))
            return None
        return [item for item in before.get("queue", []) if item["id"] not in (done or ())]

    async def failed(
        self, user: str, event_id: str, attempts: int, error: str, retry_at: dt.datetime
    ) -> None:
        """A failed event waits on the queue until `retry_at` (and the events behind it)."""
        await self._c.update_one(
            {"_id": user, "queue.id": event_id},
            {
                "$set": {
                    "queue.$.attempts": attempts,
                    "queue.$.error": error[:300],
                    "queue.$.retry_at": retry_at,
                }
            },
        )

    async def with_queue(self, owner: str, now: dt.datetime, limit: int = 500) -> list[str]:
        """Users with events queued whose lease this worker could take: nobody's, its own, or
        run out. A user another live worker holds is left to it (it looks at the queue again
        before letting go), so a sweep during a rush does not race every lease."""
        cur = self._c.find(
            {"queue.k": {"$gte": ""}, "$or": self._free(owner, now)}, {"_id": 1}
        ).limit(limit)
        return [d["_id"] async for d in cur]

    async def waiting(self) -> tuple[int, dt.datetime | None]:
        """How many events are queued, and when the longest-waiting one arrived (metrics)."""
        count, oldest = 0, None
        async for doc in self._c.find({"queue.k": {"$gte": ""}}, {"queue.at": 1}):
            for item in doc.get("queue", []):
                count += 1
                at = item.get("at")
                if at is not None and (oldest is None or at < oldest):
                    oldest = at
        return count, oldest
