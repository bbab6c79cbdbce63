"""Children registered at a nursery by a LINE user: one document per registration.

A registration is live while `dedupe` (user, nursery, child name as
`storage.names.name_key` reads it) is set: the unique sparse index on it refuses a
second live registration of the same child at the same nursery by the same user,
however the name's spaces, width or kana were typed. When a cleared registration has expired,
a new registration supersedes it (its `dedupe` is unset first), so the child
can be registered and interviewed again in a new fiscal year; a removed one no
longer counts at all.

The document holds the facts the registration's life cycle is read from
(domain/lifecycle.py): cleared (`expiry`), an interview day that passed without
clearance (`missed_interview`), removed by staff (`removed_at`); whether an
interview is booked is the interview slot's (storage/interviews.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field

from storage.mongo import AFTER, ASCENDING, Database, DuplicateKeyError, IndexModel, create_indexes
from storage.names import name_key

log = structlog.get_logger(__name__)


class RegistrationDoc(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(alias="_id")
    user: str
    nursery: str  # the nursery's config id
    parent_name: str
    postal_code: str  # 7 digits, no hyphen
    address: str
    phone: str  # digits only
    child_name: str
    child_kana: str
    birth_date: str  # YYYY-MM-DD
    sex: Literal["male", "female"]
    created_at: dt.datetime
    cleared_at: dt.datetime | None = None
    interview_date: str | None = None  # YYYY-MM-DD: the interview the clearance was for
    expiry: str | None = None  # YYYY-MM-DD: last day bookings may be made for
    notified_at: dt.datetime | None = None  # the cleared notice was pushed (or the user blocked)
    missed_interview: dt.datetime | None = None  # an interview whose day ended uncleared
    removed_at: dt.datetime | None = None  # removed by staff (a duplicate, say)
    dedupe: str | None = None

    def cleared(self) -> bool:
        return self.expiry is not None

    def expired(self, today: dt.date) -> bool:
        return self.expiry is not None and dt.date.fromisoformat(self.expiry) < today

    def bookable(self, today: dt.date) -> bool:
        return self.cleared() and not self.expired(today)


def dedupe_key(user: str, nursery: str, child_name: str) -> str:
    return f"{user}/{nursery}/{name_key(child_name)}"


class Registrations:
    def __init__(self, db: Database) -> None:
        self._c = db["registrations"]

    async def ensure_indexes(self) -> None:
        await create_indexes(
            self._c,
            [
                IndexModel("dedupe", unique=True, sparse=True),
                IndexModel([("user", ASCENDING), ("created_at", ASCENDING)]),
                IndexModel([("nursery", ASCENDING), ("child_name", ASCENDING)]),
            ],
        )

    async def add(self, doc: RegistrationDoc, today: dt.date) -> bool:
        """Store a new live registration; False if this child is already registered there."""
        key = dedupe_key(doc.user, doc.nursery, doc.child_name)
        # An expired registration of the same child no longer blocks a new one. One not
        # cleared yet (expiry null) never expires: said outright, not left to MongoDB's
        # comparing only within a type (mongoeco's `$lt` also matches null).
        await self._c.update_many(
            {"dedupe": key, "expiry": {"$ne": None, "$lt": today.isoformat()}},
            {"$unset": {"dedupe": ""}},
        )
        body = doc.model_copy(update={"dedupe": key}).model_dump(by_alias=True)
        try:
            await self._c.insert_one(body)
        except DuplicateKeyError:
            return False
        doc.dedupe = key
        return True

    async def live(self, user: str, nursery: str, child_name: str) -> RegistrationDoc | None:
        raw = await self._c.find_one({"dedupe": dedupe_key(user, nursery, child_name)})
        return _doc(raw)

    async def get(self, reg_id: str) -> RegistrationDoc | None:
        return _doc(await self._c.find_one({"_id": reg_id}))

    async def for_user(self, user: str) -> list[RegistrationDoc]:
        """This user's live registrations, oldest first."""
        cur = self._c.find({"user": user, "dedupe": {"$exists": True}}).sort("created_at", 1)
        return [RegistrationDoc.model_validate(d) async for d in cur]

    async def at_nursery(
        self, nursery: str, child_name: str | None = None, cleared: bool | None = None
    ) -> list[RegistrationDoc]:
        """Live registrations at a nursery, optionally of one child name and clearance state."""
        q: dict[str, Any] = {"nursery": nursery, "dedupe": {"$exists": True}}
        if cleared is not None:
            q["expiry"] = {"$ne": None} if cleared else None
        cur = self._c.find(q).sort("created_at", 1)
        regs = [RegistrationDoc.model_validate(d) async for d in cur]
        if child_name is None:
            return regs
        return [r for r in regs if name_key(r.child_name) == name_key(child_name)]

    async def clear(
        self, reg_id: str, at: dt.datetime, interview: dt.date, expiry: dt.date
    ) -> RegistrationDoc | None:
        """Mark the interview done (once): the registration may book until `expiry`."""
        raw = await self._c.find_one_and_update(
            {"_id": reg_id, "expiry": None, "removed_at": None},
            {
                "$set": {
                    "cleared_at": at,
                    "interview_date": interview.isoformat(),
                    "expiry": expiry.isoformat(),
                }
            },
            return_document=AFTER,
        )
        return _doc(raw)

    async def mark_missed(self, reg_id: str, interview: dt.datetime) -> bool:
        """The interview at `interview` passed without clearance; False if cleared meanwhile."""
        res = await self._c.update_one(
            {"_id": reg_id, "expiry": None}, {"$set": {"missed_interview": interview}}
        )
        return res.matched_count == 1

    async def remove(self, reg_id: str, at: dt.datetime) -> RegistrationDoc | None:
        """Staff removed it (once): it is no longer live; the registration as it was."""
        raw = await self._c.find_one_and_update(
            {"_id": reg_id, "removed_at": None},
            {"$set": {"removed_at": at}, "$unset": {"dedupe": ""}},
        )
        return _doc(raw)

    async def correct(self, reg_id: str, fields: dict[str, str]) -> RegistrationDoc | None:
        """Set corrected contact details on a registration not removed; it as it is now."""
        raw = await self._c.find_one_and_update(
            {"_id": reg_id, "removed_at": None}, {"$set": fields}, return_document=AFTER
        )
        return _doc(raw)

    async def mark_notified(self, reg_id: str, at: dt.datetime) -> None:
        """The clearance is complete: the parent was told (or cannot be, having blocked us)."""
        await self._c.update_one({"_id": reg_id}, {"$set": {"notified_at": at}})


def _doc(raw: dict[str, Any] | None) -> RegistrationDoc | None:
    return RegistrationDoc.model_validate(raw) if raw else None
