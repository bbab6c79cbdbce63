"""A process dying half-way through a booking or a cancellation: nothing is left drifting."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from domain.ledger import REPAIR_AFTER
from domain.replies import Sticker, Text
from flows.base import Input
from flows.engine import Outcome
from storage.allowances import Allowances
from storage.bookings import Bookings
from storage.seats import Seats
from tests.interview_support import registration

DAY = dt.date(2024, 4, 23)


class Crash(Exception):
    """The process dies here."""


def said(outcome: Outcome) -> str:
    return "\n".join(r.text for r in outcome.replies if isinstance(r, Text))


@pytest.fixture
async def bot(harness):
    bot = harness.bot
    reg = await registration(bot, "U1")
    await bot.repos.registrations.clear(
        reg.id, bot.services.now(), bot.services.now().date(), dt.date(2025, 3, 31)
    )
    n = 0

    async def say(text: str, event: str | None = None) -> Outcome:
        nonlocal n
        n += 1
        return await bot.dialog.handle("U1", Input("text", text=text), event or f"e{n}")

    bot.say = say
    return bot


async def to_summary(bot: Any) -> None:
    for text in ["予約をする", "目黒 太郎/双葉の園保育園", "4/23(火) 残り3席", "9:00", "11:00"]:
        await bot.say(text)
    assert "以下の内容で予約します" in said(await bot.say("就労"))


def crash_on(monkeypatch: pytest.MonkeyPatch, cls: type, name: str, when: Any = None) -> None:
    original = getattr(cls, name)

    async def dying(self: Any, *args: Any, **kw: Any) -> Any:
        if when is None or when(*args, **kw):
            raise Crash(name)
        return await original(self, *args, **kw)

    monkeypatch.setattr(cls, name, dying)


def moving_to_booked(booking_id: str, frm: Any, to: str, *a: Any, **k: Any) -> bool:
    return to == "booked"


async def confirm_crashing_on(
    bot: Any, monkeypatch: pytest.MonkeyPatch, cls: type, name: str, when: Any = None
) -> None:
    """Walk to the summary and tap 確定; the process dies in `cls.name` (where `when` holds)."""
    await to_summary(bot)
    with monkeypatch.context() as m:
        crash_on(m, cls, name, when)
        with pytest.raises(Crash):
            await bot.say("確定", "confirm")


async def state(bot: Any) -> tuple[list[str], int, list[str]]:
    """Statuses of all bookings, seats taken at 9:00 on DAY, days the child holds."""
    statuses = [d["status"] async for d in bot.repos.bookings._c.find({})]
    taken = (await bot.repos.seats.day("futaba", DAY)).taken(9)
    allowances = [d async for d in bot.repos.allowances._c.find({})]
    return statuses, taken, [h["date"] for d in allowances for h in d["held"]]


async def test_crash_between_intent_and_seats_is_rolled_back_after_a_while(bot, clock, monkeypatch):
    await confirm_crashing_on(bot, monkeypatch, Seats, "take")
    assert await state(bot) == (["pending"], 0, ["2024-04-23"])
    # a live process may still be finishing it: not touched yet
    await bot.say("予約をする")
    assert await state(bot) == (["pending"], 0, ["2024-04-23"])
    clock.advance(REPAIR_AFTER + dt.timedelta(seconds=1))
    out = await bot.say("予約をする")
    assert await state(bot) == (["failed"], 0, [])
    assert "目黒 太郎/双葉の園保育園" in [b.label for r in out.replies for b in r.buttons]


async def test_a_retried_event_after_a_crash_completes_the_same_booking(bot, monkeypatch):
    await confirm_crashing_on(bot, monkeypatch, Seats, "take")
    out = await bot.say("確定", "confirm")  # the inbox hands the event over again
    assert any(isinstance(r, Sticker) for r in out.replies)
    assert await state(bot) == (["booked"], 1, ["2024-04-23"])


async def test_crash_after_everything_was_taken_is_completed(bot, clock, monkeypatch):
    await confirm_crashing_on(bot, monkeypatch, Bookings, "move", moving_to_booked)
    assert await state(bot) == (["pending"], 1, ["2024-04-23"])
    clock.advance(REPAIR_AFTER * 2)
    out = await bot.say("予約を取り消す")
    assert await state(bot) == (["booked"], 1, ["2024-04-23"])
    assert "4/23(火) 9:00～11:00" in str(out.replies)


async def test_crash_half_way_through_a_cancellation_is_finished(bot, clock, monkeypatch):
    await to_summary(bot)
    await bot.say("確定")
    await bot.say("予約を取り消す")
    [booking] = await bot.repos.bookings.of_user("U1", DAY)
    await bot.dialog.handle("U1", Input("postback", data=f"b|{booking.id}"), "pick")
    with monkeypatch.context() as m:
        crash_on(m, Allowances, "release")
        with pytest.raises(Crash):
            await bot.say("はい", "yes")
    assert await state(bot) == (["cancelling"], 1, ["2024-04-23"])
    # a give-back this young may still be under way in a live process: left alone
    await bot.say("予約をする")
    assert await state(bot) == (["cancelling"], 1, ["2024-04-23"])
    # once it is older than a live one could be, whoever looks next finishes it
    clock.advance(REPAIR_AFTER + dt.timedelta(seconds=1))
    await bot.say("予約をする")
    assert await state(bot) == (["cancelled"], 0, [])


async def test_the_apps_background_repair_gives_seats_back_with_nobody_booking(
    bot, clock, monkeypatch
):
    await confirm_crashing_on(bot, monkeypatch, Seats, "take")
    assert await state(bot) == (["pending"], 0, ["2024-04-23"])
    clock.advance(REPAIR_AFTER + dt.timedelta(seconds=1))
    await bot.maintenance.stop()  # started with the app; run it again, every 10 ms
    bot.maintenance.every = 0.01
    bot.maintenance.start()
    for _ in range(200):
        if (await state(bot))[0] == ["failed"]:
            break
        await asyncio.sleep(0.01)
    assert await state(bot) == (["failed"], 0, [])


async def test_a_seat_taken_after_the_repair_gave_the_booking_up_is_freed(bot, clock, monkeypatch):
    await confirm_crashing_on(bot, monkeypatch, Seats, "take")
    clock.advance(REPAIR_AFTER + dt.timedelta(seconds=1))
    await bot.maintenance.run_once()  # the booking is given up: failed
    [b] = [d async for d in bot.repos.bookings._c.find({})]
    # ... then the slow process it belonged to takes the seat, and dies before giving it back
    await bot.repos.seats.take("futaba", DAY, range(9, 11), b["_id"], {9: 3, 10: 3})
    assert await state(bot) == (["failed"], 1, [])
    assert await bot.maintenance.run_once() == 1
    assert await state(bot) == (["failed"], 0, [])


async def test_a_day_held_after_the_repair_gave_the_booking_up_is_freed(bot, clock, monkeypatch):
    await confirm_crashing_on(bot, monkeypatch, Seats, "take")
    clock.advance(REPAIR_AFTER + dt.timedelta(seconds=1))
    await bot.maintenance.run_once()  # the booking is given up: failed, the child's day freed
    [b] = [d async for d in bot.repos.bookings._c.find({})]
    assert await state(bot) == (["failed"], 0, [])
    # ... then the slow process holds the child's day and the seat again, and dies
    today = clock.now().date()
    assert await bot.repos.allowances.take(b["child"], b["_id"], DAY, today, 2)
    await bot.repos.seats.take("futaba", DAY, range(9, 11), b["_id"], {9: 3, 10: 3})
    assert await state(bot) == (["failed"], 1, ["2024-04-23"])
    assert await bot.maintenance.run_once() == 1
    assert await state(bot) == (["failed"], 0, [])
    assert await bot.maintenance.run_once() == 0  # nothing left to free


async def test_a_status_move_answers_the_booking_as_stored_and_only_from_the_given_statuses(bot):
    await to_summary(bot)
    await bot.say("確定")
    [booking] = await bot.repos.bookings.of_user("U1", DAY)
    bookings, at = bot.repos.bookings, bot.services.now() + dt.timedelta(microseconds=123_456)
    assert await bookings.move(booking.id, "pending", "cancelled", at) is None
    moved = await bookings.move(booking.id, ("pending", "booked"), "cancelling", at, "staff")
    assert moved is not None and moved == await bookings.get(booking.id)
    assert (moved.status, moved.reason, moved.updated_at) == (
        "cancelling",
        "staff",
        at.replace(microsecond=123_000),
    )
