"""A registration's life cycle (domain/lifecycle.py) as staff and the maintenance pass see it,
and the rules a replay cannot set up: a session kept over the expiry, one-off closed days,
the ages, a removal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot.app import build
from bot.context import Settings
from domain import ages
from domain.config import Ages, ConfigError
from domain.config_file import default_config_path, load_config
from domain.errors import Conflict
from domain.lifecycle import LIFECYCLE, STATES
from domain.registrations import Registrations
from qa.harness import Harness
from qa.screen import buttons, texts
from storage.clock import SequentialIds
from tests.config_support import write_config
from tests.interview_support import at, registration
from tests.test_booking import cleared


def said(sent) -> list[str]:  # type: ignore[no-untyped-def]
    return [t for s in sent for t in texts(s.messages)]


def labels(sent) -> list[str]:  # type: ignore[no-untyped-def]
    return [b.label for s in sent for b in buttons(s.messages)]


def config_with(tmp_path: Path, change) -> object:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load(default_config_path().read_text(encoding="utf-8"))
    change(raw)
    return load_config(write_config(tmp_path, raw))


# -- the machine --------------------------------------------------------------------------------
def test_the_machine_allows_only_the_moves_of_the_life_cycle() -> None:
    moves = {(s, t) for s, t, _ in LIFECYCLE.edges()}
    assert ("registered", "book_interview") in moves
    assert ("interview_lapsed", "book_interview") in moves
    assert ("cleared", "book_interview") not in moves
    assert ("expired", "clear") not in moves
    assert {s for s, t in moves if t == "remove"} == set(STATES) - {"removed"}


def test_every_state_has_staff_words_and_a_missing_one_names_the_key(tmp_path) -> None:
    config = load_config()
    assert config.staff.states["interview_lapsed"] == "面談日経過"
    with pytest.raises(ConfigError, match=r"staff\.states"):
        config_with(tmp_path, lambda raw: raw["staff"]["states"].pop("expired"))


# -- time moves a registration ------------------------------------------------------------------
async def test_an_interview_day_that_ended_uncleared_frees_its_slot_and_shows_as_lapsed(
    harness, clock
):
    bot = harness.bot
    reg = await registration(bot, "Ua")
    await bot.staff.interviews.add_interview_slot("futaba", at("2024-04-22T10:00"))
    [slot] = await bot.repos.interviews.all("futaba")
    assert await bot.repos.interviews.book(slot.id, reg.id)
    clock.set(at("2024-04-22T18:00"))  # the day itself: still booked, still waiting for it
    await harness.tick()
    [row] = await bot.staff.interviews.waiting_interviews("futaba")
    assert (row.state, row.state_label) == ("interview_booked", "面談予約済み")
    clock.set(at("2024-04-23T00:01"))
    await harness.tick()  # the maintenance pass
    assert (await bot.repos.interviews.get(slot.id)).holders == []  # type: ignore[union-attr]
    [row] = await bot.staff.interviews.waiting_interviews("futaba")
    assert (row.state, row.state_label) == ("interview_lapsed", "面談日経過")
    assert row.missed_interview == "2024-04-22T10:00+09:00" and row.interview_at is None
    # staff may still clear it within the interview's fiscal year: the missed day counts
    done = await bot.staff.interviews.complete_interview("futaba", "目黒 太郎")
    assert (done.interview_date, done.expiry) == ("2024-04-22", "2025-03-31")


async def test_a_summary_confirmed_after_the_expiry_passed_is_refused_with_the_expiry(
    clock, tmp_path
):
    def long_sessions(raw):  # type: ignore[no-untyped-def]
        raw["limits"]["session_idle_minutes"] = 24 * 60

    config = config_with(tmp_path, long_sessions)
    clock.set(at("2025-03-31T09:00"))
    async with Harness(clock=clock, config=config, ids=SequentialIds()) as h:
        await cleared(h.bot, "Ua")  # expiry 2025-03-31
        for text in [
            "予約をする",
            "目黒 太郎/双葉の園保育園",
            "3/31(月)",
            "13:00",
            "15:00",
            "就労",
        ]:
            await h.say("Ua", text)
        clock.set(at("2025-04-01T08:00"))  # the parent comes back the next morning
        shown = said(await h.say("Ua", "確定"))
        assert any("有効期限（2025/03/31）が切れています" in t for t in shown), shown
        assert await h.bot.repos.bookings.of_user("Ua", dt.date(2025, 3, 1)) == []


# -- closed days and ages ------------------------------------------------------------------------
async def test_one_off_closed_dates_are_not_offered_and_staff_can_open_them(clock, tmp_path):
    def closed(raw):  # type: ignore[no-untyped-def]
        raw["nurseries"][0]["closed_dates"] = ["2024-04-24"]

    config = config_with(tmp_path, closed)
    async with Harness(clock=clock, config=config, ids=SequentialIds()) as h:
        await cleared(h.bot, "Ua")
        await h.say("Ua", "予約をする")
        offered = labels(await h.say("Ua", "目黒 太郎/双葉の園保育園"))
        assert "4/23(火) 残り3席" in offered and not any(x.startswith("4/24") for x in offered)
        await h.bot.staff.bookings.set_capacity("futaba", "2024-04-24", 1)
        await h.say("Ua", "予約をする")
        assert "4/24(水) 残り1席" in labels(await h.say("Ua", "目黒 太郎/双葉の園保育園"))


@pytest.mark.parametrize(
    ("birth", "day", "klass"),
    [
        ("2021-05-01", "2022-04-01", 0),
        ("2021-04-02", "2022-04-01", 0),
        ("2021-04-01", "2022-04-01", 1),  # born 1 April: the year before's class
        ("2024-05-01", "2024-09-01", 0),  # born within the fiscal year
        ("2018-04-02", "2025-03-31", 5),
        ("2018-04-02", "2025-04-01", 6),  # school
    ],
)
def test_classes_are_counted_as_schools_count_them(birth: str, day: str, klass: int) -> None:
    assert ages.klass(dt.date.fromisoformat(birth), dt.date.fromisoformat(day)) == klass


def test_a_nursery_taking_some_classes_takes_children_only_in_them() -> None:
    ones_to_twos = Ages(min_months=4, first_class=1, last_class=2)
    born = dt.date(2022, 5, 1)  # class 1 from 2024-04-01, class 2 until 2026-03-31
    assert not ages.takes(ones_to_twos, born, dt.date(2024, 3, 31))
    assert ages.takes(ones_to_twos, born, dt.date(2024, 4, 1))
    assert ages.takes(ones_to_twos, born, dt.date(2026, 3, 31))
    assert not ages.takes(ones_to_twos, born, dt.date(2026, 4, 1))
    assert ages.first_day(Ages(), dt.date(2024, 1, 31)) == dt.date(2024, 5, 31)
    assert ages.first_day(Ages(), dt.date(2023, 10, 31)) == dt.date(2024, 2, 29)


# -- removal ------------------------------------------------------------------------------------
async def test_removing_a_registration_frees_its_interview_and_cancels_its_bookings(harness):
    bot = harness.bot
    await cleared(bot, "Ua")
    for text in [
        "予約をする",
        "目黒 太郎/双葉の園保育園",
        "4/23(火)",
        "9:00",
        "11:00",
        "就労",
        "確定",
    ]:
        await harness.say("Ua", text)
    lives = Registrations(bot.services)
    [life] = await lives.of_user("Ua")
    removal = await lives.remove(life)
    assert [b.date for b in removal.bookings] == ["2024-04-23"]
    assert (await bot.repos.seats.day("futaba", dt.date(2024, 4, 23))).taken(9) == 0
    assert await lives.of_user("Ua") == []  # no longer live
    assert (await lives.life(life.reg.id)).state == "removed"  # type: ignore[union-attr]
    with pytest.raises(Conflict, match="すでに取り消されています"):
        await lives.remove(await lives.life(life.reg.id))  # type: ignore[arg-type]
    # the child may be registered again
    reg = await registration(bot, "Ua")
    assert reg.dedupe is not None


async def test_a_booking_confirmed_while_staff_remove_the_registration_is_not_kept(
    harness, monkeypatch
):
    """The parent presses 確定 in one process while staff remove the registration in
    another, whose list of bookings to cancel is read while this one is still being
    taken: the booking must not outlive the registration (seats and day held, a reminder
    sent), and the parent is not told it was booked."""
    bot = harness.bot
    await cleared(bot, "Ua")
    for text in ["予約をする", "目黒 太郎/双葉の園保育園", "4/23(火)", "9:00", "11:00", "就労"]:
        await harness.say("Ua", text)
    lives = Registrations(bot.services)
    [life] = await lives.of_user("Ua")
    seats = bot.repos.seats
    take = seats.take
    removed: list[object] = []

    async def take_while_removed(*args, **kwargs):  # staff's removal runs in between
        if not removed:
            removed.append(await lives.remove(await lives.life(life.reg.id)))  # type: ignore[arg-type]
        return await take(*args, **kwargs)

    monkeypatch.setattr(seats, "take", take_while_removed)
    said = texts((await harness.say("Ua", "確定"))[0].messages)
    assert removed and not any("予約が完了しました" in t for t in said), said
    assert await bot.repos.bookings.of_registration(life.reg.id, dt.date(2024, 4, 20)) == []
    assert (await seats.day("futaba", dt.date(2024, 4, 23))).taken(9) == 0


async def test_the_app_builds_with_the_shipped_config() -> None:
    bot = build(Settings())
    assert bot.config.nurseries[0].closed_yearly[0].covers(dt.date(2025, 1, 2))
    assert not bot.config.nurseries[0].closed_yearly[0].covers(dt.date(2025, 1, 4))
