"""A child's held days and a day's seats stay exact when LINE and phone bookings race.

The store's guards decide, not the dialog's checks: each parent has passed the dialog's
own check (nothing held yet) before anyone confirms, so a loosened guard in storage
shows here as a third day or a seat too many.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

from domain.errors import StaffError
from domain.replies import Sticker
from flows.base import Input
from storage.allowances import child_key
from tests.interview_support import registration
from tests.test_booking_concurrency import instances, interleaved  # noqa: F401 (a fixture)

ROUNDS = 4  # children, each raced for three days at once


async def _cleared(bot, user: str, child: str, born: str, parent: str):  # type: ignore[no-untyped-def]
    reg = await registration(bot, user, child=child, born=born, parent=parent)
    now = bot.services.now()
    await bot.repos.registrations.clear(reg.id, now, now.date(), dt.date(2025, 3, 31))
    return reg


async def _to_summary(bot, user: str, child: str, day: str) -> None:  # type: ignore[no-untyped-def]
    for i, text in enumerate(
        ["予約をする", f"{child}/双葉の園保育園", day, "9:00", "11:00", "就労"]
    ):
        out = await bot.dialog.handle(user, Input("text", text=text), f"{user}-{day}-{i}")
    assert any("以下の内容で予約します" in getattr(r, "text", "") for r in out.replies)


async def test_one_childs_days_confirmed_from_two_accounts_and_by_phone_are_two_at_most(
    clock,
    config,
    interleaved,  # noqa: F811
    store,
):
    a, b = await instances(store, clock, config, 2)
    for day in ("2024-04-23", "2024-04-24", "2024-04-25"):  # seats for every round
        await a.staff.bookings.set_capacity("futaba", day, 10)
    for n in range(ROUNDS):
        child, born = f"目黒 {n}郎", f"2022-05-0{n + 1}"
        await _cleared(a, f"Umom{n}", child, born, "目黒 花子")
        dad = await _cleared(a, f"Udad{n}", child, born, "目黒 一郎")
        await _to_summary(a, f"Umom{n}", child, "4/23(火)")  # neither holds a day yet
        await _to_summary(b, f"Udad{n}", child, "4/24(水)")
        results = await asyncio.gather(
            a.dialog.handle(f"Umom{n}", Input("text", text="確定"), f"mom{n}-confirm"),
            b.dialog.handle(f"Udad{n}", Input("text", text="確定"), f"dad{n}-confirm"),
            a.staff.bookings.phone_booking("futaba", "2024-04-25", 9, 11, dad.id),
            return_exceptions=True,
        )
        line = [any(isinstance(r, Sticker) for r in o.replies) for o in results[:2]]  # type: ignore[union-attr]
        phone = not isinstance(results[2], StaffError)
        assert sum(line) + phone == 2, (n, results)
        held = (await a.repos.allowances.get(child_key(child, born))).held
        assert len(held) == 2
        booked = [
            d
            async for d in a.repos.bookings._c.find(
                {"status": "booked", "child": child_key(child, born)}
            )
        ]
        assert sorted(h.id for h in held) == sorted(d["_id"] for d in booked)
    # every seat taken belongs to a booking that stands
    statuses = Counter([d["status"] async for d in a.repos.bookings._c.find({}, {"status": 1})])
    assert statuses["booked"] == 2 * ROUNDS
    holders = set()
    for day in ("2024-04-23", "2024-04-24", "2024-04-25"):
        seats = await a.repos.seats.day("futaba", dt.date.fromisoformat(day))
        holders |= {h for hs in seats.holders.values() for h in hs}
    standing = {d["_id"] async for d in a.repos.bookings._c.find({"status": "booked"})}
    assert holders == standing


async def test_line_and_phone_bookings_for_the_last_seats_never_overbook(
    clock,
    config,
    interleaved,  # noqa: F811
    store,
):
    a, b = await instances(store, clock, config, 2)
    await a.staff.bookings.set_capacity("futaba", "2024-04-23", 3)
    users = [f"U{i}" for i in range(6)]
    for i, user in enumerate(users):
        await _cleared(a, user, f"目黒 {i}号", "2022-05-01", "目黒 花子")
        await _to_summary((a, b)[i % 2], user, f"目黒 {i}号", "4/23(火)")
    calls = [
        (a, b)[i % 2].dialog.handle(user, Input("text", text="確定"), f"{user}-confirm")
        for i, user in enumerate(users)
    ]
    calls += [
        (a, b)[i % 2].staff.bookings.phone_booking(
            "futaba", "2024-04-23", 9, 12, f"電話 {i}号", True, "0355550001"
        )
        for i in range(6)
    ]
    results = await asyncio.gather(*calls, return_exceptions=True)
    line = sum(any(isinstance(r, Sticker) for r in o.replies) for o in results[:6])  # type: ignore[union-attr]
    phone = sum(not isinstance(r, BaseException) for r in results[6:])
    assert line + phone == 3, results
    seats = await a.repos.seats.day("futaba", dt.date(2024, 4, 23))
    assert [seats.taken(h) for h in (9, 10, 11)] == [3, 3, phone]
    standing = {d["_id"] async for d in a.repos.bookings._c.find({"status": "booked"})}
    assert set(seats.holders["h09"]) == standing
