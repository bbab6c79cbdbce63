"""The webhook: signatures, the inbox, ordering, redelivery, unknown events (through HTTP)."""

from __future__ import annotations

import asyncio
import json

import pytest

from qa.harness import Harness, sign
from qa.screen import texts
from storage.clock import SequentialIds
from tests.echo_flow import EchoFlow
from tests.queues import handled, parked, waiting


@pytest.fixture
async def echo(clock, config, store):
    async with Harness(
        clock=clock, config=config, ids=SequentialIds(), flows=[EchoFlow], store=store
    ) as h:
        yield h


def _all_texts(sent) -> list[str]:
    return [t for s in sent for t in texts(s.messages)]


async def test_bad_signature_is_refused_and_nothing_is_stored(harness):
    body = harness.payload(harness.text("U1", "こんにちは"))
    assert await harness.post(body, signature=sign("another-secret", body)) == 400
    assert await harness.post(body, signature=None) == 400
    await harness.settle()
    assert await harness.bot.store.db["sessions"].count_documents({}) == 0
    assert harness.line.sent == []


async def test_malformed_body_with_valid_signature_is_refused(harness):
    assert await harness.post(b"{not json") == 400
    assert await harness.post(json.dumps({"destination": "x"}).encode()) == 400


async def test_redelivered_event_is_handled_once(harness):
    event = harness.text("U1", "こんにちは")
    first = await harness.send("U1", event)
    assert len(first) == 1
    redelivered = dict(event, deliveryContext={"isRedelivery": True})
    again = await harness.send("U1", redelivered)
    assert again == []
    assert await handled(harness, "U1") == [event["webhookEventId"]]


async def test_a_redelivery_beside_a_new_event_in_one_webhook_answers_only_the_new_one(echo):
    await echo.say("U1", "児童の登録")
    seven = echo.text("U1", "7")
    await echo.send("U1", seven)
    eight = echo.text("U1", "8")
    sent = await echo.send("U1", dict(seven, deliveryContext={"isRedelivery": True}), eight)
    assert [t for t in _all_texts(sent) if t.startswith("got")] == ["got 8"]
    assert (await echo.bot.repos.sessions.get("U1")).data["got"] == [7, 8]
    ids = await handled(echo, "U1")
    assert ids[-2:] == [seven["webhookEventId"], eight["webhookEventId"]]


async def test_an_event_dated_beyond_what_a_date_can_hold_is_still_answered(harness):
    # A signed body may carry any number; year 11476 once failed the handler on every try.
    event = dict(harness.text("U1", "予約をする"), timestamp=3 * 10**14)
    sent = await harness.send("U1", event)
    assert sent, "the parent got no answer"
    assert (await waiting(harness), await parked(harness)) == (0, 0)


async def test_unknown_event_type_is_acknowledged_and_ignored(harness):
    event = harness._base("U1", "beacon")
    event["beacon"] = {"hwid": "d41d8cd98f", "type": "enter"}
    assert await harness.post(harness.payload(event)) == 200
    await harness.settle()
    assert harness.line.sent == []


async def test_health_check(harness):
    async with harness._session.get(harness.url + "/healthz") as r:
        assert r.status == 200
        assert (await r.json())["store"] == harness.bot.store.kind
    assert harness.bot.store.kind in ("memory", "mongodb")


async def test_ten_events_in_one_webhook_are_handled_in_order(echo):
    events = [echo.text("U1", "児童の登録")] + [echo.text("U1", str(i)) for i in range(10)]
    sent = await echo.send("U1", *events)
    got = [t for t in _all_texts(sent) if t.startswith("got ")]
    assert got == [f"got {i}" for i in range(10)]
    session = await echo.bot.repos.sessions.get("U1")
    assert session.data["got"] == list(range(10))


