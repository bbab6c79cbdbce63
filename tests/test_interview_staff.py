"""Staff operations on interviews: slots, waiting list, clearance and its notice, duplicates."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.errors import StaffError
from domain.lifecycle import fiscal_year_end
from qa.screen import texts
from tests.interview_support import at, registration


@pytest.mark.parametrize(
    ("day", "expiry"),
    [
        (dt.date(2024, 4, 1), dt.date(2025, 3, 31)),
        (dt.date(2024, 12, 31), dt.date(2025, 3, 31)),
        (dt.date(2025, 1, 1), dt.date(2025, 3, 31)),
        (dt.date(2025, 3, 31), dt.date(2025, 3, 31)),
        (dt.date(2025, 4, 1), dt.date(2026, 3, 31)),
    ],
)
def test_fiscal_year_end(day: dt.date, expiry: dt.date) -> None:
    assert fiscal_year_end(day) == expiry


async def _book(bot, reg, when: str) -> None:
    slot = await bot.staff.interviews.add_interview_slot(reg.nursery, at(when))
    sid = (await bot.repos.interviews.all(reg.nursery))[0].id
    assert slot.capacity == 1
    assert await bot.repos.interviews.book(sid, reg.id)


async def test_completion_clears_until_the_fiscal_year_end_of_the_slot_and_tells_the_parent(
    harness, clock
):
    bot = harness.bot
    clock.set(at("2025-03-20T09:00"))
    reg = await registration(bot, "Ua")
    await _book(bot, reg, "2025-03-27T10:00")
    clock.set(at("2025-03-28T09:00"))  # marked done the morning after: the slot's date counts
    result = await bot.staff.interviews.complete_interview("双葉の園保育園", "目黒 太郎")
    assert (result.interview_date, result.expiry) == ("2025-03-27", "2025-03-31")
    assert result.notified is True
    stored = await bot.repos.registrations.get(reg.id)
    assert stored is not None and stored.expiry == "2025-03-31"
    pushed = [t for s in harness.line.take("Ua") for t in texts(s.messages)]
    assert any("利用可能" in t and "2025/03/31" in t for t in pushed), pushed


async def test_completion_after_the_interviews_fiscal_year_ended_is_refused_in_japanese(
    harness, clock
):
    """An interview on 31 March cleared on 1 April would be valid until a day already past:
    refused, saying a new registration and interview are needed; the parent hears nothing."""
    bot = harness.bot
    clock.set(at("2025-03-28T09:00"))
    reg = await registration(bot, "Ua")
    await _book(bot, reg, "2025-03-31T10:00")
    clock.set(at("2025-04-01T09:00"))
    with pytest.raises(StaffError) as refused:
        await bot.staff.interviews.complete_interview("双葉の園保育園", "目黒 太郎")
    assert refused.value.kind == "conflict"
    assert "2025/03/31で終わっているため、面談完了にできません" in str(refused.value)
    assert "新しい年度の児童の登録と面談が必要です" in str(refused.value)
    stored = await bot.repos.registrations.get(reg.id)
    assert stored is not None and stored.expiry is None
    assert harness.line.take("Ua") == []


async def test_completion_without_a_booked_slot_counts_from_today(harness, clock):
    bot = harness.bot
    clock.set(at("2025-04-01T09:00"))
    await registration(bot, "Ua")
    result = await bot.staff.interviews.complete_interview(
        "futaba", "目黒太郎"
    )  # spaces do not matter
    assert (result.interview_date, result.expiry) == ("2025-04-01", "2026-03-31")


async def test_completing_before_the_slot_gives_the_slot_back(harness):
    bot = harness.bot
    reg = await registration(bot, "Ua")
    await _book(bot, reg, "2024-04-23T10:00")
    result = await bot.staff.interviews.complete_interview("futaba", "目黒 太郎")
    assert result.interview_date == "2024-04-23"
    slot = (await bot.repos.interviews.all("futaba"))[0]
    assert slot.holders == []


async def test_a_parent_who_blocked_the_account_gets_no_push_and_staff_are_told(harness):
    bot = harness.bot
    await registration(bot, "Ua")
    await bot.repos.users.set_following("Ua", False, bot.services.now())
    result = await bot.staff.interviews.complete_interview("futaba", "目黒 太郎")
    assert result.notified is False
    assert result.delivery == "blocked" and "ブロック" in result.notice
    assert harness.line.take("Ua") == []
    assert (await bot.repos.registrations.get(result.registration)).cleared()


async def test_refusals_name_the_reason(harness):
    bot = harness.bot
    with pytest.raises(
        StaffError, match="双葉の園保育園に「目黒 次郎」という登録はありません"
    ) as e:
        await bot.staff.interviews.complete_interview("futaba", "目黒 次郎")
    assert e.value.kind == "not_found"
    with pytest.raises(StaffError, match="という保育園はありません") as e:
        await bot.staff.interviews.complete_interview("どこか保育園", "目黒 太郎")
    assert e.value.kind == "not_found"

    await registration(bot, "Ua", born="2022-05-01")
    await registration(bot, "Ub", born="2023-01-01")
    with pytest.raises(StaffError) as e:
        await bot.staff.interviews.complete_interview("futaba", "目黒 太郎")
    assert e.value.kind == "conflict"
    assert "2022-05-01" in str(e.value) and "2023-01-01" in str(e.value)
    result = await bot.staff.interviews.complete_interview("futaba", "目黒 太郎", "2023-01-01")
    assert result.child == "目黒 太郎"
    result = await bot.staff.interviews.complete_interview(
        "futaba", "目黒 太郎"
    )  # one is left waiting
    with pytest.raises(StaffError, match="すでに面談完了です") as e:
        await bot.staff.interviews.complete_interview("futaba", "目黒 太郎")
    assert e.value.kind == "conflict"


async def test_same_child_same_day_by_two_accounts_is_told_apart_by_registration(harness):
    bot = harness.bot
    first = await registration(bot, "Ua")
    await registration(bot, "Ub")
    with pytest.raises(StaffError, match=first.id):
        await bot.staff.interviews.complete_interview("futaba", "目黒 太郎", "2022-05-01")
    result = await bot.staff.interviews.complete_interview("futaba", first.id)
    assert result.registration == first.id


async def test_slots_are_added_with_the_configured_capacity_and_removed_only_when_free(harness):
    bot = harness.bot
    added = await bot.staff.interviews.add_interview_slot("futaba", "2024-04-23T10:00")
    assert added.model_dump() == {
        "at": "2024-04-23T10:00+09:00",
        "capacity": 1,
        "booked": 0,
        "children": [],
    }
    with pytest.raises(StaffError, match="過ぎた日時のため"):
        await bot.staff.interviews.add_interview_slot("futaba", "2024-04-20T08:00")
    with pytest.raises(StaffError, match="「next tuesday」は日時として読めません"):
        await bot.staff.interviews.add_interview_slot("futaba", "next tuesday")
    # only while the nursery is open (8:00-17:00), and a slot that exists says so
    for late in ("2024-04-23T22:00", "2024-04-23T17:00", "2024-04-23T07:30"):
        with pytest.raises(StaffError, match=r"開所時間（8:00～17:00）の外のため") as e:
            await bot.staff.interviews.add_interview_slot("futaba", late)
        assert e.value.kind == "invalid"
    with pytest.raises(StaffError, match=r"2024-04-23 10:00の面談枠はすでにあります（1人）") as e:
        await bot.staff.interviews.add_interview_slot("futaba", "2024-04-23T10:00", 3)
    assert e.value.kind == "conflict"
    assert [s.capacity for s in await bot.repos.interviews.all("futaba")] == [1]  # unchanged

    reg = await registration(bot, "Ua")
    sid = (await bot.repos.interviews.all("futaba"))[0].id
    await bot.repos.interviews.book(sid, reg.id)
    listed = await bot.staff.interviews.interview_slots("futaba")
    assert listed[0].children == ["目黒 太郎"] and listed[0].booked == 1
    with pytest.raises(StaffError, match="予約が入っている（1人）") as e:
        await bot.staff.interviews.remove_interview_slot("futaba", "2024-04-23T10:00")
    assert e.value.kind == "conflict"
    with pytest.raises(StaffError, match="に2024-04-24 10:00の面談枠はありません。") as e:
        await bot.staff.interviews.remove_interview_slot("futaba", "2024-04-24T10:00")
    assert e.value.kind == "not_found"
    await bot.repos.interviews.release(sid, reg.id)
    await bot.staff.interviews.remove_interview_slot("futaba", "2024-04-23T10:00")
    assert await bot.staff.interviews.interview_slots("futaba") == []


async def test_waiting_list_puts_booked_interviews_first_and_leaves_out_the_cleared(harness):
    bot = harness.bot
    await registration(bot, "Ua", child="目黒 一")
    booked = await registration(bot, "Ub", child="目黒 二")
    await registration(bot, "Uc", child="目黒 三")
    await _book(bot, booked, "2024-04-23T10:00")
    await bot.staff.interviews.complete_interview("futaba", "目黒 三")
    await registration(bot, "Ud", child="目黒 四", nursery="kuwanomi")
    rows = await bot.staff.interviews.waiting_interviews("futaba")
    assert [(r.child, r.interview_at) for r in rows] == [
        ("目黒 二", "2024-04-23T10:00+09:00"),
        ("目黒 一", None),
    ]
    everyone = await bot.staff.interviews.registrations("futaba")
    assert [r.child for r in everyone] == ["目黒 一", "目黒 二", "目黒 三"]


async def test_duplicates_are_the_same_child_and_birth_date_from_several_accounts(harness):
    bot = harness.bot
    await registration(bot, "Ua", child="目黒 太郎", parent="目黒 花子")
    await registration(bot, "Ub", child="目黒　太郎", parent="目黒 一郎")
    await registration(bot, "Uc", child="目黒 太郎", born="2020-01-01")  # another child
    await registration(bot, "Ua", child="目黒 太郎", nursery="kuwanomi")  # another nursery
    await registration(bot, "Ua", child="大橋 健")
    report = await bot.staff.interviews.duplicates("futaba")
    assert len(report) == 1
    assert report[0].birth_date == "2022-05-01"
    assert sorted(r.parent for r in report[0].registrations) == ["目黒 一郎", "目黒 花子"]
    assert await bot.staff.interviews.duplicates("kuwanomi") == []


async def test_a_completion_stopped_before_the_notice_is_finished_when_asked_again(harness):
    """Cleared, then the process died before the push: asking again tells the parent once."""
    bot = harness.bot
    reg = await registration(bot, "Ua")
    await _book(bot, reg, "2024-04-23T10:00")
    # the first run got as far as the clearance
    await bot.repos.registrations.clear(
        reg.id, bot.services.now(), bot.services.now().date(), dt.date(2025, 3, 31)
    )
    result = await bot.staff.interviews.complete_interview("futaba", "目黒 太郎")
    assert (result.expiry, result.notified) == ("2025-03-31", True)
    assert (await bot.repos.interviews.all("futaba"))[0].holders == []
    pushed = [t for s in harness.line.take("Ua") for t in texts(s.messages)]
    assert len([t for t in pushed if "利用可能" in t]) == 1
    with pytest.raises(StaffError, match="すでに面談完了です"):
        await bot.staff.interviews.complete_interview("futaba", "目黒 太郎")


async def test_line_down_leaves_the_notice_to_send_on_the_next_attempt(harness):
    bot = harness.bot
    await registration(bot, "Ua")
    harness.line.fail_next(500, times=10)
    result = await bot.staff.interviews.complete_interview("futaba", "目黒 太郎")
    assert result.notified is False and result.delivery == "failed"
    assert result.notice == harness.bot.config.console.messages.push_failed
    harness.line.failures.clear()
    result = await bot.staff.interviews.complete_interview("futaba", "目黒 太郎")
    assert result.notified is True
    pushed = [t for s in harness.line.take("Ua") for t in texts(s.messages)]
    assert any("利用可能" in t for t in pushed)
