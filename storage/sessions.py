"""A user's position in a dialog: one document per LINE user, compare-and-set on `version`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from storage.mongo import Database, DuplicateKeyError


class SessionDoc(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    user_id: str = Field(alias="_id")
    flow: str | None = None
    state: str | None = None
    data: dict[str, Any] = {}
    version: int = 0
    updated_at: dt.datetime | None = None
    # The last event applied, and what was answered to it: a redelivered or
    # re-run event is recognised here and its replies are sent again, not recomputed.
    last_event: str | None = None
    last_replies: list[dict[str, Any]] = []

    def active(self) -> bool:
        return self.flow is not None


class Sessions:
    def __init__(self, db: Database) -> None:
        self._c = db["sessions"]

    async def get(self, user_id: str) -> SessionDoc:
        raw = await self._c.find_one({"_id": user_id})
        return SessionDoc.model_validate(raw) if raw else SessionDoc(user_id=user_id)

    async def save(self, doc: SessionDoc) -> bool:
        """Write `doc` if nobody wrote since it was read; bump its version. False on conflict."""
        body = doc.model_dump(by_alias=True, exclude={"user_id", "version"})
        if doc.version == 0:
            try:
                await self._c.insert_one({"_id": doc.user_id, "version": 1, **body})
            except DuplicateKeyError:
                return False
            doc.version = 1
            return True
        res = await self._c.update_one(
            {"_id": doc.user_id, "version": doc.version},
            {"$set": body, "$inc": {"version": 1}},
        )
        if res.matched_count != 1:
            return False
        doc.version += 1
        return True

    async def ensure_indexes(self) -> None:
        await self._c.create_index("updated_at")