async def test_events_across_concurrent_webhooks_keep_arrival_order(echo):
    await echo.say("U1", "児童の登録")
    events = [echo.text("U1", str(i)) for i in range(10)]
    number_of = {e["webhookEventId"]: int(e["message"]["text"]) for e in events}
    keys: list[tuple[str, str]] = []  # the order keys the server queued them under
    leases = echo.bot.repos.leases
    offer = leases.offer

    async def queueing(user, queued, *args):
        keys.extend((q.k, q.id) for q in queued)
        return await offer(user, queued, *args)

    leases.offer = queueing
    statuses = await asyncio.gather(*(echo.post(echo.payload(e)) for e in events))
    assert statuses == [200] * 10
    await echo.settle()
    accepted = [event_id for _, event_id in sorted(keys)]
    handled = (await echo.bot.repos.sessions.get("U1")).data["got"]
    # Each handled once, in the order the server accepted them.
    assert handled == [number_of[i] for i in accepted if i in number_of]
    assert sorted(handled) == list(range(10))


async def test_different_users_are_handled_concurrently(echo):
    users = [f"U{i}" for i in range(5)]
    for u in users:
        await echo.say(u, "児童の登録")
    events = []
    for i in range(4):
        events += [echo.text(u, str(i)) for u in users]
    await echo.send(users[0], *events)
    for u in users:
        session = await echo.bot.repos.sessions.get(u)
        assert session.data["got"] == [0, 1, 2, 3]


async def test_keyword_interrupts_a_flow(echo):
    await echo.say("U1", "児童の登録")
    await echo.say("U1", "5")
    # the website link leaves the flow where it was, and asks its question again
    sent = _all_texts(await echo.say("U1", "区ウェブサイトで概要を確認する"))
    assert any("https://" in t for t in sent) and "send a number (have 1)" in sent
    assert (await echo.bot.repos.sessions.get("U1")).flow == "registration"
    await echo.say("U1", "メニュー")  # any other keyword leaves it
    session = await echo.bot.repos.sessions.get("U1")
    assert session.flow is None
    sent = await echo.say("U1", "7")  # no flow now: the notice, not "got 7"
    assert any("届きません" in t for t in _all_texts(sent))


async def test_wrong_answer_is_reasked_with_the_reason(echo):
    await echo.say("U1", "児童の登録")
    sent = await echo.say("U1", "seven")
    assert _all_texts(sent)[:2] == ["numbers only", "send a number (have 0)"]
    session = await echo.bot.repos.sessions.get("U1")
    assert session.state == "collect" and session.data.get("got") is None


async def test_session_survives_a_new_app_on_the_same_store(clock, config, store):
    async with Harness(clock=clock, config=config, store=store, flows=[EchoFlow]) as h:
        await h.say("U1", "児童の登録")
        await h.say("U1", "4")
    async with Harness(clock=clock, config=config, store=store, flows=[EchoFlow]) as h2:
        sent = await h2.say("U1", "5")
        assert "got 5" in _all_texts(sent)
        assert (await h2.bot.repos.sessions.get("U1")).data["got"] == [4, 5]


async def test_idle_flow_ends_and_next_message_is_fresh(echo, clock):
    import datetime as dt

    await echo.say("U1", "児童の登録")
    clock.advance(dt.timedelta(minutes=31))
    sent = await echo.say("U1", "5")
    shown = _all_texts(sent)
    assert "got 5" not in shown
    assert any("しばらく操作がなかった" in t for t in shown)
    assert (await echo.bot.repos.sessions.get("U1")).flow is None


async def test_follow_greets_with_the_menu_and_unfollow_blocks_pushes(harness):
    from qa.screen import buttons

    sent = await harness.send("U1", harness.follow("U1"))
    labels = [b.label for s in sent for b in buttons(s.messages)]
    assert labels == [
        "児童の登録",
        "予約をする",
        "予約を取り消す",
        "区ウェブサイトで概要を確認する",
    ]
    await harness.send("U1", harness.unfollow("U1"))
    assert await harness.bot.repos.users.is_blocked("U1")
    from domain.replies import Text

    delivered = await harness.bot.services.notifier.push("U1", [Text("x")], "k1")
    assert delivered is False
    await harness.send("U1", harness.follow("U1"))
    assert await harness.bot.services.notifier.push("U1", [Text("x")], "k2") is True
