"""Parents staff must phone: a staff action's push that did not reach them (the parent
blocked the account, LINE could not be reached) or a booking taken by phone.

One document per notice, listed on the console until staff mark it phoned, so a
reload or another staff member's screen still shows it. Its `_id` is derived from the
push's retry key, so an action retried after a crash lists its parent once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from storage.mongo import AFTER, ASCENDING, Database, DuplicateKeyError, IndexModel, create_indexes

Why = Literal["blocked", "failed", "phone"]


def call_id(retry_key: str) -> str:
    return "call-" + hashlib.sha256(retry_key.encode()).hexdigest()[:24]


class CallDoc(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(alias="_id")
    nursery: str
    at: dt.datetime
    why: Why
    child: str  # the child's name
    phone: str  # the number to call, digits as stored
    text: str  # what the parent was to be told
    phoned_at: dt.datetime | None = None


class Calls:
    def __init__(self, db: Database) -> None:
        self._c = db["calls"]

    async def ensure_indexes(self) -> None:
        await create_indexes(
            self._c,
            [
                IndexModel([("nursery", ASCENDING), ("phoned_at", ASCENDING)]),
            ],
        )

    async def add(self, doc: CallDoc) -> None:
        """List a parent to phone (once per notice: a retried action adds nothing)."""
        try:
            await self._c.insert_one(doc.model_dump(by_alias=True))
        except DuplicateKeyError:
            pass

    async def open(self, nursery: str) -> list[CallDoc]:
        """Not yet phoned, oldest first."""
        cur = self._c.find({"nursery": nursery, "phoned_at": None}).sort("at", ASCENDING)
        return [CallDoc.model_validate(d) async for d in cur]

    async def phoned(self, nursery: str, ids: list[str], at: dt.datetime) -> list[CallDoc]:
        """Mark these of the nursery's calls phoned; those that were open, as now stored."""
        done = []
        for one in ids:
            raw = await self._c.find_one_and_update(
                {"_id": one, "nursery": nursery, "phoned_at": None},
                {"$set": {"phoned_at": at}},
                return_document=AFTER,
            )
            if raw:
                done.append(CallDoc.model_validate(raw))
        return done
