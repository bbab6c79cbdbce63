"""Viewing and cancelling: the order of the list, and only this user's shown bookings can go."""

from __future__ import annotations

import datetime as dt

from qa.screen import buttons, texts
from tests.interview_support import registration


async def cleared(bot, user: str, child: str = "目黒 太郎", nursery: str = "futaba") -> None:
    reg = await registration(bot, user, nursery=nursery, child=child)
    await bot.repos.registrations.clear(
        reg.id, bot.services.now(), bot.services.now().date(), dt.date(2025, 3, 31)
    )


async def book(h, user: str, child: str, day: str, start: str, end: str) -> None:
    for text in ["予約をする", f"{child}/双葉の園保育園", day, start, end, "就労"]:
        await h.say(user, text)
    sent = await h.say(user, "確定")
    assert any(m["type"] == "sticker" for s in sent for m in s.messages)


async def test_bookings_are_listed_soonest_first_with_interviews_marked(harness):
    bot = harness.bot
    await cleared(bot, "U1")
    await cleared(bot, "U1", child="目黒 桜")
    waiting = await registration(bot, "U1", nursery="kuwanomi", child="目黒 桜")
    await bot.staff.interviews.add_interview_slot("kuwanomi", "2024-04-24T10:00")
    slot = (await bot.repos.interviews.all("kuwanomi"))[0]
    assert await bot.repos.interviews.book(slot.id, waiting.id)
    await book(harness, "U1", "目黒 太郎", "4/26(金)", "9:00", "11:00")
    await book(harness, "U1", "目黒 桜", "4/23(火)", "13:00", "15:00")

    sent = await harness.say("U1", "予約を取り消す")
    shown = [t for t in texts(sent[0].messages) if "さん" in t or "保育園" in t]
    assert shown == [
        "双葉の園保育園",
        "目黒 桜さん\n4/23(火) 13:00～15:00",
        "桑の実中目黒保育園（面談用）",
        "目黒 桜さん\n4/24(水) 10:00",
        "双葉の園保育園",
        "目黒 太郎さん\n4/26(金) 9:00～11:00",
    ]
    assert [b.label for b in buttons(sent[0].messages)] == ["キャンセル"] * 3


async def test_a_forged_postback_cannot_cancel_another_users_booking(harness):
    bot = harness.bot
    await cleared(bot, "U1")
    await cleared(bot, "U2", child="中目 健")
    await book(harness, "U1", "目黒 太郎", "4/23(火)", "9:00", "11:00")
    await book(harness, "U2", "中目 健", "4/23(火)", "9:00", "11:00")
    [theirs] = await bot.repos.bookings.of_user("U2", dt.date(2024, 4, 20))

    await harness.say("U1", "予約を取り消す")
    sent = await harness.send("U1", harness.postback("U1", f"b|{theirs.id}"))
    assert "下のボタンから選んでください。" in texts(sent[0].messages)
    assert "はい" not in [b.label for b in buttons(sent[0].messages)]
    await harness.say("U1", "はい")
    assert len(await bot.repos.bookings.of_user("U2", dt.date(2024, 4, 20))) == 1
    # outside the list a postback is a stale button, and nothing happens either
    await harness.say("U1", "メニュー")
    sent = await harness.send("U1", harness.postback("U1", f"b|{theirs.id}"))
    assert "このボタンは現在の操作では使えません。" in texts(sent[0].messages)
    assert len(await bot.repos.bookings.of_user("U2", dt.date(2024, 4, 20))) == 1


async def test_a_typed_cancel_works_when_one_booking_can_go(harness):
    await cleared(harness.bot, "U1")
    await book(harness, "U1", "目黒 太郎", "4/23(火)", "9:00", "11:00")
    await harness.say("U1", "予約を取り消す")
    sent = await harness.say("U1", "キャンセル")
    assert [b.label for b in buttons(sent[0].messages)] == ["はい", "いいえ"]
    sent = await harness.say("U1", "はい")
    assert texts(sent[0].messages) == ["予約をキャンセルしました。"]
    day = await harness.bot.repos.seats.day("futaba", dt.date(2024, 4, 23))
    assert day.taken(9) == day.taken(10) == 0


async def test_a_booking_staff_cancelled_meanwhile_is_not_cancelled_again(harness):
    """The parent has the はい/いいえ question open when the nursery cancels the booking by
    phone request: はい then says it is gone, and the seats another child took since stay
    taken."""
    bot = harness.bot
    await cleared(bot, "U1")
    await cleared(bot, "U2", child="中目 健")
    await book(harness, "U1", "目黒 太郎", "4/23(火)", "9:00", "11:00")
    await harness.say("U1", "予約を取り消す")
    await harness.say("U1", "キャンセル")
    await bot.staff.bookings.cancel_booking("futaba", "目黒 太郎", "2024-04-23")
    harness.line.take("U1")  # the nursery's notice of the cancellation
    await book(harness, "U2", "中目 健", "4/23(火)", "9:00", "11:00")

    sent = await harness.say("U1", "はい")
    assert texts(sent[0].messages) == [
        "この予約はすでに取り消されているか、キャンセル期限を過ぎています。"
    ]
    day = await bot.repos.seats.day("futaba", dt.date(2024, 4, 23))
    assert day.taken(9) == day.taken(10) == 1
    [theirs] = await bot.repos.bookings.of_user("U2", dt.date(2024, 4, 20))
    assert day.holds(9, theirs.id) and day.holds(10, theirs.id)
