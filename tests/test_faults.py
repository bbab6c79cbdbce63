"""Faults beyond tests/test_scale.py: the database lost while an event is queued, events
a version before the inbox was folded into the queues left behind, a worker killed after
answering, shutdown with an event that does not finish in time, LINE's answers lost or
slow to come."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json

import pytest
from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError

from bot.line.client import DeliveryError, LineClient
from bot.logs import configure
from qa.screen import texts
from tests.queues import handled, waiting


@pytest.fixture
def logs():
    buf = io.StringIO()
    configure("INFO", stream=buf)
    yield lambda: [json.loads(x) for x in buf.getvalue().split("\n") if x.startswith("{")]
    configure("INFO")


def _said(sent) -> list[str]:
    return [t for s in sent for t in texts(s.messages)]


def _down(error: Exception):
    """A store call that fails the way the driver does when MongoDB is out of reach."""

    async def call(*args, **kwargs):
        raise error

    return call


async def killed_after_answering(a, text: str) -> None:
    """`a`'s worker dies right after its answer to `text` went out (before the event is
    taken off the queue)."""
    leases = a.bot.repos.leases
    release = leases.release
    dying = asyncio.Event()

    async def killed(*args, **kwargs):
        dying.set()
        await asyncio.sleep(3600)

    leases.release = killed
    assert await a.post(a.payload(a.text("U1", text))) == 200
    await dying.wait()
    for task in list(a.bot.dispatcher._tasks.values()):
        task.cancel()
    await a.settle()
    leases.release = release


async def test_database_lost_while_queueing_then_redelivered(harness, logs):
    leases = harness.bot.repos.leases
    offer = leases.offer
    leases.offer = _down(AutoReconnect("connection reset"))
    event = harness.text("U1", "こんにちは")
    assert await harness.post(harness.payload(event)) == 503  # LINE will redeliver
    await harness.settle()
    assert harness.line.sent == []
    lines = [x for x in logs() if x["event"] == "webhook_store_unavailable"]
    assert lines and lines[0]["level"] == "error" and lines[0]["error"] == "AutoReconnect"
    assert await waiting(harness) == 0  # nothing half-written

    leases.offer = offer
    sent = await harness.send("U1", dict(event, deliveryContext={"isRedelivery": True}))
    assert len(sent) == 1 and any("届きません" in t for t in _said(sent))
    assert await handled(harness, "U1") == [event["webhookEventId"]]
    again = await harness.send("U1", event)  # and once more: nothing new
    assert again == []


async def test_worker_killed_after_answering_is_not_answered_twice(pair, clock):
    a, b = pair
    await a.say("U1", "児童の登録")
    await killed_after_answering(a, "7")
    assert _said(a.line.take("U1")) == ["got 7", "send a number (have 1)"]

    clock.advance(dt.timedelta(seconds=31))  # the dead worker's lease runs out
    await b.bot.dispatcher.sweep_once()
    await b.settle()
    session = await b.bot.repos.sessions.get("U1")
    assert session.data["got"] == [7]  # applied once
    assert a.line.take("U1") == []  # the reply token was used: it went out already
    assert await waiting(b) == 0


async def test_worker_killed_after_replying_restarted_a_minute_later_answers_once(pair, clock):
    """The reply was taken by LINE but its answer never came back; the worker died and the
    event is handled again after the token's age for a reply: no push repeats it."""
    a, b = pair
    await a.say("U1", "児童の登録")
    await killed_after_answering(a, "7")
    assert _said(a.line.take("U1")) == ["got 7", "send a number (have 1)"]

    clock.advance(dt.timedelta(seconds=61))  # restarted after the token is too old to reply
    await b.bot.dispatcher.sweep_once()
    await b.settle()
    assert a.line.take("U1") == []  # LINE refused the spent token: it had gone out
    assert (await b.bot.repos.sessions.get("U1")).data["got"] == [7]
    assert await waiting(b) == 0


async def test_shutdown_returns_an_event_that_does_not_finish_in_time(pair, clock):
    a, b = pair
    await a.say("U1", "児童の登録")
    handler = a.bot.dispatcher.handler

    async def stuck(entry):
        await asyncio.sleep(3600)

    a.bot.dispatcher.handler = stuck
    assert await a.post(a.payload(a.text("U1", "8"))) == 200
    await asyncio.sleep(0.05)
    await a.bot.dispatcher.close(grace=0.1)  # the lease is given back, the event stays queued
    a.bot.dispatcher.handler = handler
    assert await b.bot.dispatcher.sweep_once() == 1  # at once: no lease to wait for
    await b.settle()
    assert (await b.bot.repos.sessions.get("U1")).data["got"] == [8]
    assert "got 8" in _said(a.line.take("U1"))


