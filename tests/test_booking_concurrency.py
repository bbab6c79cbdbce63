"""Confirming bookings at once: never more bookings than seats, nothing left drifting.

Two app instances share one store (as several server processes share one
MongoDB). The in-memory store runs each operation at once, so a wrapper makes
every database call give way to other tasks first: confirmations interleave
between any two steps of the booking, as they would against a real server.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections import Counter
from typing import Any

import pytest
from mongomock_motor import AsyncMongoMockCollection

from bot.app import build
from bot.context import Bot, Settings
from domain.replies import Sticker, Text
from flows.base import Input
from flows.engine import Outcome
from storage.clock import SequentialIds
from storage.mongo import Store
from tests.interview_support import registration

PARENTS = 200
WIRE_PARENTS = 40  # on a MongoDB server: real round trips (CI time), 13 parents per seat
SEATS = 3
DAY = dt.date(2024, 4, 23)


@pytest.fixture
def interleaved(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every awaited database call yields to the event loop before and after it runs."""
    rnd = random.Random(20240423)
    for name in (
        "find_one",
        "insert_one",
        "update_one",
        "update_many",
        "find_one_and_update",
        "find_one_and_delete",
    ):
        original = getattr(AsyncMongoMockCollection, name)

        async def call(self: Any, *args: Any, _original: Any = original, **kw: Any) -> Any:
            for _ in range(rnd.randint(0, 3)):
                await asyncio.sleep(0)
            result = await _original(self, *args, **kw)
            await asyncio.sleep(0)
            return result

        monkeypatch.setattr(AsyncMongoMockCollection, name, call)


async def instances(store: Store, clock: Any, config: Any, n: int) -> list[Bot]:
    bots = [
        build(Settings(), config=config, store=store, clock=clock, ids=SequentialIds(f"p{i}-"))
        for i in range(n)
    ]
    await bots[0].repos.ensure_indexes()
    return bots


def said(outcome: Outcome) -> str:
    return "\n".join(r.text for r in outcome.replies if isinstance(r, Text))


async def to_summary(bot: Bot, user: str, child: str) -> None:
    """The parent goes through 予約をする up to the summary: 4/23 9:00-11:00."""
    steps = ["予約をする", f"{child}/双葉の園保育園", f"4/23(火) 残り{SEATS}席", "9:00", "11:00"]
    for i, text in enumerate([*steps, "就労"]):
        out = await bot.dialog.handle(user, Input("text", text=text), f"{user}-{i}")
        assert "確定" not in said(out) or i == len(steps)
    assert "以下の内容で予約します" in said(out)


async def test_200_parents_confirm_at_once_for_3_seats(clock, config, interleaved, store):
    parents = PARENTS if store.kind == "memory" else WIRE_PARENTS
    bots = await instances(store, clock, config, 2)
    await bots[0].staff.bookings.set_capacity("futaba", DAY, SEATS)
    users = [f"U{i:03d}" for i in range(parents)]
    for i, user in enumerate(users):
        reg = await registration(bots[0], user, child=f"目黒 {i}号")
        await bots[0].repos.registrations.clear(
            reg.id, clock.now(), clock.now().date(), dt.date(2025, 3, 31)
        )
        await to_summary(bots[i % 2], user, f"目黒 {i}号")

    outcomes = await asyncio.gather(
        *(
            bots[i % 2].dialog.handle(user, Input("text", text="確定"), f"{user}-confirm")
            for i, user in enumerate(users)
        )
    )

    booked = [o for o in outcomes if any(isinstance(r, Sticker) for r in o.replies)]
    filled = [o for o in outcomes if "予約枠が埋まってしまいました" in said(o)]
    assert len(booked) == SEATS
    assert len(filled) == parents - SEATS
    assert all("予約が完了しました" in said(o) for o in booked)

    repos = bots[0].repos
    held = await repos.bookings.on_day("futaba", DAY)
    assert len(held) == SEATS
    statuses = Counter([d["status"] async for d in repos.bookings._c.find({}, {"status": 1})])
    assert statuses == {"booked": SEATS, "failed": parents - SEATS}
    day = await repos.seats.day("futaba", DAY)
    assert {k: sorted(v) for k, v in day.holders.items() if v} == {
        "h09": sorted(b.id for b in held),
        "h10": sorted(b.id for b in held),
    }
    allowances = [d async for d in repos.allowances._c.find({})]
    assert sorted(h["id"] for d in allowances for h in d["held"]) == sorted(b.id for b in held)
    # what parents see afterwards agrees: 9:00-11:00 is gone, the rest of the day is not
    free = (await bots[1].staff.bookings.day_seats("futaba", DAY)).hours
    assert [h.free for h in free if h.hour in ("9:00", "10:00", "11:00")] == [0, 0, 3]


async def test_a_double_tap_on_two_instances_books_once(clock, config, interleaved, store):
    a, b = await instances(store, clock, config, 2)
    reg = await registration(a, "U1")
    await a.repos.registrations.clear(reg.id, clock.now(), clock.now().date(), dt.date(2025, 3, 31))
    await to_summary(a, "U1", "目黒 太郎")
    first, second = await asyncio.gather(
        a.dialog.handle("U1", Input("text", text="確定"), "tap-1"),
        b.dialog.handle("U1", Input("text", text="確定"), "tap-2"),
    )
    stickers = [o for o in (first, second) if any(isinstance(r, Sticker) for r in o.replies)]
    assert len(stickers) == 1
    assert len(await a.repos.bookings.of_user("U1", DAY)) == 1
    assert (await a.repos.seats.day("futaba", DAY)).taken(9) == 1
