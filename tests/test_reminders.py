"""Reminders: pushed once per booking or interview, however many instances run the pass.

Two app instances share one store and one LINE stand-in (as two server
processes share MongoDB and LINE); their maintenance passes run at once, with
every database call giving way to the other (the `interleaved` fixture).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from domain.config import ConfigError
from domain.config_file import default_config_path, load_config
from domain.ledger import Ledger
from domain.reminders import MAX_ATTEMPTS
from qa.harness import Harness
from qa.screen import texts
from storage.bookings import BookingDoc
from storage.clock import TOKYO
from storage.mongo import connect
from tests.config_support import write_config
from tests.interview_support import at, registration
from tests.test_booking_concurrency import interleaved  # noqa: F401 (a fixture)
from tests.test_replay_target import ADMIN, SECRET, server, start_server  # noqa: F401 (fixtures)

DAY = dt.date(2024, 4, 22)  # a Monday; the clock starts on Saturday 4/20 09:00
NOON = at("2024-04-21T12:00")  # the day before, before the 17:00 cancel deadline


async def book(h: Harness, user: str, child: str, start: int = 9, end: int = 11) -> BookingDoc:
    """A held LINE booking on DAY, made through the ledger as 確定 makes it."""
    assert h.bot is not None
    s = h.bot.services
    b = BookingDoc(
        _id=s.ids.new(),
        nursery="futaba",
        date=DAY.isoformat(),
        start=start,
        end=end,
        user=user,
        child_name=child,
        created_at=s.now(),
    )
    assert await Ledger(s).book(b) == "booked"
    return b


def pushed_texts(h: Harness, user: str) -> list[str]:
    return [t for sent in h.line.by_user.get(user, []) for t in texts(sent.messages)]


@pytest.fixture
async def two(clock: Any, config: Any):
    """Two instances of the real app on one store, sharing one LINE stand-in."""
    store = connect(None)
    async with (
        Harness(clock=clock, config=config, store=store) as a,
        Harness(clock=clock, config=config, store=store, standin=a.line) as b,
    ):
        yield a, b


async def test_two_instances_push_each_reminder_once(two, clock, interleaved):  # noqa: F811
    a, b = two
    parents = [f"Uparent{i:02d}" for i in range(12)]
    for i, user in enumerate(parents):
        await book(a, user, f"目黒 {i}", start=8 + 2 * (i % 4), end=10 + 2 * (i % 4))
    clock.set(NOON - dt.timedelta(minutes=1))
    await asyncio.gather(a.tick(), b.tick())
    assert a.line.sent == []

    clock.set(NOON)
    await asyncio.gather(a.tick(), b.tick(), a.tick(), b.tick())
    for i, user in enumerate(parents):
        got = a.line.by_user[user]
        assert len(got) == 1, user
        text = texts(got[0].messages)[0]
        assert f"目黒 {i}さん" in text and "4/22(月)" in text and "03-0000-0001" in text
        assert "持ち物：一時保育利用申込書兼連絡票" in text
    # one request each: the claim, not LINE's retry key, kept the other instance out
    assert a.line.requests == len(parents)
    # a restart, and later passes, push nothing more
    clock.set(NOON + dt.timedelta(hours=2))
    await asyncio.gather(a.tick(), b.tick())
    assert len(a.line.sent) == len(parents)


async def test_interview_reminder_once_with_the_documents(two, clock, interleaved):  # noqa: F811
    a, b = two
    assert a.bot is not None
    reg = await registration(a.bot, "Uiv")
    slot = await a.bot.repos.interviews.add("futaba", at("2024-04-22T10:00"), 1)
    assert await a.bot.repos.interviews.book(slot.id, reg.id)
    clock.set(NOON)
    await asyncio.gather(a.tick(), b.tick())
    [text] = pushed_texts(a, "Uiv")
    assert "面談のご予約のお知らせ" in text and "4/22(月) 10:00" in text
    assert "一時保育利用登録票、母子健康手帳、健康保険証" in text


async def test_cancelled_or_started_or_booked_late_gets_none(harness, clock):
    gone = await book(harness, "Ugone", "目黒 一郎")
    assert await Ledger(harness.bot.services).cancel(gone, "parent")
    clock.set(NOON + dt.timedelta(hours=1))
    late = await book(harness, "Ulate", "目黒 二郎")  # booked after noon: just confirmed
    await harness.tick()
    assert harness.line.sent == []
    assert await harness.bot.repos.reminders.get(f"childcare:{late.id}") is None
    # the band has begun: too late to remind (the instance was down since noon)
    clock.set(at("2024-04-20T10:00"))
    early = await book(harness, "Uearly", "目黒 三郎", start=9, end=11)
    clock.set(at("2024-04-22T09:00"))
    await harness.tick()
    assert harness.line.sent == []
    clock.set(at("2024-04-22T08:30"))  # still before the band: catches up
    await harness.tick()
    assert len(pushed_texts(harness, "Uearly")) == 1
    assert early.user == "Uearly"


async def test_blocked_parent_is_recorded_not_retried(harness, clock):
    b = await book(harness, "Ublocked", "目黒 太郎")
    await harness.send("Ublocked", harness.unfollow("Ublocked"))
    clock.set(NOON)
    await harness.tick()
    clock.set(NOON + dt.timedelta(hours=1))
    await harness.tick()
    assert harness.line.sent == []
    claim = await harness.bot.repos.reminders.get(f"childcare:{b.id}")
    assert claim is not None and claim["status"] == "blocked" and claim["attempts"] == 1


async def test_line_down_retried_later_then_given_up(harness, clock):
    b = await book(harness, "Uretry", "目黒 太郎")
    key = f"childcare:{b.id}"
    harness.line.fail_next(500, 4)  # one push's worth of attempts
    clock.set(NOON)
    await harness.tick()
    assert harness.line.sent == []
    assert (await harness.bot.repos.reminders.get(key))["status"] == "retry"
    clock.set(NOON + dt.timedelta(minutes=2))  # too soon to try again
    await harness.tick()
    assert harness.line.sent == []
    clock.set(NOON + dt.timedelta(minutes=6))
    await harness.tick()
    assert len(pushed_texts(harness, "Uretry")) == 1
    assert (await harness.bot.repos.reminders.get(key))["status"] == "sent"


async def test_line_down_for_long_the_reminder_is_given_up(harness, clock):
    other = await book(harness, "Unever", "目黒 次郎", start=13, end=15)
    harness.line.fail_next(500, 4 * MAX_ATTEMPTS)
    for i in range(MAX_ATTEMPTS + 2):
        clock.set(NOON + dt.timedelta(minutes=10 + 6 * i))
        await harness.tick()
    claim = await harness.bot.repos.reminders.get(f"childcare:{other.id}")
    assert claim is not None and claim["status"] == "failed"
    assert claim["attempts"] == MAX_ATTEMPTS
    assert harness.line.failures == []  # every failure was used up: no extra tries
    assert pushed_texts(harness, "Unever") == []


async def test_a_pass_dying_after_the_push_does_not_push_twice(harness, clock, monkeypatch):
    """The process pushed, then died before recording it: the next one takes the stale claim
    and pushes again under the same retry key, which LINE takes once."""
    b = await book(harness, "Ucrash", "目黒 太郎")
    claims = harness.bot.repos.reminders
    real_settle = claims.settle

    async def crash(*args: Any, **kw: Any) -> None:
        raise ConnectionError("process killed")

    monkeypatch.setattr(claims, "settle", crash)
    clock.set(NOON)
    await harness.tick()
    assert len(harness.line.sent) == 1
    monkeypatch.setattr(claims, "settle", real_settle)
    clock.set(NOON + dt.timedelta(minutes=1))
    await harness.tick()  # the claim is fresh: left alone
    clock.set(NOON + dt.timedelta(minutes=6))
    await harness.tick()
    claim = await claims.get(f"childcare:{b.id}")
    assert claim is not None and claim["status"] == "sent" and claim["attempts"] == 2
    assert len(harness.line.sent) == 1  # LINE refused the repeat (409): one push
    assert len(harness.line.retry_keys) == 1


def test_reminder_time_is_config(config):
    assert config.reminders.childcare.time == dt.time(12, 0)
    moment = config.reminders.childcare.moment(DAY, TOKYO)
    assert moment == NOON


def test_the_reminder_replay_passes_against_a_running_server(server, capsys):  # noqa: F811
    """`--target`: the server's clock endpoint runs the maintenance pass, so the reminder
    is pushed by the time the script's clock step ends."""
    from bot.cli import main

    url, line_port = server
    script = Path(__file__).parent / "replays" / "reminders"
    args = ["replay", str(script), "--target", url, "--secret", SECRET]
    args += ["--line-port", str(line_port), "--admin-token", ADMIN]
    code = main(args)
    out = capsys.readouterr().out
    scripts = len(list(script.glob("*.yaml")))
    assert scripts >= 3 and out.splitlines()[-1] == f"{scripts} passed, 0 failed", out
    assert code == 0


