"""Console login attempts, counted per key (an account from one address, or an address)
in fixed windows.

An attempt is counted with one atomic `$inc` *before* its password is checked, so
however many requests arrive at once, no more than the allowed number of them have
their password checked in a window: the rest are refused unchecked, by every server
process alike. A success gives back the attempt it used only while its key is within
the limit, so a lock set by a burst meanwhile holds until its window ends.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from storage.expiry import Expiry
from storage.mongo import AFTER, Database, DuplicateKeyError, IndexModel, create_indexes

KEEP = dt.timedelta(days=1)  # a key's document is deleted this long after its last attempt


def account_key(login: str, address: str) -> str:
    return f"account:{login}@{address}"


def address_key(address: str) -> str:
    return f"address:{address}"


class AttemptsDoc(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(alias="_id")
    n: int = 0  # attempts in the window
    since: dt.datetime  # when the window began
    login: str = ""  # the account tried, for a key of an account from an address
    address: str = ""
    expires: dt.datetime  # the window's end (by the bot's clock)

    def over(self, limit: int, now: dt.datetime) -> bool:
        return self.n > limit and _aware(self.expires) > now


class LoginAttempts:
    def __init__(self, db: Database, ttl_indexes: bool = True) -> None:
        self._c = db["login_attempts"]
        self._expiry = Expiry(self._c, ttl_indexes)

    async def ensure_indexes(self) -> None:
        await create_indexes(
            self._c,
            [
                IndexModel("login"),
                *self._expiry.indexes(),
            ],
        )

    async def count(
        self, key: str, now: dt.datetime, window: dt.timedelta, login: str = "", address: str = ""
    ) -> int:
        """Count one attempt under `key`; the number of attempts in its window so far."""
        # A window that is over starts again; the condition lets only one request do it.
        await self._c.update_one(
            {"_id": key, "expires": {"$lte": now}},
            {"$set": {"n": 0, "since": now, "expires": now + window}},
        )
        for _ in range(2):  # two first attempts at once: one inserts, the other increments
            try:
                raw = await self._c.find_one_and_update(
                    {"_id": key},
                    {
                        "$inc": {"n": 1},
                        "$set": self._expiry.at(KEEP),
                        "$setOnInsert": {
                            "since": now,
                            "expires": now + window,
                            "login": login,
                            "address": address,
                        },
                    },
                    upsert=True,
                    return_document=AFTER,
                )
                return int(raw["n"])
            except DuplicateKeyError:
                continue
        raise RuntimeError(f"could not count a login attempt under {key!r}")

    async def give_back(self, key: str, limit: int) -> None:
        """A success: its attempt no longer counts, unless the key went over `limit`."""
        await self._c.update_one({"_id": key, "n": {"$gt": 0, "$lte": limit}}, {"$inc": {"n": -1}})

    async def clear(self, key: str, limit: int) -> None:
        """A success from this account and address: the failures in a row are forgotten,
        unless they went over `limit` (a lock holds to the end of its window)."""
        await self._c.update_one({"_id": key, "n": {"$lte": limit}}, {"$set": {"n": 0}})

    async def locks(self, limit: int, address_limit: int, now: dt.datetime) -> list[AttemptsDoc]:
        """Keys over their limit now: an account from one address, or an address."""
        cur = self._c.find({"expires": {"$gt": now}, "n": {"$gt": min(limit, address_limit)}})
        docs = [AttemptsDoc.model_validate(d) async for d in cur]
        return [d for d in docs if d.over(limit if d.login else address_limit, now)]

    async def lift(self, login: str = "", address: str = "") -> int:
        """Lift the locks of an account (from every address) or of an address."""
        if login:
            res = await self._c.delete_many({"login": login})
        elif address:
            res = await self._c.delete_many({"_id": address_key(address)})
        else:
            return 0
        return int(res.deleted_count)

    async def purge_expired(self) -> int:
        return await self._expiry.purge()


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)
