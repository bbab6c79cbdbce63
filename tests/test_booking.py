"""Childcare booking rules a replay cannot set up quickly: the limit across nurseries, expiry."""

from __future__ import annotations

import datetime as dt

from qa.screen import buttons, texts
from tests.interview_support import registration


async def cleared(bot, user: str, nursery: str = "futaba", **kw) -> None:
    expiry = kw.pop("expiry", dt.date(2025, 3, 31))
    reg = await registration(bot, user, nursery=nursery, **kw)
    await bot.repos.registrations.clear(
        reg.id, bot.services.now(), bot.services.now().date(), expiry
    )


async def book(h, user: str, choice: str, day: str) -> list[str]:
    for text in ["予約をする", choice, day, "9:00", "11:00", "就労"]:
        await h.say(user, text)
    sent = await h.say(user, "確定")
    return [t for s in sent for t in texts(s.messages)]


def labels(sent) -> list[str]:
    return [b.label for s in sent for b in buttons(s.messages)]


async def test_the_limit_counts_a_child_at_every_nursery_together(harness):
    await cleared(harness.bot, "U1", "futaba")
    await cleared(harness.bot, "U1", "kuwanomi")
    await book(harness, "U1", "目黒 太郎/双葉の園保育園", "4/23(火)")
    await book(harness, "U1", "目黒 太郎/桑の実中目黒保育園", "4/24(水)")
    await harness.say("U1", "予約をする")
    sent = await harness.say("U1", "目黒 太郎/桑の実中目黒保育園")
    said = [t for s in sent for t in texts(s.messages)]
    assert "目黒 太郎さんは既に2日分の予約を保持しているため、これ以上予約できません。" in said
    assert not any("残り" in label for label in labels(sent))


async def test_the_confirmation_is_not_kept_once_its_message_is_handled(harness):
    await cleared(harness.bot, "U1")
    said = await book(harness, "U1", "目黒 太郎/双葉の園保育園", "4/23(火)")
    assert any("4/23(火) 9:00～11:00" in t for t in said)  # the answer says what was booked
    kept = await harness.bot.store.db["sessions"].find_one({"_id": "U1"})
    assert kept is not None and kept["version"] > 0  # the session is there...
    assert "4/23" not in repr(kept) and "予約が完了" not in repr(kept)  # ...not the answer


async def test_the_same_name_born_another_day_is_another_child(harness):
    await cleared(harness.bot, "U1", "futaba")
    await cleared(harness.bot, "U1", "kuwanomi", born="2020-01-01")
    await book(harness, "U1", "目黒 太郎/双葉の園保育園", "4/23(火)")
    await book(harness, "U1", "目黒 太郎/双葉の園保育園", "4/24(水)")
    await harness.say("U1", "予約をする")
    sent = await harness.say("U1", "目黒 太郎/桑の実中目黒保育園")
    assert "4/23(火) 残り3席" in labels(sent)


async def test_past_days_no_longer_count_toward_the_limit(harness, clock):
    await cleared(harness.bot, "U1")
    await book(harness, "U1", "目黒 太郎/双葉の園保育園", "4/22(月)")
    await book(harness, "U1", "目黒 太郎/双葉の園保育園", "4/23(火)")
    clock.set(dt.datetime(2024, 4, 23, 8, 0, tzinfo=clock.tz))
    await harness.say("U1", "予約をする")
    sent = await harness.say("U1", "目黒 太郎/双葉の園保育園")
    assert "4/24(水) 残り3席" in labels(sent)


async def test_an_expired_registration_is_explained_beside_a_bookable_one(harness, clock):
    bot = harness.bot
    await cleared(bot, "U1", "futaba", expiry=dt.date(2024, 3, 31))
    await cleared(bot, "U1", "kuwanomi", child="目黒 桜")
    sent = await harness.say("U1", "予約をする")
    said = [t for s in sent for t in texts(s.messages)]
    assert said[0] == (
        "目黒 太郎さんの双葉の園保育園での利用登録は有効期限（2024/03/31）が切れています。"
        "改めて児童の登録と面談が必要です。"
    )
    assert labels(sent) == ["目黒 桜/桑の実中目黒保育園"]


async def test_another_users_registration_is_never_offered_nor_accepted(harness):
    bot = harness.bot
    await cleared(bot, "U1")
    sent = await harness.say("U2", "予約をする")
    assert "目黒 太郎/双葉の園保育園" not in labels(sent)
    sent = await harness.say("U2", "目黒 太郎/双葉の園保育園")
    assert "利用希望日を選んでください" not in str([texts(s.messages) for s in sent])


async def test_no_days_with_seats_says_so(harness):
    bot = harness.bot
    await cleared(bot, "U1")
    for i in range(11):
        await bot.staff.bookings.set_capacity(
            "futaba", dt.date(2024, 4, 20) + dt.timedelta(days=i), 0
        )
    await harness.say("U1", "予約をする")
    sent = await harness.say("U1", "目黒 太郎/双葉の園保育園")
    said = [t for s in sent for t in texts(s.messages)]
    assert "双葉の園保育園には10日先までに予約できる日がありません。" in said
    assert "予約をする" in labels(sent)  # the menu again


async def test_a_band_that_began_while_on_the_summary_is_not_booked(harness, clock):
    await cleared(harness.bot, "U1")
    clock.set(dt.datetime(2024, 4, 20, 9, 45, tzinfo=clock.tz))
    for text in ["予約をする", "目黒 太郎/双葉の園保育園", "4/20(土)", "10:00", "12:00", "就労"]:
        await harness.say("U1", text)
    clock.set(dt.datetime(2024, 4, 20, 10, 0, tzinfo=clock.tz))
    sent = await harness.say("U1", "確定")
    said = texts(sent[0].messages)[0]
    assert "選択した利用開始時刻（4/20(土) 10:00）を過ぎたため、予約は完了していません" in said
    assert "埋まってしまいました" not in said  # the seats are free: only the time has passed
    assert await harness.bot.repos.bookings.of_user("U1", dt.date(2024, 4, 20)) == []


async def test_a_same_day_booking_says_to_phone_rather_than_cancel_on_line(harness, clock):
    await cleared(harness.bot, "U1")
    clock.set(dt.datetime(2024, 4, 20, 9, 51, tzinfo=clock.tz))
    for text in ["予約をする", "目黒 太郎/双葉の園保育園", "4/20(土)", "10:00", "12:00", "就労"]:
        await harness.say("U1", text)
    done = texts((await harness.say("U1", "確定"))[0].messages)[-1]
    assert "予約が完了しました" in done
    assert "まで可能です" not in done
    assert "LINEではキャンセルできません" in done and "03-0000-0001" in done


async def test_a_booking_after_the_deadline_for_tomorrow_also_says_to_phone(harness, clock):
    await cleared(harness.bot, "U1")
    clock.set(dt.datetime(2024, 4, 22, 17, 30, tzinfo=clock.tz))
    said = await book(harness, "U1", "目黒 太郎/双葉の園保育園", "4/23(火)")
    assert "LINEではキャンセルできません" in next(t for t in said if "予約が完了しました" in t)
    clock.set(dt.datetime(2024, 4, 22, 16, 30, tzinfo=clock.tz))
    said = await book(harness, "U1", "目黒 太郎/双葉の園保育園", "4/24(水)")
    done = next(t for t in said if "予約が完了しました" in t)
    assert "LINEでのキャンセルは4/23(火) 17:00まで可能です。" in done
