"""What the tests read of the inbox: events queued, handled ids, parked events."""

from __future__ import annotations

from typing import Any


async def waiting(h: Any) -> int:
    """Events on any user's queue (not yet handled, or waiting for a retry)."""
    count, _ = await h.bot.repos.leases.waiting()
    return int(count)


async def handled(h: Any, user: str) -> list[str]:
    """The ids of the user's last events handled (what recognises a redelivery)."""
    doc = await h.bot.store.db["sessions"].find_one({"_id": user}, {"handled": 1})
    return list(doc.get("handled", [])) if doc else []


async def parked(h: Any) -> int:
    return int(await h.bot.repos.parked.count())
