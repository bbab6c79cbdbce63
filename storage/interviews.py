"""Interview slots set by staff, and who holds them.

A slot is one document; the registrations holding it are listed in `holders`,
so booking is a single conditional update that can never exceed `capacity`,
and "has this registration an interview booked?" is a query on `holders`:
there is no second document to keep in step.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from storage.mongo import AFTER, ASCENDING, BEFORE, Database, IndexModel, create_indexes


class SlotDoc(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(alias="_id")
    nursery: str  # the nursery's config id
    at: dt.datetime
    capacity: int = 1
    holders: list[str] = []  # registration ids
    # registration id -> when it took its place (absent in slots booked before this was kept)
    booked: dict[str, dt.datetime] = {}

    def has_room(self) -> bool:
        return len(self.holders) < self.capacity


def slot_id(nursery: str, at: dt.datetime) -> str:
    return f"{nursery}:{at.astimezone(dt.UTC).strftime('%Y%m%dT%H%MZ')}"


class InterviewSlots:
    def __init__(self, db: Database) -> None:
        self._c = db["interview_slots"]

    async def ensure_indexes(self) -> None:
        await create_indexes(
            self._c,
            [
                IndexModel([("nursery", ASCENDING), ("at", ASCENDING)]),
                IndexModel("holders"),
                IndexModel("at"),
            ],
        )

    async def add(self, nursery: str, at: dt.datetime, capacity: int) -> SlotDoc:
        """Open a slot (or change the capacity of an existing one); returns it."""
        raw = await self._c.find_one_and_update(
            {"_id": slot_id(nursery, at)},
            {
                "$set": {"capacity": capacity},
                "$setOnInsert": {"nursery": nursery, "at": at, "holders": []},
            },
            upsert=True,
            return_document=AFTER,
        )
        return SlotDoc.model_validate(raw)

    async def create(self, nursery: str, at: dt.datetime, capacity: int) -> tuple[SlotDoc, bool]:
        """Open a new slot: it and True, or the slot open at that time already (left as it
        is) and False."""
        doc = {"nursery": nursery, "at": at, "capacity": capacity, "holders": []}
        before = await self._c.find_one_and_update(
            {"_id": slot_id(nursery, at)},
            {"$setOnInsert": doc},
            upsert=True,
            return_document=BEFORE,
        )
        if before is not None:
            return SlotDoc.model_validate(before), False
        return SlotDoc.model_validate({"_id": slot_id(nursery, at), **doc}), True

    async def remove(self, nursery: str, at: dt.datetime) -> SlotDoc | None:
        """Delete a slot nobody holds. None if there is no such slot or it is held."""
        raw = await self._c.find_one_and_delete(
            {"_id": slot_id(nursery, at), "holders.0": {"$exists": False}}
        )
        return SlotDoc.model_validate(raw) if raw else None

    async def get(self, sid: str) -> SlotDoc | None:
        raw = await self._c.find_one({"_id": sid})
        return SlotDoc.model_validate(raw) if raw else None

    async def upcoming(self, nursery: str, after: dt.datetime) -> list[SlotDoc]:
        """Slots of a nursery later than `after`, soonest first (full ones included)."""
        cur = self._c.find({"nursery": nursery, "at": {"$gt": after}}).sort("at", ASCENDING)
        return [SlotDoc.model_validate(d) async for d in cur]

    async def held_between(self, first: dt.datetime, last: dt.datetime) -> list[SlotDoc]:
        """Slots from `first` (exclusive) to `last` (exclusive) that someone holds."""
        cur = self._c.find({"at": {"$gt": first, "$lt": last}, "holders.0": {"$exists": True}})
        return [SlotDoc.model_validate(d) async for d in cur.sort("at", ASCENDING)]

    async def held_before(self, moment: dt.datetime) -> list[SlotDoc]:
        """Slots before `moment` that someone still holds (their day has ended)."""
        cur = self._c.find({"at": {"$lt": moment}, "holders.0": {"$exists": True}})
        return [SlotDoc.model_validate(d) async for d in cur.sort("at", ASCENDING)]

    async def book(self, sid: str, reg_id: str, now: dt.datetime | None = None) -> bool:
        """Take a place in the slot for a registration (at `now`, kept for the reminder);
        False if it is full (or gone)."""
        slot = await self.get(sid)
        if slot is None:
            return False
        if reg_id in slot.holders:
            return True
        res = await self._c.update_one(
            {
                "_id": sid,
                "capacity": slot.capacity,
                f"holders.{slot.capacity - 1}": {"$exists": False},
                "holders": {"$ne": reg_id},
            },
            {"$push": {"holders": reg_id}, **({"$set": {f"booked.{reg_id}": now}} if now else {})},
        )
        if res.modified_count == 1:
            return True
        fresh = await self.get(sid)
        if fresh is not None and fresh.capacity != slot.capacity:
            return await self.book(sid, reg_id, now)  # capacity changed meanwhile: judge again
        return fresh is not None and reg_id in fresh.holders

    async def release(self, sid: str, reg_id: str) -> bool:
        """Give the place back (a cancellation). False if the registration did not hold it."""
        res = await self._c.update_one(
            {"_id": sid, "holders": reg_id},
            {"$pull": {"holders": reg_id}, "$unset": {f"booked.{reg_id}": ""}},
        )
        return res.modified_count == 1

    async def held_by(self, reg_ids: list[str]) -> dict[str, SlotDoc]:
        """registration id -> the slot it holds (a registration holds at most one)."""
        if not reg_ids:
            return {}
        out: dict[str, SlotDoc] = {}
        wanted = set(reg_ids)
        async for raw in self._c.find({"holders": {"$in": list(wanted)}}).sort("at", ASCENDING):
            slot = SlotDoc.model_validate(raw)
            for rid in slot.holders:
                if rid in wanted:
                    out.setdefault(rid, slot)
        return out

    async def all(self, nursery: str) -> list[SlotDoc]:
        cur = self._c.find({"nursery": nursery}).sort("at", ASCENDING)
        return [SlotDoc.model_validate(d) async for d in cur]