async def test_push_whose_answer_was_lost_is_retried_under_its_key_and_shown_once(harness):
    harness.line.lose_next(504)  # LINE took it; the bot hears a gateway timeout
    await harness.bot.line.push("U1", [{"type": "text", "text": "x"}], "k-lost-answer")
    sent = harness.line.take("U1")
    assert len(sent) == 1 and sent[0].retry_key == "k-lost-answer"
    assert harness.line.requests == 2  # the retry was refused as a repeat (409)


async def test_reply_whose_answer_was_lost_is_shown_once(harness):
    harness.line.lose_next(500)  # the reply went out, the bot was told 500 and retries
    sent = await harness.say("U1", "こんにちは")
    # The retry finds the token spent: that is the proof it went out, so no push follows.
    assert [s.via for s in sent] == ["reply"]
    assert len(await handled(harness, "U1")) == 1 and await waiting(harness) == 0


async def test_line_429_backs_off_doubling_and_gives_up_after_the_attempts():
    from qa.standin import LineStandIn

    line = LineStandIn()
    await line.start()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    client = LineClient("token", line.url, timeout=2, attempts=4, backoff=0.5)
    client._sleep = sleep
    await client.start()
    try:
        line.fail_next(429, 10)
        with pytest.raises(DeliveryError):
            await client.push("U1", [{"type": "text", "text": "x"}], "k1")
        assert waits == [0.5, 1.0, 2.0]  # doubling, between 4 attempts
        assert line.requests == 4 and line.sent == []
        line.failures.clear()
        await client.push("U1", [{"type": "text", "text": "x"}], "k1")
        assert len(line.take("U1")) == 1
    finally:
        await client.close()
        await line.stop()


async def test_database_down_at_the_webhook_leaves_nothing_written(harness, logs):
    leases = harness.bot.repos.leases
    offer = leases.offer
    leases.offer = _down(ServerSelectionTimeoutError("no servers"))
    event = harness.text("U1", "こんにちは")
    assert await harness.post(harness.payload(event)) == 503
    await harness.settle()
    db = harness.bot.store.db
    for name in ("parked_events", "sessions", "users"):
        assert await db[name].count_documents({}) == 0
    [line] = [x for x in logs() if x["event"] == "webhook_store_unavailable"]
    assert line["error"] == "ServerSelectionTimeoutError" and line["events"] == 1
    leases.offer = offer
    assert len(await harness.send("U1", event)) == 1  # the redelivery, once it is back


async def test_handled_event_redelivered_to_another_instance_is_not_handled_again(pair, clock):
    a, b = pair
    await a.say("U1", "児童の登録")
    seven = a.text("U1", "7")
    assert _said(await a.send("U1", seven)) == ["got 7", "send a number (have 1)"]
    await a.say("U1", "8")
    again = dict(seven, deliveryContext={"isRedelivery": True})
    assert await b.send("U1", again) == []  # recognised as handled: not applied again
    assert (await b.bot.repos.sessions.get("U1")).data["got"] == [7, 8]
    assert await waiting(b) == 0


async def test_worker_killed_after_a_run_of_events_reruns_none_of_them(pair, clock):
    a, b = pair
    await a.say("U1", "児童の登録")
    hold = asyncio.Event()
    handler = a.bot.dispatcher.handler

    async def busy(entry):  # the first event waits until the others are queued behind it
        await hold.wait()
        await handler(entry)

    dying = asyncio.Event()

    async def killed(*args, **kwargs):  # dies when giving the lease back after the last one
        dying.set()
        await asyncio.sleep(3600)

    a.bot.dispatcher.handler = busy
    for n in ("1", "2", "3"):
        assert await a.post(a.payload(a.text("U1", n))) == 200
    a.bot.repos.leases.release = killed
    hold.set()
    await dying.wait()
    for task in list(a.bot.dispatcher._tasks.values()):
        task.cancel()
    await a.settle()
    got = [t for t in _said(a.line.take("U1")) if t.startswith("got")]
    assert got == ["got 1", "got 2", "got 3"]

    clock.advance(dt.timedelta(seconds=31))  # the dead worker's lease runs out
    await b.bot.dispatcher.sweep_once()
    await b.settle()
    assert (await b.bot.repos.sessions.get("U1")).data["got"] == [1, 2, 3]  # each once
    assert a.line.take("U1") == []
    assert await waiting(b) == 0
