"""Bad input, generated: webhook bodies of any shape with valid signatures, random texts and
postback data (forged, stale, another user's, over-long, odd unicode, wrong encoding).

Whatever comes, the webhook never answers 5xx, no event fails in a flow (nothing is
left pending or parked in the inbox, no error is logged), every message or postback
of a user gets an answer, and another user's documents stay as they were. A forged
postback or typed label books nothing that was not shown.

The example count is bounded for CI (FUZZ_EXAMPLES, default 100 per test); the whole
file runs in well under a minute.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.logs import configure
from qa.harness import Harness, sign
from qa.screen import buttons
from storage.allowances import child_key
from storage.clock import TOKYO, SequentialIds
from tests.interview_support import registration
from tests.queues import parked, waiting

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DAY = dt.date(2024, 4, 23)
VICTIM = "Uvictim0000000000000000000000000"
ACTORS = ["Ufresh", "Uregistering", "Ubooking", "Usummary", "Ucancelling"]


# -- the world the fuzzer acts in ------------------------------------------------------------
async def _say(h: Harness, user: str, *texts: str) -> list[Any]:
    sent: list[Any] = []
    for text in texts:
        sent = await h.say(user, text)
    return sent


async def _cleared(h: Harness, user: str, child: str, born: str = "2022-05-01") -> None:
    reg = await registration(h.bot, user, child=child, born=born)
    await h.bot.repos.registrations.clear(
        reg.id, h.bot.services.now(), h.bot.services.now().date(), dt.date(2025, 3, 31)
    )


async def _to_summary(h: Harness, user: str, child: str) -> None:
    day = f"{DAY.month}/{DAY.day}("
    sent = await _say(h, user, "予約をする", f"{child}/双葉の園保育園")
    label = next(b.label for s in sent for b in buttons(s.messages) if b.label.startswith(day))
    await _say(h, user, label, "9:00", "11:00", "就労")


@pytest.fixture
async def world(clock, config):
    """A victim with a registration in waiting (holding an interview), a cleared one with a
    booking, and a registration flow under way; and actors in every kind of state."""
    async with Harness(clock=clock, config=config, ids=SequentialIds()) as h:
        staff = h.bot.staff.interviews
        await staff.add_interview_slot("futaba", dt.datetime(2024, 4, 24, 10, tzinfo=TOKYO))
        await registration(h.bot, VICTIM, child="目黒 一郎")
        await _say(
            h, VICTIM, "面談予約の再開", "目黒 一郎/双葉の園保育園", "4/24(水) 10:00", "はい"
        )
        await _cleared(h, VICTIM, "目黒 二郎")
        await _to_summary(h, VICTIM, "目黒 二郎")
        await _say(h, VICTIM, "確定", "児童の登録", "双葉の園保育園", "目黒 花子")
        for i, user in enumerate(ACTORS[2:]):  # three children of one name, born apart
            await _cleared(h, user, "目黒 三郎", born=f"2022-05-0{i + 1}")
        await _say(h, "Uregistering", "児童の登録", "双葉の園保育園", "目黒 花子")
        await _say(h, "Ubooking", "予約をする", "目黒 三郎/双葉の園保育園")
        await _to_summary(h, "Usummary", "目黒 三郎")
        await _to_summary(h, "Ucancelling", "目黒 三郎")
        await _say(h, "Ucancelling", "確定", "予約を取り消す")
        victim = await _victim_ids(h)
        assert victim["bookings"] and victim["slots"]
        h.line.take(VICTIM)
        for user in ACTORS:
            h.line.take(user)
        yield h, victim


async def _victim_ids(h: Harness) -> dict[str, list[str]]:
    db = h.bot.store.db
    regs = [d async for d in db["registrations"].find({"user": VICTIM})]
    bookings = [d["_id"] async for d in db["bookings"].find({"user": VICTIM})]
    slots = [d["_id"] async for d in db["interview_slots"].find({"holders": {"$exists": True}})]
    return {"registrations": [r["_id"] for r in regs], "bookings": bookings, "slots": slots}


async def _victim_state(h: Harness) -> dict[str, Any]:
    """Every document of the victim's, and what the victim holds in shared documents."""
    db = h.bot.store.db
    out: dict[str, Any] = {}
    for name, query in (
        ("sessions", {"_id": VICTIM}),
        ("users", {"_id": VICTIM}),
        ("registrations", {"user": VICTIM}),
        ("bookings", {"user": VICTIM}),
    ):
        out[name] = [d async for d in db[name].find(query).sort("_id", 1)]
    keys = [child_key(r["child_name"], r["birth_date"]) for r in out["registrations"]]
    out["allowances"] = [d async for d in db["allowances"].find({"_id": {"$in": keys}})]
    reg_ids = set(r["_id"] for r in out["registrations"])
    slots = [d async for d in db["interview_slots"].find({})]
    out["interviews"] = sorted([d["_id"], sorted(reg_ids & set(d["holders"]))] for d in slots)
    booking_ids = {b["_id"] for b in out["bookings"]}
    days = [d async for d in db["seat_days"].find({})]
    out["seats"] = sorted(
        [d["_id"], hour, sorted(booking_ids & set(ids))]
        for d in days
        for hour, ids in d.get("holders", {}).items()
    )
    return out


