"""Staff console sessions, kept on the server.

The browser's cookie carries only the session's id (encrypted and signed); what the
session holds (the account, its CSRF token, a flash message) is stored here under a
hash of that id, so neither a copy of this collection nor a cookie from before a logout
opens the console. A session ends at logout, after its idle time, at its absolute
lifetime, or with every other session of its account ("log out everywhere").
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from storage.expiry import Expiry
from storage.mongo import Database, IndexModel, create_indexes


def stored_id(session_id: str) -> str:
    """The id a session is stored under: a hash of the cookie's id."""
    return hashlib.sha256(session_id.encode()).hexdigest()


class StaffSessionDoc(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(alias="_id")  # stored_id(the cookie's id)
    login: str = ""  # the account, once logged in
    data: dict[str, Any] = {}  # aiohttp-session's mapping (csrf, flash, login, epoch)
    created: dt.datetime
    seen: dt.datetime


class StaffSessions:
    def __init__(self, db: Database, ttl_indexes: bool = True) -> None:
        self._c = db["staff_sessions"]
        self._expiry = Expiry(self._c, ttl_indexes)

    async def ensure_indexes(self) -> None:
        await create_indexes(
            self._c,
            [
                IndexModel("login"),
                *self._expiry.indexes(),
            ],
        )

    async def get(self, session_id: str) -> StaffSessionDoc | None:
        raw = await self._c.find_one({"_id": stored_id(session_id)})
        return StaffSessionDoc.model_validate(raw) if raw else None

    async def save(
        self, session_id: str, data: dict[str, Any], now: dt.datetime, keep: dt.timedelta
    ) -> None:
        """Store a session's data; it is deleted `keep` after this save unless used again."""
        await self._c.update_one(
            {"_id": stored_id(session_id)},
            {
                "$set": {
                    "login": str(data.get("login", "")),
                    "data": data,
                    "seen": now,
                    **self._expiry.at(keep),
                },
                "$setOnInsert": {"created": now},
            },
            upsert=True,
        )

    async def end(self, session_id: str) -> None:
        await self._c.delete_one({"_id": stored_id(session_id)})

    async def end_all(self, login: str) -> int:
        """Every session of an account ends ("log out everywhere")."""
        res = await self._c.delete_many({"login": login})
        return int(res.deleted_count)

    async def purge_expired(self) -> int:
        return await self._expiry.purge()
