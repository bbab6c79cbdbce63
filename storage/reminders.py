"""Claims on reminders: one document per reminder, so each is pushed once across processes.

The document's `_id` is the reminder's key (`childcare:<booking>`,
`interview:<slot>:<registration>`), so only one process can insert it: that
process pushes. A claim whose process died before settling it (`sending` for
longer than `stale`) may be taken again; the push repeats under the same
LINE retry key, which LINE accepts once. A push that failed is `retry`, taken
again after `stale` until `max_attempts`; then `failed`. `blocked` (the parent
blocked the account), `sent` and `dropped` (cancelled meanwhile) are final.
Claims are deleted (TTL on `purge_at`) a week after the day they were for.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from storage.expiry import Expiry
from storage.mongo import ASCENDING, Database, DuplicateKeyError, IndexModel, create_indexes

Status = Literal["sending", "sent", "blocked", "dropped", "retry", "failed"]
FINAL: tuple[Status, ...] = ("sent", "blocked", "dropped", "failed")


class ReminderClaims:
    def __init__(self, db: Database, ttl: bool = True) -> None:
        self._c = db["reminders"]
        self._expiry = Expiry(self._c, ttl)

    async def ensure_indexes(self) -> None:
        await create_indexes(
            self._c,
            [
                IndexModel([("status", ASCENDING), ("claimed_at", ASCENDING)]),
                *self._expiry.indexes(),
            ],
        )

    async def purge_expired(self) -> int:
        return await self._expiry.purge()

    async def settled(self, keys: list[str]) -> set[str]:
        """Those of `keys` that are done with (pushed, blocked, dropped or given up)."""
        if not keys:
            return set()
        cur = self._c.find({"_id": {"$in": keys}, "status": {"$in": list(FINAL)}}, {"_id": 1})
        return {d["_id"] async for d in cur}

    async def claim(
        self,
        key: str,
        kind: str,
        user: str,
        now: dt.datetime,
        stale: dt.timedelta,
        max_attempts: int,
        keep: dt.timedelta,
    ) -> bool:
        """Take the reminder for this process; False if another has it or it is done. The
        claim is deleted after `keep` (by the database's wall clock, as TTL indexes work)."""
        try:
            await self._c.insert_one(
                {
                    "_id": key,
                    "kind": kind,
                    "user": user,
                    "status": "sending",
                    "claimed_at": now,
                    "attempts": 1,
                    **self._expiry.at(keep),
                }
            )
            return True
        except DuplicateKeyError:
            pass
        res = await self._c.update_one(
            {
                "_id": key,
                "claimed_at": {"$lt": now - stale},
                "$or": [{"status": "sending"}, {"status": "retry"}],
                "attempts": {"$lt": max_attempts},
            },
            {"$set": {"status": "sending", "claimed_at": now}, "$inc": {"attempts": 1}},
        )
        return res.modified_count == 1

    async def settle(
        self, key: str, status: Status, now: dt.datetime, error: str | None = None
    ) -> None:
        body: dict[str, object] = {"status": status, "settled_at": now}
        if error is not None:
            body["error"] = error
        await self._c.update_one({"_id": key, "status": "sending"}, {"$set": body})

    async def give_up(self, now: dt.datetime, stale: dt.timedelta, max_attempts: int) -> int:
        """Mark `failed` the claims out of attempts (so they are no longer looked at)."""
        res = await self._c.update_many(
            {
                "status": {"$in": ["sending", "retry"]},
                "claimed_at": {"$lt": now - stale},
                "attempts": {"$gte": max_attempts},
            },
            {"$set": {"status": "failed", "settled_at": now}},
        )
        return res.modified_count

    async def get(self, key: str) -> dict[str, object] | None:
        return await self._c.find_one({"_id": key})
