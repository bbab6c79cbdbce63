"""Interview booking: capacity under concurrent confirms, resuming after a cancellation."""

from __future__ import annotations

import asyncio

import pytest

from flows.base import Input
from tests.interview_support import at, lose_next_session_save, register_by_chat, screen


@pytest.fixture
def slow_reads(harness, monkeypatch):
    """Every confirmer reads the slot (still with room) before anyone writes: the widest race.

    The in-memory store never yields inside a query, so without this pause concurrent
    confirmations would simply run one after the other.
    """
    slots = harness.bot.repos.interviews
    read = slots.get

    async def read_then_yield(sid: str):
        slot = await read(sid)
        await asyncio.sleep(0.01)
        return slot

    monkeypatch.setattr(slots, "get", read_then_yield)


async def _to_confirm(h, user: str, child: str) -> None:
    await register_by_chat(h, user, child=child)
    await h.say(user, f"{child}/双葉の園保育園")
    shown = screen(await h.say(user, "4/23(火) 10:00"))
    assert "[はい]" in shown, shown


async def test_two_parents_confirming_the_last_slot_in_one_webhook_one_wins(harness, slow_reads):
    bot = harness.bot
    await bot.staff.interviews.add_interview_slot("futaba", at("2024-04-23T10:00"))
    await _to_confirm(harness, "Ua", "目黒 太郎")
    await _to_confirm(harness, "Ub", "大橋 健")
    # both confirmations arrive in the same webhook and are handled side by side
    sent = await harness.send("Ua", harness.text("Ua", "はい"), harness.text("Ub", "はい"))
    a = " ".join(screen(sent))
    b = " ".join(screen(harness.line.take("Ub")))
    told = [a, b]
    assert sum("面談を予約しました" in t for t in told) == 1, told
    assert sum("他の方の予約で埋まってしまいました" in t for t in told) == 1, told
    slot = (await bot.repos.interviews.all("futaba"))[0]
    assert len(slot.holders) == 1


async def test_concurrent_confirms_never_exceed_capacity(harness, slow_reads):
    """Five parents confirm a slot for two at the same moment: two are booked, three told."""
    bot = harness.bot
    await bot.staff.interviews.add_interview_slot("futaba", at("2024-04-23T10:00"), capacity=2)
    users = [f"U{i}" for i in range(5)]
    for i, user in enumerate(users):
        await _to_confirm(harness, user, f"目黒 太郎{'一二三四五'[i]}")
    outcomes = await asyncio.gather(
        *(bot.dialog.handle(u, Input("text", text="はい"), f"ev-{u}") for u in users)
    )
    said = [" ".join(r.text for r in o.replies) for o in outcomes]
    assert sum("面談を予約しました" in s for s in said) == 2, said
    assert sum("埋まってしまいました" in s for s in said) == 3, said
    slot = (await bot.repos.interviews.all("futaba"))[0]
    assert len(slot.holders) == 2


async def test_a_cancelled_interview_is_booked_again_with_the_keyword(harness):
    bot = harness.bot
    await bot.staff.interviews.add_interview_slot("futaba", at("2024-04-23T10:00"))
    await _to_confirm(harness, "Ua", "目黒 太郎")
    assert "面談を予約しました" in " ".join(screen(await harness.say("Ua", "はい")))
    shown = screen(await harness.say("Ua", "面談予約の再開"))
    assert "[目黒 太郎/双葉の園保育園]" not in shown
    assert any("すべて面談予約済み" in t for t in shown)

    # the cancel flow (or staff) gives the place back
    reg = (await bot.repos.registrations.for_user("Ua"))[0]
    slot = (await bot.repos.interviews.all("futaba"))[0]
    assert await bot.repos.interviews.release(slot.id, reg.id)

    shown = screen(await harness.say("Ua", "面談予約の再開"))
    assert "[目黒 太郎/双葉の園保育園]" in shown
    shown = screen(await harness.say("Ua", "目黒 太郎/双葉の園保育園"))
    assert "[4/23(火) 10:00]" in shown
    await harness.say("Ua", "4/23(火) 10:00")
    assert "面談を予約しました" in " ".join(screen(await harness.say("Ua", "はい")))
    held = await bot.repos.interviews.held_by([reg.id])
    assert held[reg.id].id == slot.id


