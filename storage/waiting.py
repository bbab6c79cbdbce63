"""キャンセル待ち: one document per child waiting for a day, and one small document per day
that has a line (who is offering its freed seats just now).

An entry's `_id` is the child's key (storage.allowances.child_key) and the date, so a child
waits once per day, at any nursery and from any LINE account; an entry that ended (left,
declined, ...) is reopened in place when the child joins again, at the end of the line.

    waiting ──offer──> offered ──take──> booked
       ^                  │
       └──(passed on)─────┤──decline──> declined
                          ├──time out──> expired
    waiting / offered ────┴─────────────> left (the parent) | removed (staff)
                                         | ended (the day passed, the child can no longer
                                           use it, the registration was removed, 臨時休園)

A child waits for a limited number of days: an entry in line holds one of the child's
`slot`s (`<child>#0`, `<child>#1`, ...; a unique sparse index), given up when it leaves
the line, so two days joined at once cannot both take the last one.

`offer` names the booking document that holds the seats while an entry is offered
(storage/bookings.py, status `offering` then `offered`); it changes with every offer, so
an answer to an old offer finds nothing. Every change is a compare-and-set on the status
(and the offer, or `version`), so two processes acting on one entry cannot both win.

The day document (`waiting_days`) serialises the offering of one day's freed seats
across processes: `gen` counts the calls that asked for a pass, `owner`/`until` is a
lease on doing it (taken again once `until` has passed: a process that died).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from storage.mongo import AFTER, ASCENDING, Database, DuplicateKeyError, IndexModel, create_indexes

Status = Literal["waiting", "offered", "booked", "declined", "expired", "left", "removed", "ended"]
ACTIVE: tuple[Status, ...] = ("waiting", "offered")
FINAL: tuple[Status, ...] = ("booked", "declined", "expired", "left", "removed", "ended")


def entry_id(child: str, date: dt.date | str) -> str:
    day = date if isinstance(date, str) else date.isoformat()
    return f"{child}:{day}"


class WaitingDoc(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(alias="_id")
    status: Status = "waiting"
    version: int = 0  # changes with every write: a compare-and-set names the one it read
    user: str
    registration: str
    child: str  # storage.allowances.child_key
    child_name: str
    nursery: str
    date: str  # YYYY-MM-DD
    start: int
    end: int  # exclusive
    answers: dict[str, str] = {}
    joined_at: dt.datetime
    offer: str | None = None  # the booking holding the seats offered (while offered, and after)
    offered_at: dt.datetime | None = None
    offered_until: dt.datetime | None = None
    told: bool = False  # the offer was pushed (or the parent is unreachable)
    ended_at: dt.datetime | None = None
    reason: str | None = None  # why it ended (staff's reason, "closed", "past", ...)
    slot: str | None = None  # while in line: one of the child's slots (absent otherwise)

    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.date)

    def hours(self) -> range:
        return range(self.start, self.end)


def _ms(at: dt.datetime) -> dt.datetime:
    return at.replace(microsecond=at.microsecond // 1000 * 1000)  # as BSON stores it


class WaitingList:
    def __init__(self, db: Database) -> None:
        self._c = db["waiting"]
        self._days = db["waiting_days"]

    async def ensure_indexes(self) -> None:
        await create_indexes(
            self._c,
            [
                # the line of a nursery's day, in order
                IndexModel(
                    [("nursery", ASCENDING), ("date", ASCENDING), ("status", ASCENDING),
                     ("joined_at", ASCENDING)]
                ),
                IndexModel([("user", ASCENDING), ("status", ASCENDING)]),
                IndexModel([("child", ASCENDING), ("status", ASCENDING)]),
                IndexModel([("registration", ASCENDING), ("status", ASCENDING)]),
                IndexModel("offer", sparse=True),
                IndexModel("slot", unique=True, sparse=True),
                IndexModel([("status", ASCENDING), ("date", ASCENDING)]),
            ],
        )  # fmt: skip

    # -- reading -------------------------------------------------------------------------------
    async def get(self, entry: str) -> WaitingDoc | None:
        raw = await self._c.find_one({"_id": entry})
        return WaitingDoc.model_validate(raw) if raw else None

    async def by_offer(self, offer: str) -> WaitingDoc | None:
        raw = await self._c.find_one({"offer": offer})
        return WaitingDoc.model_validate(raw) if raw else None

    async def _find(self, query: dict[str, Any]) -> list[WaitingDoc]:
        cur = self._c.find(query).sort(
            [("date", ASCENDING), ("joined_at", ASCENDING), ("_id", ASCENDING)]
        )
        return [WaitingDoc.model_validate(d) async for d in cur]

    async def line(
        self, nursery: str, date: dt.date, statuses: tuple[Status, ...] = ACTIVE
    ) -> list[WaitingDoc]:
        """A nursery's day's entries in these statuses, first come first."""
        return await self._find(
            {"nursery": nursery, "date": date.isoformat(), "status": {"$in": list(statuses)}}
        )

    async def of_user(self, user: str, since: dt.date) -> list[WaitingDoc]:
        """A LINE user's active entries from `since` on, soonest day first."""
        return await self._find(
            {"user": user, "status": {"$in": list(ACTIVE)}, "date": {"$gte": since.isoformat()}}
        )

    async def of_child(self, child: str, since: dt.date) -> list[WaitingDoc]:
        """A child's active entries from `since` on (every account, every nursery)."""
        return await self._find(
            {"child": child, "status": {"$in": list(ACTIVE)}, "date": {"$gte": since.isoformat()}}
        )

    async def of_registration(self, registration: str) -> list[WaitingDoc]:
        return await self._find({"registration": registration, "status": {"$in": list(ACTIVE)}})

    async def has_line(self, nursery: str, date: dt.date) -> bool:
        raw = await self._c.find_one(
            {"nursery": nursery, "date": date.isoformat(), "status": {"$in": list(ACTIVE)}},
            {"_id": 1},
        )
        return raw is not None

    async def offered(self) -> list[WaitingDoc]:
        """Every entry holding an offer now (few: one per freed seat)."""
        return await self._find({"status": "offered"})

    async def active_days(self) -> set[tuple[str, dt.date]]:
        """(nursery, date) of every day with someone in line."""
        cur = self._c.find({"status": {"$in": list(ACTIVE)}}, {"nursery": 1, "date": 1})
        return {(d["nursery"], dt.date.fromisoformat(d["date"])) async for d in cur}

    # -- writing -------------------------------------------------------------------------------
    async def join(
        self, doc: WaitingDoc, slots: list[str]
    ) -> tuple[Literal["joined", "already", "limit"], WaitingDoc | None]:
        """Put the entry in line with the first of the child's `slots` that is free: written
        anew, or reopened in place if the child's entry for that day had ended (it goes to
        the end of the line). `already` (and the stored entry) if it is in line; `limit` if
        every slot is taken."""
        body = doc.model_dump(by_alias=True, exclude={"slot"})
        body["joined_at"] = _ms(doc.joined_at)
        for slot in slots:
            try:
                await self._c.insert_one(body | {"slot": slot})
                return "joined", WaitingDoc.model_validate(body | {"slot": slot})
            except DuplicateKeyError:
                pass  # the day's entry exists, or the slot is taken
            stored = await self.get(doc.id)
            if stored is not None and stored.status in ACTIVE:
                return "already", stored
            if stored is None:
                continue
            fresh = {k: v for k, v in body.items() if k not in ("_id", "version")}
            try:
                raw = await self._c.find_one_and_update(
                    {"_id": doc.id, "status": {"$in": list(FINAL)}},
                    {"$set": fresh | {"slot": slot}, "$inc": {"version": 1}},
                    return_document=AFTER,
                )
            except DuplicateKeyError:
                continue  # the slot is taken
            if raw is not None:
                return "joined", WaitingDoc.model_validate(raw)
            stored = await self.get(doc.id)
            if stored is not None and stored.status in ACTIVE:
                return "already", stored
        return "limit", None

    async def move(
        self,
        entry: str,
        frm: tuple[Status, ...],
        to: Status,
        at: dt.datetime,
        *,
        version: int | None = None,
        if_offer: str | None = None,
        **fields: Any,
    ) -> WaitingDoc | None:
        """Compare-and-set the status (and the `version` read, or the `offer` it holds, if
        given), setting `fields` too; the entry after, or None if it was not so."""
        cond: dict[str, Any] = {"_id": entry, "status": {"$in": list(frm)}}
        if version is not None:
            cond["version"] = version
        if if_offer is not None:
            cond["offer"] = if_offer
        body = {k: (_ms(v) if isinstance(v, dt.datetime) else v) for k, v in fields.items()}
        body["status"] = to
        update: dict[str, Any] = {"$set": body, "$inc": {"version": 1}}
        if to in FINAL:
            body["ended_at"] = _ms(at)
            update["$unset"] = {"slot": ""}  # the child may wait for another day
        raw = await self._c.find_one_and_update(cond, update, return_document=AFTER)
        return WaitingDoc.model_validate(raw) if raw else None

    async def mark_told(self, entry: str, offer: str) -> None:
        await self._c.update_one({"_id": entry, "offer": offer}, {"$set": {"told": True}})

    async def end_past(self, today: dt.date, at: dt.datetime) -> int:
        """End the waiting (not offered) entries of days before `today`."""
        res = await self._c.update_many(
            {"status": "waiting", "date": {"$lt": today.isoformat()}},
            {"$set": {"status": "ended", "reason": "past", "ended_at": _ms(at)},
             "$unset": {"slot": ""}, "$inc": {"version": 1}},
        )  # fmt: skip
        return res.modified_count

    # -- one day's offering, one process at a time ---------------------------------------------
    async def ask(self, nursery: str, date: dt.date) -> None:
        """Ask for a pass over the day's line (whoever holds its lease does it again)."""
        key = entry_id(nursery, date)
        for _ in range(2):
            try:
                await self._days.update_one({"_id": key}, {"$inc": {"gen": 1}}, upsert=True)
                return
            except DuplicateKeyError:
                continue  # made meanwhile by another process: count on it

    async def lease(
        self, nursery: str, date: dt.date, owner: str, now: dt.datetime, until: dt.datetime
    ) -> int | None:
        """Take the day's lease (free, or its holder's time is up): the `gen` it was taken at,
        or None if another process holds it."""
        raw = await self._days.find_one_and_update(
            {"_id": entry_id(nursery, date), "$or": [{"owner": None}, {"until": {"$lt": now}}]},
            {"$set": {"owner": owner, "until": _ms(until)}},
            return_document=AFTER,
        )
        return int(raw.get("gen", 0)) if raw else None

    async def unlease(self, nursery: str, date: dt.date, owner: str, gen: int | None) -> int | None:
        """Give the lease back if nobody asked for a pass since `gen` (None: whatever was
        asked): None once given back, else the `gen` to do another pass for."""
        key = entry_id(nursery, date)
        cond: dict[str, Any] = {"_id": key, "owner": owner}
        if gen is not None:
            cond["gen"] = gen
        res = await self._days.update_one(cond, {"$set": {"owner": None, "until": None}})
        if res.modified_count == 1:
            return None
        raw = await self._days.find_one({"_id": key})
        if raw is None or raw.get("owner") != owner:
            return None  # taken over (our lease ran out): its holder does the pass
        return int(raw.get("gen", 0))
