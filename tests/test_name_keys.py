"""One child, two spellings: the duplicate check, the duplicates report and the per-child day
limit read names as a person does, and keys stored before are migrated at start-up."""

from __future__ import annotations

import datetime as dt

import pytest
from structlog.testing import capture_logs

from domain.ledger import Ledger
from storage.allowances import child_key, legacy_child_key
from storage.bookings import BookingDoc
from storage.names import name_key
from tests.interview_support import registration, screen
from tests.test_booking import book, cleared

DAY = dt.date(2024, 4, 23)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("山田 太郎", "山田太郎"),
        ("山田 太郎", "山田　太郎"),
        ("山田\u3000 太郎 ", "山田太郎"),
        ("やまだ たろう", "ヤマダタロウ"),
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "やまだたろう"),
        ("Emma Smith", "ＥＭＭＡ　ＳＭＩＴＨ"),
        ("エマ・スミス", "エマ スミス"),
    ],
)
def test_one_name_spelled_two_ways_is_one_key(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


def test_different_names_stay_different() -> None:
    assert name_key("山田 太郎") != name_key("山田 次郎")
    assert name_key("山田 太郎") != name_key("山 田太郎X")


async def register(h, user: str, child: str, nursery: str = "双葉の園保育園") -> list[str]:
    answers = ["児童の登録", nursery, "目黒 花子", "153-0061", "東京都目黒区中目黒1-1-1"]
    answers += ["03-1234-5678", child, "メグロ タロウ", "2022-05-01", "男"]
    for text in answers:
        await h.say(user, text)
    return screen(await h.say(user, "はい"))


async def test_the_same_child_without_the_space_is_refused_as_a_duplicate(harness):
    assert "児童の登録を受け付けました。続いて面談の予約を行います。" in await register(
        harness, "U1", "山田 太郎"
    )
    shown = await register(harness, "U1", "山田太郎")
    assert any("登録済みです" in t for t in shown)
    assert len(await harness.bot.repos.registrations.for_user("U1")) == 1


async def test_the_day_limit_holds_for_one_child_spelled_two_ways_at_two_nurseries(harness):
    bot = harness.bot
    await cleared(bot, "U1", "futaba", child="山田 太郎")
    await cleared(bot, "U1", "kuwanomi", child="山田太郎")
    await book(harness, "U1", "山田 太郎/双葉の園保育園", "4/23(火)")
    await book(harness, "U1", "山田太郎/桑の実中目黒保育園", "4/24(水)")
    await harness.say("U1", "予約をする")
    said = screen(await harness.say("U1", "山田太郎/桑の実中目黒保育園"))
    assert "山田太郎さんは既に2日分の予約を保持しているため、これ以上予約できません。" in said


async def test_the_duplicates_report_finds_one_child_spelled_two_ways(harness):
    bot = harness.bot
    await registration(bot, "U1", child="やまだ たろう")
    await registration(bot, "U2", child="ヤマダタロウ")
    await registration(bot, "U3", child="ヤマダ タロウ", born="2021-01-01")  # another child
    [dup] = await bot.staff.interviews.duplicates("futaba")
    assert sorted(r.user for r in dup.registrations) == ["U1", "U2"]


# -- documents stored before: migrated at start-up ---------------------------------------------
async def legacy(bot, user: str, child: str, days: list[dt.date]) -> str:
    """A registration, its clearance and bookings as the previous version stored them."""
    reg = await registration(bot, user, child=child, nursery="futaba")
    old_dedupe = f"{user}/futaba/{' '.join(child.split())}"
    await bot.repos.registrations._c.update_one({"_id": reg.id}, {"$set": {"dedupe": old_dedupe}})
    await bot.repos.registrations.clear(reg.id, bot.services.now(), dt.date(2025, 3, 31))
    old_child = legacy_child_key(user, child, reg.birth_date)
    for day in days:
        intent = BookingDoc(
            _id=f"{reg.id}-{day:%d}", nursery="futaba", date=day.isoformat(), start=9, end=11,
            user=user, registration=reg.id, child_name=child, child=old_child,
            created_at=bot.services.now(),
        )  # fmt: skip
        assert await Ledger(bot.services).book(intent) == "booked"
    return reg.id


async def test_stored_keys_are_migrated_at_start_up_and_collisions_reported(harness):
    bot = harness.bot
    first = await legacy(bot, "U1", "山田 太郎", [DAY, DAY + dt.timedelta(days=1)])
    # the same child registered again without the space, before this was refused
    await bot.repos.registrations._c.insert_one(
        {
            **(await bot.repos.registrations._c.find_one({"_id": first})),
            "_id": "second",
            "child_name": "山田太郎",
            "dedupe": "U1/futaba/山田太郎",
        }
    )
    for i, day in enumerate([DAY + dt.timedelta(days=2), DAY + dt.timedelta(days=3)]):
        intent = BookingDoc(
            _id=f"second-{i}", nursery="futaba", date=day.isoformat(), start=9, end=11,
            user="U1", registration="second", child_name="山田太郎",
            child=legacy_child_key("U1", "山田太郎", "2022-05-01"), created_at=bot.services.now(),
        )  # fmt: skip
        assert await Ledger(bot.services).book(intent) == "booked"
    other = await legacy(bot, "U2", "目黒 花", [DAY])

    with capture_logs() as logs:
        await bot.repos.ensure_indexes()  # what every process does at start-up

    regs = bot.repos.registrations
    assert (await regs.get(other)).dedupe == "U2/futaba/目黒花"
    # one of the two spellings keeps the live key; the other is reported, not merged
    keys = {r: (await regs.get(r)).dedupe for r in (first, "second")}
    [kept] = [r for r, k in keys.items() if k == "U1/futaba/山田太郎"]
    collided = [e["registration"] for e in logs if e["event"] == "registration_key_collision"]
    assert collided == [{first: "second", "second": first}[kept]]
    assert "山田" not in str(logs)  # no names in the log
    [dup] = await bot.staff.interviews.duplicates("futaba")
    assert sorted(r.registration for r in dup.registrations) == sorted([first, "second"])

    # one child, one allowance: the four days the two spellings held are counted together
    key = child_key("U1", "山田 太郎", "2022-05-01")
    assert len((await bot.repos.allowances.get(key)).held) == 4
    assert await bot.repos.allowances._c.count_documents({}) == 2
    booked = [b async for b in bot.repos.bookings._c.find({"user": "U1"})]
    assert {b["child"] for b in booked} == {key}
    # the limit is now enforced on the merged allowance
    assert not await bot.repos.allowances.take(key, "new", DAY + dt.timedelta(days=5), DAY, 2)
    # a cancel gives the day back under the new key
    b = await bot.repos.bookings.get("second-0")
    assert await Ledger(bot.services).cancel(b, "parent")
    assert len((await bot.repos.allowances.get(key)).held) == 3

    # and running it again changes nothing
    before = [d async for d in bot.repos.allowances._c.find({})]
    with capture_logs() as again:
        await bot.repos.ensure_indexes()
    assert [d async for d in bot.repos.allowances._c.find({})] == before
    assert [e["event"] for e in again] == ["registration_key_collision"]
