"""Who follows the account: a blocked (unfollowed) user gets no pushes."""

from __future__ import annotations

import datetime as dt

from storage.mongo import Database


class Users:
    def __init__(self, db: Database) -> None:
        self._c = db["users"]

    async def set_following(self, user_id: str, following: bool, now: dt.datetime) -> None:
        field = "followed_at" if following else "blocked_at"
        await self._c.update_one(
            {"_id": user_id}, {"$set": {"blocked": not following, field: now}}, upsert=True
        )

    async def is_blocked(self, user_id: str) -> bool:
        doc = await self._c.find_one({"_id": user_id}, {"blocked": 1})
        return bool(doc and doc.get("blocked"))
