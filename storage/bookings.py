"""Childcare bookings: one document per booking, written first as the intent.

A booking spans three documents (itself, the day's seats, the child's
allowance), so its `status` records how far it got and what was decided:
`pending` (intent written, seats/allowance being taken), `booked`,
`failing` / `cancelling` (decided to give everything back, not yet done),
`failed` / `cancelled`. Seats held for a parent offered them from the waiting
list (storage/waiting.py) are a booking too, without the child's day until it is
taken: `offering` (intent written, seats being taken), `offered` (held for the
parent), then `booked` when taken, or `failing` → `failed` when passed on. Only
the status moves are compare-and-set here; the ledger (domain/ledger.py) takes and
gives back the rest, and its repair step finishes whatever a crash left half-way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from storage.mongo import ASCENDING, BEFORE, Database, DuplicateKeyError, IndexModel, create_indexes

Status = Literal[
    "pending", "booked", "failing", "failed", "cancelling", "cancelled", "offering", "offered"
]
HELD: tuple[Status, ...] = ("booked",)


class BookingDoc(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(alias="_id")
    status: Status = "pending"
    source: Literal["line", "phone"] = "line"
    nursery: str  # config id
    date: str  # YYYY-MM-DD
    start: int  # first hour
    end: int  # hour the band ends (exclusive)
    user: str | None = None  # the LINE user of the child's registration
    registration: str | None = None  # none for a child not registered on LINE
    child_name: str = ""
    child: str | None = None  # allowance key (storage.allowances.child_key)
    contact_phone: str | None = None  # a child not registered on LINE: whom staff call
    answers: dict[str, str] = {}
    created_at: dt.datetime
    updated_at: dt.datetime | None = None
    reason: str | None = None  # why it failed or who cancelled it
    waiting: str | None = None  # an offer's hold: the waiting entry it is for

    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.date)

    def hours(self) -> range:
        return range(self.start, self.end)

    def held_for(self, user: str, since: dt.date) -> bool:
        """Whether `Bookings.of_user(user, since)` lists this booking."""
        return self.user == user and self.status in HELD and self.date >= since.isoformat()


class Bookings:
    def __init__(self, db: Database) -> None:
        self._c = db["bookings"]

    async def ensure_indexes(self) -> None:
        await create_indexes(
            self._c,
            [
                IndexModel([("user", ASCENDING), ("status", ASCENDING)]),
                IndexModel([("registration", ASCENDING), ("status", ASCENDING)]),
                IndexModel([("nursery", ASCENDING), ("date", ASCENDING)]),
                IndexModel([("status", ASCENDING), ("created_at", ASCENDING)]),
                IndexModel([("status", ASCENDING), ("updated_at", ASCENDING)]),
                IndexModel([("date", ASCENDING), ("status", ASCENDING)]),
            ],
        )

    async def intend(self, doc: BookingDoc) -> BookingDoc:
        """Write the intent; if this id was written before, the stored booking instead."""
        try:
            await self._c.insert_one(doc.model_dump(by_alias=True))
            return doc
        except DuplicateKeyError:
            stored = await self.get(doc.id)
            assert stored is not None
            return stored

    async def get(self, booking_id: str) -> BookingDoc | None:
        raw = await self._c.find_one({"_id": booking_id})
        return BookingDoc.model_validate(raw) if raw else None

    async def move(
        self,
        booking_id: str,
        frm: Status | tuple[Status, ...],
        to: Status,
        at: dt.datetime,
        reason: str | None = None,
    ) -> BookingDoc | None:
        """Compare-and-set the status; the booking after the move, or None if it was not in
        `frm`.

        The command returns the document as it was before, and the move is applied to it
        here: the same on MongoDB, and the in-memory store answers "the document after"
        with one more scan of the collection."""
        frm_list = [frm] if isinstance(frm, str) else list(frm)
        at = at.replace(microsecond=at.microsecond // 1000 * 1000)  # as BSON stores it
        body: dict[str, Any] = {"status": to, "updated_at": at}
        if reason is not None:
            body["reason"] = reason
        raw = await self._c.find_one_and_update(
            {"_id": booking_id, "status": {"$in": frm_list}}, {"$set": body}, return_document=BEFORE
        )
        return BookingDoc.model_validate(raw | body) if raw else None

    async def _find(self, query: dict[str, Any]) -> list[BookingDoc]:
        cur = self._c.find(query).sort([("date", ASCENDING), ("start", ASCENDING)])
        return [BookingDoc.model_validate(d) async for d in cur]

    async def of_user(self, user: str, since: dt.date) -> list[BookingDoc]:
        """This user's held bookings from `since` on, soonest first."""
        return await self._find(
            {"user": user, "status": {"$in": list(HELD)}, "date": {"$gte": since.isoformat()}}
        )

    async def of_registration(self, registration: str, since: dt.date) -> list[BookingDoc]:
        """A registration's held bookings from `since` on (LINE and phone), soonest first."""
        return await self._find(
            {
                "registration": registration,
                "status": {"$in": list(HELD)},
                "date": {"$gte": since.isoformat()},
            }
        )

    async def on_day(self, nursery: str, date: dt.date) -> list[BookingDoc]:
        """A nursery's held bookings on a day, by start hour."""
        return await self._find(
            {"nursery": nursery, "date": date.isoformat(), "status": {"$in": list(HELD)}}
        )

    async def between(self, nursery: str, first: dt.date, last: dt.date) -> list[BookingDoc]:
        """A nursery's held bookings from `first` to `last` (inclusive)."""
        return await self._find(
            {
                "nursery": nursery,
                "date": {"$gte": first.isoformat(), "$lte": last.isoformat()},
                "status": {"$in": list(HELD)},
            }
        )

    async def held_on(self, dates: list[dt.date]) -> list[BookingDoc]:
        """Held LINE bookings (a user to remind) on any of these days, every nursery."""
        if not dates:
            return []
        return await self._find(
            {
                "date": {"$in": [d.isoformat() for d in dates]},
                "status": {"$in": list(HELD)},
                "user": {"$ne": None},
            }
        )

    async def unsettled(self, before: dt.datetime) -> list[BookingDoc]:
        """Bookings a crash may have left half-way: pending intents (and offers' holds being
        made) written before `before`, and give-backs decided before `before` and not
        finished. Younger ones are still being worked on by the process that started them."""
        return await self._find(
            {
                "$or": [
                    {"status": {"$in": ["pending", "offering"]}, "created_at": {"$lt": before}},
                    {"status": {"$in": ["failing", "cancelling"]}, "updated_at": {"$lt": before}},
                ]
            }
        )

    async def ended_since(self, since: dt.datetime) -> list[BookingDoc]:
        """Bookings that failed or were cancelled from `since` on (for the orphan sweep)."""
        return await self._find(
            {"status": {"$in": ["failed", "cancelled"]}, "updated_at": {"$gte": since}}
        )
