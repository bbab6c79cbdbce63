"""Injected time and ID sources, so a replay can freeze time and IDs repeat."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Protocol
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    def __init__(self, tz: dt.tzinfo = TOKYO) -> None:
        self.tz = tz

    def now(self) -> dt.datetime:
        return dt.datetime.now(self.tz)


class FrozenClock:
    """A clock that only moves when told to (replays, tests)."""

    def __init__(self, at: dt.datetime, tz: dt.tzinfo = TOKYO) -> None:
        self.tz = tz
        self._at = at if at.tzinfo else at.replace(tzinfo=tz)

    def now(self) -> dt.datetime:
        return self._at.astimezone(self.tz)

    def set(self, at: dt.datetime) -> None:
        self._at = at if at.tzinfo else at.replace(tzinfo=self.tz)

    def advance(self, delta: dt.timedelta) -> None:
        self._at += delta


class Ids(Protocol):
    def new(self) -> str: ...


class RandomIds:
    def new(self) -> str:
        return uuid.uuid4().hex


class SequentialIds:
    """Deterministic IDs for replays and tests."""

    def __init__(self, prefix: str = "id") -> None:
        self._prefix = prefix
        self._n = itertools.count(1)

    def new(self) -> str:
        return f"{self._prefix}{next(self._n):06d}"
