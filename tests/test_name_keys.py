"""One child, two spellings: the duplicate check, the duplicates report and the per-child day
limit read names as a person does, and keys stored before are migrated at start-up."""

from __future__ import annotations

import datetime as dt

import pytest

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
    """Everything shown while answering registration (a known child ends it at its name)."""
    answers = ["児童の登録", nursery, "目黒 花子", "153-0061", "東京都目黒区中目黒1-1-1"]
    answers += ["03-1234-5678", child, "メグロ タロウ", "2022-05-01", "男", "はい"]
    shown = []
    for text in answers:
        shown += screen(await h.say(user, text))
    return shown


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
