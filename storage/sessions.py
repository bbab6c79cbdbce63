"""A user's position in a dialog: one document per LINE user, compare-and-set on `version`.

The same document holds the user's lease and event queue (storage/inbox.py, `Leases`).
The dispatcher takes the lease and gets the whole document in one command, and hands it
on with `carry`: the next `get` for that user in the same task then reads nothing, and
each successful `save` carries the saved session on to the user's next event. A carried
session is only a guess: `save` is still compare-and-set, and a conflict reads afresh.
"""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from storage.mongo import Database, DuplicateKeyError, IndexModel, create_indexes

SESSION_ONLY = {"queue": 0, "handled": 0, "owner": 0, "until": 0}
# The field of `SessionDoc` that holds the answer kept for a re-run of `last_event`; the
# inbox drops it once that event is off the queue (`Leases.release`).
RERUN_ANSWER = "last_replies"

# The sessions carried in this task (the dispatcher's task of one user), by user id.
_carried: ContextVar[dict[str, dict[str, Any]] | None] = ContextVar("carried", default=None)


class SessionDoc(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    user_id: str = Field(alias="_id")
    flow: str | None = None
    state: str | None = None
    data: dict[str, Any] = {}
    version: int = 0
    updated_at: dt.datetime | None = None
    language: str | None = None  # the user's, kept here so an event need not read it
    # The last event applied, and what was answered to it: a re-run event is recognised
    # here and its replies are sent again, not recomputed. The replies go once the event
    # is off the queue (a redelivery is then refused by the inbox's `handled`).
    last_event: str | None = None
    last_replies: list[dict[str, Any]] = []

    def active(self) -> bool:
        return self.flow is not None


class Sessions:
    def __init__(self, db: Database) -> None:
        self._c = db["sessions"]

    @staticmethod
    def carry(user_id: str, doc: dict[str, Any]) -> None:
        """Hand the user's document, just read with the lease, to this task's next `get`."""
        held = _carried.get()
        if held is None:
            held = {}
            _carried.set(held)
        held[user_id] = doc

    async def get(self, user_id: str) -> SessionDoc:
        held = _carried.get()
        raw = held.pop(user_id, None) if held else None
        if raw is None:
            raw = await self._c.find_one({"_id": user_id}, SESSION_ONLY)
        return SessionDoc.model_validate(raw) if raw else SessionDoc(user_id=user_id)

    async def save(self, doc: SessionDoc) -> bool:
        """Write `doc` if nobody wrote since it was read; bump its version. False on conflict."""
        body = doc.model_dump(by_alias=True, exclude={"user_id", "version"})
        if doc.version == 0:
            # The document may exist already, holding only the user's queue and lease.
            try:
                await self._c.update_one(
                    {"_id": doc.user_id, "version": {"$exists": False}},
                    {"$set": {**body, "version": 1}},
                    upsert=True,
                )
            except DuplicateKeyError:
                return False
        else:
            res = await self._c.update_one(
                {"_id": doc.user_id, "version": doc.version},
                {"$set": body, "$inc": {"version": 1}},
            )
            if res.matched_count != 1:
                return False
        doc.version += 1
        held = _carried.get()
        if held is not None:
            held[doc.user_id] = {"_id": doc.user_id, **body, "version": doc.version}
        return True

    async def ensure_indexes(self) -> None:
        await create_indexes(self._c, [IndexModel("updated_at")])