async def test_a_full_slot_is_not_offered(harness):
    bot = harness.bot
    await bot.staff.interviews.add_interview_slot("futaba", at("2024-04-23T10:00"))
    await bot.staff.interviews.add_interview_slot("futaba", at("2024-04-24T14:00"))
    await _to_confirm(harness, "Ua", "目黒 太郎")
    await harness.say("Ua", "はい")
    await register_by_chat(harness, "Ub", child="大橋 健")
    shown = screen(await harness.say("Ub", "大橋 健/双葉の園保育園"))
    assert "[4/24(水) 14:00]" in shown and "[4/23(火) 10:00]" not in shown


async def test_a_slot_that_was_not_shown_cannot_be_typed(harness):
    bot = harness.bot
    await bot.staff.interviews.add_interview_slot("futaba", at("2024-04-23T10:00"))
    await register_by_chat(harness, "Ua")
    await harness.say("Ua", "目黒 太郎/双葉の園保育園")
    shown = screen(await harness.say("Ua", "4/24(水) 14:00"))
    assert shown[0] == "下のボタンから選んでください。"
    assert "[4/23(火) 10:00]" in shown


async def test_a_confirmation_handled_again_after_a_session_conflict_still_books(
    harness, monkeypatch
):
    bot = harness.bot
    await bot.staff.interviews.add_interview_slot("futaba", at("2024-04-23T10:00"))
    await _to_confirm(harness, "Ua", "目黒 太郎")
    conflicts = lose_next_session_save(monkeypatch, bot.repos.sessions)
    shown = screen(await harness.say("Ua", "はい"))
    assert not conflicts
    assert any("面談を予約しました" in t for t in shown), shown
    assert len((await bot.repos.interviews.all("futaba"))[0].holders) == 1


async def test_booked_elsewhere_meanwhile_is_told_and_not_booked_twice(harness):
    bot = harness.bot
    await bot.staff.interviews.add_interview_slot("futaba", at("2024-04-23T10:00"))
    await bot.staff.interviews.add_interview_slot("futaba", at("2024-04-24T14:00"))
    await _to_confirm(harness, "Ua", "目黒 太郎")
    reg = (await bot.repos.registrations.for_user("Ua"))[0]
    other = (await bot.repos.interviews.all("futaba"))[1]
    assert await bot.repos.interviews.book(other.id, reg.id)  # e.g. by the nursery on the phone
    shown = screen(await harness.say("Ua", "はい"))
    assert any("すべて面談予約済み" in t for t in shown) and "[予約をする]" in shown
    held = await bot.repos.interviews.held_by([reg.id])
    assert held[reg.id].id == other.id
    assert (await bot.repos.interviews.all("futaba"))[0].holders == []


async def test_a_slot_booked_after_its_cancel_deadline_is_told_to_be_cancelled_by_phone(
    harness, clock
):
    """The deadline is 17:00 the day before: booked at 18:00 for tomorrow 10:00, the parent
    is told to phone the nursery, not a deadline that has already passed."""
    await harness.bot.staff.interviews.add_interview_slot("futaba", at("2024-04-21T10:00"))
    await harness.bot.staff.interviews.add_interview_slot("futaba", at("2024-04-23T10:00"))
    clock.set(at("2024-04-20T18:00"))
    await register_by_chat(harness, "Ua", child="目黒 太郎")
    await harness.say("Ua", "目黒 太郎/双葉の園保育園")
    await harness.say("Ua", "4/21(日) 10:00")
    done = " ".join(screen(await harness.say("Ua", "はい")))
    assert "面談を予約しました" in done
    assert "LINEではキャンセルできません" in done and "03-" in done
    assert "まで可能です" not in done

    await register_by_chat(harness, "Ub", child="大橋 健")
    await harness.say("Ub", "大橋 健/双葉の園保育園")
    await harness.say("Ub", "4/23(火) 10:00")
    done = " ".join(screen(await harness.say("Ub", "はい")))
    assert "LINEでのキャンセルは4/22(月) 17:00まで可能です。" in done
