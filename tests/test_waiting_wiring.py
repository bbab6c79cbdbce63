"""キャンセル待ち is fed wherever seats come free: a parent's cancellation (on LINE too), a
staff cancellation, seats raised, a registration removed; and 臨時休園 ends a day's line."""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.day_closing import DayClosing
from domain.holdings import Holdings
from domain.registrations import Registrations
from domain.waiting import Joined, Waiting
from qa.screen import buttons, texts
from tests.test_cancel import book as book_by_chat
from tests.test_cancel import cleared as cleared_on_chat
from tests.waiting_support import DAY, World, book, cleared, fill, world


async def _join(w: World, *args: Any) -> Joined:
    joined = await w.waiting.join(*args)
    w.services.clock.advance(dt.timedelta(seconds=1))  # type: ignore[attr-defined]
    return joined


async def _line(w: World, day: dt.date = DAY) -> list[tuple[str, str]]:
    return [(e.user, e.status) for e in await w.waiting.line("futaba", day)]


async def test_a_parents_cancellation_is_offered_to_the_line(store, clock, config):
    w = await world(store, clock, config)
    await w.staff.set_capacity("futaba", DAY, 1)
    u1, u2 = await cleared(w, "U1"), await cleared(w, "U2", child="目黒 次郎")
    booking = await book(w, u1, DAY, 8, 17)
    await _join(w, u2, DAY, 9, 12)
    assert await Holdings(w.services).cancel("U1", f"b|{booking}")
    assert await _line(w) == [("U2", "offered")]
    assert len(w.pushes.offers("U2")) == 1


async def test_a_staff_cancellation_is_offered_to_the_line(store, clock, config):
    w = await world(store, clock, config)
    [phone] = await fill(w)
    u1 = await cleared(w, "U1")
    await _join(w, u1, DAY, 9, 12)
    await w.staff.cancel_booking("futaba", phone, DAY)
    assert await _line(w) == [("U1", "offered")]


async def test_seats_raised_are_offered_in_turn(store, clock, config):
    w = await world(store, clock, config)
    await fill(w)
    lives = [await cleared(w, f"U{i}", child=f"目黒 {c}郎") for i, c in enumerate("一二三")]
    for life in lives:
        await _join(w, life, DAY, 9, 12)
    await w.staff.set_capacity("futaba", DAY, 3, hours=[9, 10])  # 11:00 still full
    assert await _line(w) == [("U0", "waiting"), ("U1", "waiting"), ("U2", "waiting")]
    await w.staff.set_capacity("futaba", DAY, 3)
    assert await _line(w) == [("U0", "offered"), ("U1", "offered"), ("U2", "waiting")]
    day = await w.staff.day_seats("futaba", DAY)
    assert [h.free for h in day.hours][1:4] == [0, 0, 0]  # 9:00-12:00 held for U0 and U1


async def test_a_removed_registration_leaves_the_line_and_frees_its_seats(store, clock, config):
    w = await world(store, clock, config)
    await w.staff.set_capacity("futaba", DAY, 1)
    holder = await cleared(w, "U0", child="目黒 零郎")
    await book(w, holder, DAY, 8, 17)
    u1, u2 = await cleared(w, "U1"), await cleared(w, "U2", child="目黒 次郎")
    await _join(w, u1, DAY, 9, 12)
    await _join(w, u2, DAY, 9, 12)
    await Registrations(w.services).remove(holder)  # its booking's seats: offered to U1
    assert await _line(w) == [("U1", "offered"), ("U2", "waiting")]
    await Registrations(w.services).remove(u1)  # U1's offer passes to U2
    assert await _line(w) == [("U2", "offered")]
    ended = await w.repos.waiting.line("futaba", DAY, ("ended",))
    assert [(e.user, e.reason) for e in ended] == [("U1", "registration_removed")]


async def test_closing_a_day_ends_its_line_and_tells_each_parent(store, clock, config):
    w = await world(store, clock, config)
    [phone] = await fill(w)
    u1, u2 = await cleared(w, "U1"), await cleared(w, "U2", child="目黒 次郎")
    await _join(w, u1, DAY, 9, 12)
    await _join(w, u2, DAY, 13, 15)
    await w.staff.set_capacity("futaba", DAY, 2, hours=[9, 10, 11])  # U1 offered 9-12
    assert await _line(w) == [("U1", "offered"), ("U2", "waiting")]

    closing = await DayClosing(w.services).close("futaba", DAY, "台風のため")
    assert closing.closed and [b.booking for b in closing.bookings] == [phone]
    assert await _line(w) == []
    assert all(h.seats == 0 for h in (await w.staff.day_seats("futaba", DAY)).hours)
    for user in ("U1", "U2"):
        text = w.pushes.texts(user)[-1]
        assert "臨時休園" in text and "キャンセル待ちは終了しました" in text
        assert "理由：台風のため" in text
    assert len(w.pushes.offers("U2")) == 0


async def test_a_cancellation_on_line_pushes_the_offer_with_its_buttons(harness):
    bot = harness.bot
    await bot.staff.bookings.set_capacity("futaba", DAY, 1)
    await cleared_on_chat(bot, "U1")
    await book_by_chat(harness, "U1", "目黒 太郎", "4/23(火) 残り1席", "9:00", "17:00")
    await cleared_on_chat(bot, "U2", child="中目 健")
    [life] = (await Waiting(bot.services).childcare.children("U2"))[0]
    assert (await Waiting(bot.services).join(life, DAY, 9, 12)).outcome == "joined"

    await harness.say("U1", "予約を取り消す")
    await harness.say("U1", "キャンセル")
    sent = await harness.say("U1", "はい")
    assert "予約をキャンセルしました。" in texts(sent[0].messages)
    await harness.settle()
    [push] = harness.line.take("U2")
    assert push.via == "push" and push.retry_key is not None
    title, body = texts(push.messages)  # a card: its buttons stay
    assert title == "キャンセル待ちの空きのご案内" and "キャンセル待ちの日に空きが出ました" in body
    take, decline = buttons(push.messages)
    assert (take.label, decline.label) == ("予約する", "辞退する")
    assert take.action["data"].startswith("w|take|")
    assert decline.action["data"].startswith("w|decline|")
