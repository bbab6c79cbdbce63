"""Events given up on: handling failed too often, so the dispatcher took them off their
user's queue and parked them here for staff, a week (then MongoDB's TTL index, or on the
in-memory store the maintenance pass, deletes them).

A parked event keeps what diagnoses it (its type, ids and timestamp, the attempts and the
error's kind) and loses what the parent typed or tapped and the spent reply token.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from storage.expiry import Expiry
from storage.mongo import Database, create_indexes

KEEP = dt.timedelta(days=7)


def without_personal(event: dict[str, Any]) -> dict[str, Any]:
    """The event without the text typed, the postback's data and the reply token."""
    kept = {k: v for k, v in event.items() if k not in ("postback", "replyToken")}
    message = kept.get("message")
    if isinstance(message, dict):
        kept["message"] = {k: v for k, v in message.items() if k != "text"}
    return kept


class ParkedEvents:
    def __init__(self, db: Database, ttl: bool = True) -> None:
        self._c = db["parked_events"]
        self._expiry = Expiry(self._c, ttl)

    async def ensure_indexes(self) -> None:
        # kept a week (wall-clock, not the injected clock)
        await create_indexes(self._c, self._expiry.indexes())

    async def park(
        self,
        event_id: str,
        user: str,
        event: dict[str, Any] | None,
        received_at: dt.datetime,
        attempts: int,
        error: str,
        now: dt.datetime,
    ) -> None:
        """Keep a failed event for staff (parking it twice keeps the last)."""
        await self._c.replace_one(
            {"_id": event_id},
            {
                "user": user,
                "event": without_personal(event or {}),
                "received_at": received_at,
                "attempts": attempts,
                "error": error[:300],
                "dead_at": now,
                **self._expiry.at(KEEP),
            },
            upsert=True,
        )

    async def count(self) -> int:
        return await self._c.count_documents({})

    async def purge_expired(self) -> int:
        return await self._expiry.purge()