@pytest.mark.parametrize(
    ("reminder", "deadline", "named"),
    [
        ({"days_before": 1, "time": "18:00"}, None, "futaba"),  # the old evening reminder
        (None, {"days_before": 1, "time": "12:00"}, "angelica"),  # at the same moment
        (None, {"days_before": 2, "time": "17:00"}, "angelica"),
    ],
)
def test_a_reminder_after_the_cancel_deadline_stops_start_up_naming_the_key(
    tmp_path: Path, reminder: dict[str, object] | None, deadline: dict[str, object] | None, named
) -> None:
    raw = yaml.safe_load(default_config_path().read_text(encoding="utf-8"))
    if reminder is not None:
        raw["reminders"]["childcare"] = reminder
    if deadline is not None:
        raw["nurseries"][1]["cancel_deadline"]["childcare"] = deadline
    path = write_config(tmp_path, raw)
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert "reminders.childcare" in str(e.value)
    assert f"nurseries.{named}.cancel_deadline.childcare" in str(e.value)


def test_the_shipped_reminders_come_before_every_cancel_deadline(config) -> None:
    for n in config.nurseries:
        for kind in ("childcare", "interview"):
            day = DAY
            remind = getattr(config.reminders, kind).moment(day, TOKYO)
            assert remind < getattr(n.cancel_deadline, kind).moment(day, TOKYO)