@pytest.fixture
def error_logs():
    buf = io.StringIO()
    configure("INFO", stream=buf)
    yield lambda: [
        x
        for x in (json.loads(line) for line in buf.getvalue().split("\n") if line.startswith("{"))
        if x.get("level") in ("error", "critical") or x.get("event") == "event_failed"
    ]
    configure("INFO")


async def _nothing_failed(h: Harness, error_logs: Any) -> None:
    await h.settle()
    assert error_logs() == []  # first: a failed event's log says why it failed
    assert await waiting(h) == 0, "an event failed and waits for a retry"
    assert await parked(h) == 0, "an event was parked"


# -- what the fuzzer sends --------------------------------------------------------------------
ODD = st.sampled_from(
    [
        "",
        " ",
        "\u3000",
        "\x00",
        "\ufeff予約をする",
        "予約をする\u200b",
        "ｙｅｓ",
        "はい" * 3,
        "\u202e確定",
        "🙂" * 30,
        "e\u0301" * 40,
        "9:00",
        "4/23(火) 残り3席",
        "目黒 二郎/双葉の園保育園",
        "キャンセル",
        "確定",
    ]
)
KEYWORDS = st.sampled_from(
    [
        "児童の登録",
        "予約をする",
        "予約を取り消す",
        "区ウェブサイトで概要を確認する",
        "面談予約の再開",
    ]
)
SURROGATES = st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1)
TEXTS = st.one_of(
    st.text(max_size=60),
    ODD,
    KEYWORDS,
    SURROGATES,
    st.integers(201, 12000).map(lambda n: "長" * n),
)


def _postback_data(victim: dict[str, list[str]]) -> st.SearchStrategy[str]:
    """Forged and stale data: the victim's booking/interview keys, ids, dates, choices."""
    forged = [f"b|{b}" for b in victim["bookings"]]
    forged += [f"i|{s}|{r}" for s in victim["slots"] for r in victim["registrations"]]
    forged += victim["registrations"] + ["confirm", "stop", "yes", "no", "birth_date"]
    forged += ["2024-04-23", "2024-04-21", "2024-05-30", "9", "17", "futaba"]
    return st.one_of(
        st.sampled_from(forged),
        st.text(max_size=300),
        SURROGATES,
        st.integers(301, 3000).map(lambda n: "b|" + "x" * n),
    )


def _event(h: Harness, user: str, kind: str, value: str, date: str | None) -> dict[str, Any]:
    if kind == "text":
        return h.text(user, value)
    if kind == "postback":
        return h.postback(user, value, date)
    if kind == "sticker":
        e = h._base(user, "message")
        e["message"] = {"type": "sticker", "id": "1", "packageId": "446", "stickerId": value}
        return e
    return h.follow(user) if kind == "follow" else h.unfollow(user)


async def _send_checked(h: Harness, user: str, event: dict[str, Any]) -> None:
    status = await h.post(h.payload(event))
    assert status == 200
    await h.settle()
    if event["type"] != "unfollow":
        assert h.line.take(user), "a user's message got no answer"


@FUZZ
@given(data=st.data())
async def test_random_texts_and_postbacks_are_answered_and_touch_nobody_else(
    world, error_logs, data
):
    h, victim = world
    before = await _victim_state(h)
    user = data.draw(st.sampled_from(ACTORS), label="user")
    kind = data.draw(
        st.sampled_from(["text", "text", "postback", "postback", "sticker", "follow", "unfollow"])
    )
    if kind == "postback":
        value = data.draw(_postback_data(victim), label="data")
        date = data.draw(st.one_of(st.none(), st.text(max_size=12), st.just("2022-05-01")))
    else:
        value, date = data.draw(TEXTS, label="text"), None
    await _send_checked(h, user, _event(h, user, kind, value, date))
    await _nothing_failed(h, error_logs)
    assert await _victim_state(h) == before


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)
FIELD_VALUES = st.one_of(JSON, st.integers(min_value=-(2**80), max_value=2**80), SURROGATES)


