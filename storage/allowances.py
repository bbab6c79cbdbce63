"""How many booking days a child holds: one document per child, listing its held bookings.

A child is a name (as `storage.names.name_key` reads it) and a birth date, at
every nursery together and whichever LINE account registered it (a child
registered by both parents holds its days once). Taking a day is one conditional
push that refuses when the list is already full or already has that date, so
the limit holds whatever the concurrency. Days before today no longer count
and are pruned before a take.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from pydantic import BaseModel, ConfigDict, Field

from storage.mongo import Database, DuplicateKeyError, IndexModel, create_indexes
from storage.names import name_key


def child_key(child_name: str, birth_date: str) -> str:
    """A stable key for a child that keeps no personal data readable."""
    return hashlib.sha256(f"{name_key(child_name)}\0{birth_date}".encode()).hexdigest()[:32]


class Held(BaseModel):
    id: str  # booking id
    date: str  # YYYY-MM-DD


class AllowanceDoc(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(alias="_id")
    held: list[Held] = []

    def future(self, today: dt.date) -> list[Held]:
        return [h for h in self.held if h.date >= today.isoformat()]


class Allowances:
    def __init__(self, db: Database) -> None:
        self._c = db["allowances"]

    async def ensure_indexes(self) -> None:
        await create_indexes(
            self._c,
            [
                IndexModel("held.id"),  # holding(): the repair's look-up by booking
            ],
        )

    async def get(self, key: str) -> AllowanceDoc:
        raw = await self._c.find_one({"_id": key})
        return AllowanceDoc.model_validate(raw) if raw else AllowanceDoc(id=key)

    async def take(
        self, key: str, booking_id: str, date: dt.date, today: dt.date, limit: int
    ) -> bool:
        """Hold `date` for the booking if the child holds fewer than `limit` days from today.

        True if the booking holds it afterwards (also when it did already). One command when
        the day can be held: the conditional push, which also makes the child's document.
        Only when it refuses are the days before today pruned and the push tried again.
        """
        room = {
            "_id": key,
            f"held.{limit - 1}": {"$exists": False},
            "held.date": {"$ne": date.isoformat()},
            "held.id": {"$ne": booking_id},
        }
        push = {"$push": {"held": {"id": booking_id, "date": date.isoformat()}}}
        try:
            res = await self._c.update_one(room, push, upsert=True)
            if res.modified_count == 1 or res.upserted_id is not None:
                return True
        except DuplicateKeyError:
            pass  # the document exists and refused: full, or this date or booking is held
        pruned = await self._c.update_one(
            {"_id": key}, {"$pull": {"held": {"date": {"$lt": today.isoformat()}}}}
        )
        if pruned.modified_count == 1:
            res = await self._c.update_one(room, push)
            if res.modified_count == 1:
                return True
        return any(h.id == booking_id for h in (await self.get(key)).held)

    async def release(self, key: str, booking_id: str) -> bool:
        """Give the day back (idempotent); True if it was held."""
        res = await self._c.update_one({"_id": key}, {"$pull": {"held": {"id": booking_id}}})
        return res.modified_count == 1

    async def holding(self, booking_ids: list[str]) -> set[str]:
        """Which of these bookings are listed in some child's allowance."""
        out: set[str] = set()
        async for raw in self._c.find({"held.id": {"$in": booking_ids}}):
            out.update(h["id"] for h in raw.get("held", []) if h["id"] in booking_ids)
        return out
