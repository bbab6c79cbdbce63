"""Documents deleted at their `purge_at` (wall-clock, as MongoDB's TTL monitor works): by a
TTL index on MongoDB, or, on a store without one (the in-memory store, whose TTL indexes
cost a scan of the collection on every access), by `purge`, which the maintenance pass
runs through `Repos.purge_expired`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from storage.mongo import IndexModel

FIELD = "purge_at"


def wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Expiry:
    def __init__(self, collection: Any, ttl: bool) -> None:
        self._c = collection
        self._ttl = ttl  # False: no TTL index; `purge` deletes instead

    def at(self, keep: dt.timedelta) -> dict[str, dt.datetime]:
        """The field that has a document deleted after `keep` from now."""
        return {FIELD: wall_clock() + keep}

    def indexes(self) -> list[IndexModel]:
        """The TTL index, for the collection's `create_indexes` (none without TTL)."""
        return [IndexModel(FIELD, expireAfterSeconds=0)] if self._ttl else []

    async def purge(self) -> int:
        """What a TTL index would have deleted by now (0 commands where one does it)."""
        if self._ttl:
            return 0
        res = await self._c.delete_many({FIELD: {"$lte": wall_clock()}})
        return int(res.deleted_count)