@st.composite
def _event_like(draw: st.DrawFn) -> dict[str, Any]:
    """Dicts shaped like LINE events with any field missing or of any type."""
    event: dict[str, Any] = {}
    fields = {
        "type": st.sampled_from(["message", "postback", "follow", "unfollow", "beacon", ""]),
        "webhookEventId": st.text(max_size=40) | FIELD_VALUES,
        "timestamp": st.integers(min_value=-(2**70), max_value=2**70) | FIELD_VALUES,
        "replyToken": st.text(max_size=40) | FIELD_VALUES,
        "source": st.fixed_dictionaries(
            {"type": st.just("user"), "userId": st.sampled_from(ACTORS) | FIELD_VALUES}
        )
        | FIELD_VALUES,
        "message": st.fixed_dictionaries({"type": st.just("text"), "text": TEXTS | FIELD_VALUES})
        | FIELD_VALUES,
        "postback": st.fixed_dictionaries(
            {"data": st.text(max_size=30) | FIELD_VALUES, "params": FIELD_VALUES}
        )
        | FIELD_VALUES,
    }
    for name, strategy in fields.items():
        if draw(st.booleans()) or name in ("type", "webhookEventId"):
            event[name] = draw(strategy)
    return event


BODIES = st.one_of(
    JSON,
    st.fixed_dictionaries({"destination": st.text(max_size=5), "events": st.lists(_event_like())}),
    st.fixed_dictionaries({"events": JSON}),
)


@FUZZ
@given(body=BODIES)
async def test_signed_bodies_of_any_shape_never_get_a_5xx(world, error_logs, body):
    h, _ = world
    before = await _victim_state(h)
    raw = json.dumps(body, ensure_ascii=True).encode()
    status = await h.post(raw)
    assert status in (200, 400)
    await _nothing_failed(h, error_logs)
    for user in ACTORS:
        h.line.take(user)
    assert await _victim_state(h) == before


@FUZZ
@given(
    raw=st.binary(max_size=200),
    encoding=st.sampled_from(["shift_jis", "euc_jp", "utf-16", "utf-32-be"]),
)
async def test_bytes_in_a_wrong_encoding_are_refused_not_crashed_on(
    world, error_logs, raw, encoding
):
    h, _ = world
    body = json.dumps({"events": [{"type": "message", "text": "予約をする"}]}, ensure_ascii=False)
    for payload in (raw, body.encode(encoding)):
        assert await h.post(payload, signature=sign(h.secret, payload)) in (200, 400)
    await _nothing_failed(h, error_logs)


# -- a forged choice books nothing it was not shown ------------------------------------------
async def test_forged_day_or_hour_books_nothing_that_was_not_shown(world, config):
    h, _ = world
    m = config.messages
    user = "Ubooking"
    sent = await _say(h, user, "予約をする", "目黒 三郎/双葉の園保育園")
    shown = {b.label for s in sent for b in buttons(s.messages)}
    sunday, beyond = "4/21(日) 残り3席", "5/30(木) 残り3席"
    assert sunday not in shown and beyond not in shown
    forged = [
        ("text", sunday),
        ("text", beyond),
        ("postback", "2024-04-21"),
        ("postback", "2024-05-30"),
        ("text", "確定"),
        ("postback", "confirm"),
    ]
    for kind, value in forged:
        event = h.text(user, value) if kind == "text" else h.postback(user, value)
        reply = await h.send(user, event)
        assert any(m.choose_from_buttons in t for s in reply for t in _texts(s))
    session = await h.bot.repos.sessions.get(user)
    assert session.flow == "booking" and session.state == "day"
    assert await h.bot.repos.bookings.of_user(user, DAY - dt.timedelta(days=3)) == []
    # A start hour forged at the next step: 7:00 is before opening, 16:00 leaves under 2 hours.
    day = next(x for x in shown if x.startswith(f"{DAY.month}/{DAY.day}("))
    await _say(h, user, day)
    for hour in ("7:00", "16:00", "17:00"):
        reply = await h.say(user, hour)
        assert any(m.choose_from_buttons in t for s in reply for t in _texts(s))
    assert (await h.bot.repos.sessions.get(user)).state == "start_hour"


async def test_another_users_cancel_button_cancels_nothing(world, config):
    h, victim = world
    m = config.messages
    before = await _victim_state(h)
    for user in ("Ucancelling", "Ufresh"):
        for key in [f"b|{b}" for b in victim["bookings"]]:
            reply = await h.send(user, h.postback(user, key))
            assert reply
            answer = await h.say(user, "はい")
            assert not any(m.cancel_done in t for s in answer for t in _texts(s))
    assert await _victim_state(h) == before


def _texts(sent: Any) -> list[str]:
    from qa.screen import texts

    return texts(sent.messages)
