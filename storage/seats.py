"""Childcare seats: one document per nursery and day, holding who took each hour.

`holders.hHH` lists the booking ids holding a seat in hour HH; `cap.hHH` is a
staff override of that hour's seats (hours without one use the default the
caller passes in, from config). Taking the seats of a whole band is one
conditional update over all of its hours, so no hour can ever get more
holders than seats, whatever the concurrency; `rev` changes with every staff
override, so a take judged against old capacities fails and is judged again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from storage.mongo import ASCENDING, Database, DuplicateKeyError, IndexModel, create_indexes


def hkey(hour: int) -> str:
    return f"h{hour:02d}"


class SeatDay(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(alias="_id")
    nursery: str
    date: str  # YYYY-MM-DD
    rev: int = 0
    cap: dict[str, int] = {}  # staff overrides, by hkey
    holders: dict[str, list[str]] = {}  # booking ids, by hkey

    def taken(self, hour: int) -> int:
        return len(self.holders.get(hkey(hour), []))

    def holds(self, hour: int, booking_id: str) -> bool:
        return booking_id in self.holders.get(hkey(hour), [])

    def seats(self, defaults: dict[int, int], hours: range) -> dict[int, int]:
        """Seats per hour of `hours`: the staff override, else the default (0 if none)."""
        return {h: self.cap.get(hkey(h), defaults.get(h, 0)) for h in hours}


def day_id(nursery: str, date: dt.date) -> str:
    return f"{nursery}:{date.isoformat()}"


def empty_day(nursery: str, date: dt.date) -> SeatDay:
    return SeatDay(id=day_id(nursery, date), nursery=nursery, date=date.isoformat())


class Seats:
    def __init__(self, db: Database) -> None:
        self._c = db["seat_days"]

    async def ensure_indexes(self) -> None:
        await create_indexes(self._c, [IndexModel([("nursery", ASCENDING), ("date", ASCENDING)])])

    async def day(self, nursery: str, date: dt.date) -> SeatDay:
        """The day's document, or an empty one (defaults, nobody holding) if none is stored."""
        return await self._stored(nursery, date) or empty_day(nursery, date)

    async def _stored(self, nursery: str, date: dt.date) -> SeatDay | None:
        raw = await self._c.find_one({"_id": day_id(nursery, date)})
        return SeatDay.model_validate(raw) if raw else None

    async def some(self, wanted: set[tuple[str, dt.date]]) -> dict[tuple[str, dt.date], SeatDay]:
        """The stored days among these (nursery, date) pairs, read at once; absent ones are
        left out (nobody holds a seat there)."""
        ids = sorted(day_id(n, d) for n, d in wanted)
        cur = self._c.find({"_id": {"$in": ids}})
        out = {}
        async for raw in cur:
            day = SeatDay.model_validate(raw)
            out[(day.nursery, dt.date.fromisoformat(day.date))] = day
        return out

    async def days(self, nursery: str, first: dt.date, last: dt.date) -> dict[dt.date, SeatDay]:
        """Every day from `first` to `last` (inclusive), stored or empty."""
        cur = self._c.find(
            {"nursery": nursery, "date": {"$gte": first.isoformat(), "$lte": last.isoformat()}}
        )
        stored = {d["date"]: SeatDay.model_validate(d) async for d in cur}
        out = {}
        for i in range((last - first).days + 1):
            d = first + dt.timedelta(days=i)
            out[d] = stored.get(d.isoformat()) or empty_day(nursery, d)
        return out

    async def _ensure(self, nursery: str, date: dt.date) -> None:
        try:
            await self._c.update_one(
                {"_id": day_id(nursery, date)},
                {
                    "$setOnInsert": {
                        "nursery": nursery,
                        "date": date.isoformat(),
                        "rev": 0,
                        "cap": {},
                        "holders": {},
                    }
                },
                upsert=True,
            )
        except DuplicateKeyError:
            pass  # created meanwhile by another process

    async def take(
        self,
        nursery: str,
        date: dt.date,
        hours: range,
        booking_id: str,
        defaults: dict[int, int],
    ) -> bool:
        """Take one seat in every hour of `hours` for `booking_id`, all or none.

        True if the booking holds them afterwards (also when it held them already).
        """
        for _ in range(10):  # a staff override meanwhile: judge again on fresh capacities
            day = await self._stored(nursery, date)
            if day is None:  # the day's first booking: its document first, then judge
                await self._ensure(nursery, date)
                continue
            if all(day.holds(h, booking_id) for h in hours):
                return True
            seats = day.seats(defaults, hours)
            if any(seats[h] <= day.taken(h) for h in hours):
                return False
            cond: dict[str, Any] = {"_id": day.id, "rev": day.rev}
            for h in hours:
                cond[f"holders.{hkey(h)}.{seats[h] - 1}"] = {"$exists": False}
            cond[f"holders.{hkey(hours[0])}"] = {"$ne": booking_id}
            res = await self._c.update_one(
                cond, {"$push": {f"holders.{hkey(h)}": booking_id for h in hours}}
            )
            if res.modified_count == 1:
                return True
        return False

    async def release(self, nursery: str, date: dt.date, hours: range, booking_id: str) -> bool:
        """Give back the seats `booking_id` holds in `hours` that day, in one update
        (idempotent); True if any was held."""
        res = await self._c.update_one(
            {"_id": day_id(nursery, date)},
            {"$pull": {f"holders.{hkey(h)}": booking_id for h in hours}},
        )
        return res.modified_count == 1

    async def put_back(
        self, nursery: str, date: dt.date, before: SeatDay, seats: dict[int, int]
    ) -> bool:
        """Put back the overrides `before` held for the hours of `seats` (their seats then,
        overrides or defaults); False, changing nothing, where more are taken meanwhile."""
        cond: dict[str, Any] = {"_id": day_id(nursery, date)}
        put: dict[str, int] = {}
        drop: dict[str, str] = {}
        for h, n in seats.items():
            cond[f"holders.{hkey(h)}.{n}"] = {"$exists": False}
            if hkey(h) in before.cap:
                put[f"cap.{hkey(h)}"] = before.cap[hkey(h)]
            else:
                drop[f"cap.{hkey(h)}"] = ""
        update: dict[str, Any] = {"$inc": {"rev": 1}}
        if put:
            update["$set"] = put
        if drop:
            update["$unset"] = drop
        res = await self._c.update_one(cond, update)
        return res.matched_count == 1

    async def set_seats(self, nursery: str, date: dt.date, hours: list[int], seats: int) -> bool:
        """Staff override: `seats` per hour for `hours`. False if more are already taken."""
        await self._ensure(nursery, date)
        cond: dict[str, Any] = {"_id": day_id(nursery, date)}
        for h in hours:
            cond[f"holders.{hkey(h)}.{seats}"] = {"$exists": False}
        res = await self._c.update_one(
            cond, {"$set": {f"cap.{hkey(h)}": seats for h in hours}, "$inc": {"rev": 1}}
        )
        return res.matched_count == 1
