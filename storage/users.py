"""Who follows the account (a blocked, unfollowed user gets no pushes), and the language
each reads: their LINE's, read from the profile, or the one they chose by name."""

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

    async def language(self, user_id: str) -> str | None:
        return (await self.language_setting(user_id))[0]

    async def language_setting(self, user_id: str) -> tuple[str | None, bool]:
        """The user's language, and whether they picked it by name (then LINE's does not
        override it)."""
        doc = await self._c.find_one({"_id": user_id}, {"language": 1, "language_chosen": 1})
        doc = doc or {}
        return doc.get("language"), bool(doc.get("language_chosen"))

    async def languages(self, user_ids: list[str]) -> dict[str, str]:
        """The known languages of these users, in one read."""
        found = self._c.find({"_id": {"$in": user_ids}, "language": {"$exists": True}})
        return {d["_id"]: d["language"] async for d in found}

    async def set_language(self, user_id: str, language: str, chosen: bool) -> None:
        await self._c.update_one(
            {"_id": user_id},
            {"$set": {"language": language, "language_chosen": chosen}},
            upsert=True,
        )
