"""The test clock of a server started for replays (`BOT_TEST_CLOCK=1`): one time for all workers.

Its time lives in the database (collection `test_clock`), so a `clock:` step sent to
one worker holds in every worker on the same MongoDB. `now()` must not wait on the
database, so it answers from the time last read; the QA side reads it again before
every request and every event a worker handles (qa/mount.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from storage.clock import SystemClock

COLLECTION = "test_clock"
KEY = "now"


class SharedClock:
    """A frozen clock whose time is kept in the database and set through it."""

    def __init__(self, db: Any, tz: dt.tzinfo) -> None:
        self.tz = tz
        self._coll = db[COLLECTION]
        self._at = SystemClock(tz).now()

    def now(self) -> dt.datetime:
        return self._at.astimezone(self.tz)

    async def refresh(self) -> None:
        """Take the time the database holds; a fresh database gets this worker's time."""
        doc = await self._coll.find_one({"_id": KEY})
        if doc is None:
            await self._coll.update_one(
                {"_id": KEY}, {"$setOnInsert": {"at": self._at}}, upsert=True
            )
            doc = await self._coll.find_one({"_id": KEY})
        if doc is not None:
            self._at = _aware(doc["at"], self.tz)

    async def set(self, at: dt.datetime) -> None:
        at = _aware(at, self.tz)
        await self._coll.update_one({"_id": KEY}, {"$set": {"at": at}}, upsert=True)
        self._at = at


def _aware(at: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=tz)
