"""Faults beyond tests/test_scale.py: the database lost between storing and queueing an
event, an event stored but never queued, a worker killed after answering, shutdown with
an event that does not finish in time, LINE's answers lost or slow to come."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json

import pytest
from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError

from bot.line.client import DeliveryError, LineClient
from bot.line.dispatcher import STRANDED_AFTER
from bot.line.events import clean_event
from bot.logs import configure
from bot.qa.screen import texts


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


async def test_database_lost_after_storing_before_queueing_then_redelivered(harness, logs):
    leases = harness.bot.repos.leases
    offer = leases.offer
    leases.offer = _down(AutoReconnect("connection reset"))
    event = harness.text("U1", "こんにちは")
    assert await harness.post(harness.payload(event)) == 503  # LINE will redeliver
    await harness.settle()
    assert harness.line.sent == []
    lines = [x for x in logs() if x["event"] == "webhook_store_unavailable"]
    assert lines and lines[0]["level"] == "error" and lines[0]["error"] == "AutoReconnect"
    assert await harness.bot.repos.inbox.count("pending") == 1  # stored, not yet queued

    leases.offer = offer
    sent = await harness.send("U1", dict(event, deliveryContext={"isRedelivery": True}))
    assert len(sent) == 1 and any("届きません" in t for t in _said(sent))
    assert await harness.bot.repos.inbox.count("done") == 1
    again = await harness.send("U1", event)  # and once more: nothing new
    assert again == []


async def test_event_stored_but_never_queued_is_found_by_the_sweeper(harness, clock):
    # The process died between the two writes: the event stored, not queued, and LINE
    # (which saw no answer) gave up redelivering.
    event = clean_event(harness.text("U1", "こんにちは"))
    assert event is not None
    await harness.bot.repos.inbox.add([(event["webhookEventId"], "U1", event)], clock.now())
    dispatcher = harness.bot.dispatcher
    assert await dispatcher.sweep_once() == 0  # too recent to be called stranded
    clock.advance(STRANDED_AFTER + dt.timedelta(seconds=1))
    assert await dispatcher.sweep_once() == 1
    await harness.settle()
    assert len(harness.line.take("U1")) == 1
    assert await harness.bot.repos.inbox.count("done") == 1
    clock.advance(STRANDED_AFTER * 2)
    await dispatcher.sweep_once()
    await harness.settle()
    assert harness.line.take("U1") == []  # handled once


async def test_worker_killed_after_answering_is_not_answered_twice(pair, clock):
    a, b = pair
    await a.say("U1", "児童の登録")
    inbox, leases = a.bot.repos.inbox, a.bot.repos.leases
    mark_done, release = inbox.mark_done, leases.release
    dying = asyncio.Event()

    async def killed(*args, **kwargs):  # the process dies right after the answer went out
        dying.set()
        await asyncio.sleep(3600)

    async def nothing(*args, **kwargs):  # a dead process marks nothing
        return None

    leases.release = killed
    inbox.mark_done = nothing
    assert await a.post(a.payload(a.text("U1", "7"))) == 200
    await dying.wait()
    for task in list(a.bot.dispatcher._tasks.values()):
        task.cancel()
    await a.settle()
    inbox.mark_done, leases.release = mark_done, release
    assert _said(a.line.take("U1")) == ["got 7", "send a number (have 1)"]

    clock.advance(dt.timedelta(seconds=31))  # the dead worker's lease runs out
    await b.bot.dispatcher.sweep_once()
    await b.settle()
    session = await b.bot.repos.sessions.get("U1")
    assert session.data["got"] == [7]  # applied once
    assert a.line.take("U1") == []  # the reply token was used: it went out already
    assert await b.bot.repos.inbox.count("pending") == 0


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
    assert await harness.bot.repos.inbox.count("done") == 1


async def test_line_429_backs_off_doubling_and_gives_up_after_the_attempts():
    from bot.qa.standin import LineStandIn

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
    inbox = harness.bot.repos.inbox
    add = inbox.add
    inbox.add = _down(ServerSelectionTimeoutError("no servers"))
    event = harness.text("U1", "こんにちは")
    assert await harness.post(harness.payload(event)) == 503
    await harness.settle()
    db = harness.bot.store.db
    for name in ("inbox", "sessions", "users"):
        assert await db[name].count_documents({}) == 0
    [line] = [x for x in logs() if x["event"] == "webhook_store_unavailable"]
    assert line["error"] == "ServerSelectionTimeoutError" and line["events"] == 1
    inbox.add = add
    assert len(await harness.send("U1", event)) == 1  # the redelivery, once it is back


async def _handled_but_not_marked(a, clock) -> dict:
    """Instance `a` handles "7" and "8", and dies before writing "7" done in the inbox (the
    marks are written in batches); "7" is on no queue any more, the inbox says pending."""
    await a.say("U1", "児童の登録")
    inbox = a.bot.repos.inbox
    mark_done = inbox.mark_done

    async def died_first(*args, **kwargs):
        return None

    inbox.mark_done = died_first
    seven = a.text("U1", "7")
    assert _said(await a.send("U1", seven)) == ["got 7", "send a number (have 1)"]
    inbox.mark_done = mark_done
    await a.say("U1", "8")
    assert await inbox.count("pending") == 1
    return seven


async def test_handled_event_whose_done_mark_was_lost_is_not_handled_again_on_redelivery(
    pair, clock
):
    a, b = pair
    seven = await _handled_but_not_marked(a, clock)
    again = dict(seven, deliveryContext={"isRedelivery": True})
    assert await b.send("U1", again) == []  # recognised as handled: not applied again
    assert (await b.bot.repos.sessions.get("U1")).data["got"] == [7, 8]
    assert await b.bot.repos.inbox.count("pending") == 0


async def test_handled_event_whose_done_mark_was_lost_is_not_handled_again_by_the_sweeper(
    pair, clock
):
    a, b = pair
    await _handled_but_not_marked(a, clock)
    clock.advance(STRANDED_AFTER + dt.timedelta(seconds=1))
    await b.bot.dispatcher.sweep_once()
    await b.settle()
    assert b.line.take("U1") == []
    assert (await b.bot.repos.sessions.get("U1")).data["got"] == [7, 8]
    assert await b.bot.repos.inbox.count("pending") == 0


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
    assert await b.bot.repos.inbox.count("pending") == 0
