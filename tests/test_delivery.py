"""Replies reach the user: reply token, push fallback with a retry key, LINE errors."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.line.client import LineApiError, LineClient, retry_key
from qa.harness import Harness
from qa.screen import texts
from storage.clock import SequentialIds
from tests.queues import handled, parked, waiting


async def test_expired_reply_token_goes_out_as_push_with_retry_key(harness, clock):
    event = harness.text("U1", "こんにちは")
    clock.advance(dt.timedelta(seconds=55))  # LINE delivered it late; the token is too old
    sent = await harness.send("U1", event)
    assert [s.via for s in sent] == ["push"]
    assert sent[0].retry_key == retry_key(event["webhookEventId"], "0")
    assert "届きません" in texts(sent[0].messages)[0]


async def test_refused_reply_token_goes_out_as_push(harness):
    event = harness.text("U1", "こんにちは")
    harness.line.tokens.pop(event["replyToken"])  # LINE: "Invalid reply token"
    sent = await harness.send("U1", event)
    assert [s.via for s in sent] == ["push"]
    assert sent[0].retry_key


async def test_line_5xx_is_retried_and_delivered_once(harness):
    harness.line.fail_next(500, 2)
    sent = await harness.say("U1", "こんにちは")
    assert [s.via for s in sent] == ["reply"]


async def test_push_repeated_with_same_retry_key_is_delivered_once(harness):
    line = harness.bot.line
    msg = [{"type": "text", "text": "x"}]
    harness.line.fail_next(429)
    await line.push("U1", msg, "6c0f2a55-4a0e-4d6a-9b1e-2f3f7c1d9e10")
    await line.push("U1", msg, "6c0f2a55-4a0e-4d6a-9b1e-2f3f7c1d9e10")  # 409: already accepted
    assert len(harness.line.take("U1")) == 1


async def test_event_whose_delivery_fails_stays_queued_and_is_retried(harness, clock):
    harness.line.fail_next(503, 4)  # every attempt of the first try fails
    event = harness.text("U1", "こんにちは")
    assert await harness.send("U1", event) == []
    assert await waiting(harness) == 1
    assert await harness.bot.dispatcher.sweep_once() == 1  # not due yet: it waits
    await harness.settle()
    assert harness.line.take("U1") == [] and await waiting(harness) == 1
    clock.advance(dt.timedelta(seconds=5))
    assert await harness.bot.dispatcher.sweep_once() == 1
    await harness.settle()
    again = harness.line.take("U1")
    assert len(again) == 1 and "届きません" in texts(again[0].messages)[0]
    assert await waiting(harness) == 0
    assert await handled(harness, "U1") == [event["webhookEventId"]]


async def test_event_failing_every_time_is_parked_not_lost(harness, clock):
    harness.line.fail_next(500, 400)
    await harness.say("U1", "こんにちは")
    for _ in range(6):
        clock.advance(dt.timedelta(minutes=10))
        await harness.bot.dispatcher.sweep_once()
        await harness.settle()
    assert await parked(harness) == 1
    assert await waiting(harness) == 0  # off the queue: the user's next message is answered
    harness.line.failures.clear()
    assert len(await harness.say("U1", "こんにちは")) == 1


async def test_an_event_given_up_on_is_answered_with_a_try_again(harness, clock, monkeypatch):
    """A message the bot fails to handle every time is parked for staff, and the parent is
    told once to try again later instead of waiting for an answer that never comes."""

    async def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(harness.bot.dialog, "handle", broken)
    assert await harness.say("U1", "児童の登録") == []  # first attempt: retried later, silent
    for _ in range(6):
        clock.advance(dt.timedelta(minutes=10))
        await harness.bot.dispatcher.sweep_once()
        await harness.settle()
    assert await parked(harness) == 1
    [told] = harness.line.take("U1")
    assert texts(told.messages) == [harness.bot.config.messages.error_retry]
    assert told.via == "push"  # the reply token had long expired
    monkeypatch.undo()
    assert len(await harness.say("U1", "児童の登録")) == 1


async def test_an_event_whose_answer_never_went_out_sends_that_answer_when_given_up(
    harness, clock, monkeypatch
):
    """The dialog step was done (the session saved) but LINE refused every delivery: when
    the event is given up on, the parent gets the answer the step made, not a "could not
    process" that would contradict what was done."""
    from bot.line.client import DeliveryError

    line = harness.bot.line
    deliver = line.deliver
    calls: list[str] = []

    async def down_five_times(user, batches, key, *args, **kwargs):
        calls.append(key)
        if len(calls) <= 5:
            raise DeliveryError("push: LINE answered 500")
        return await deliver(user, batches, key, *args, **kwargs)

    monkeypatch.setattr(line, "deliver", down_five_times)
    await harness.say("U1", "児童の登録")
    for _ in range(6):
        clock.advance(dt.timedelta(minutes=10))
        await harness.bot.dispatcher.sweep_once()
        await harness.settle()
    assert await parked(harness) == 1 and len(calls) == 6
    said = [t for s in harness.line.take("U1") for t in texts(s.messages)]
    assert any("保育園を選んでください" in t for t in said), said
    assert harness.bot.config.messages.error_retry not in said


async def test_unreachable_line_api_is_reported_not_swallowed():
    client = LineClient("token", "http://127.0.0.1:9", timeout=0.5, attempts=1)
    await client.start()
    try:
        from bot.line.client import DeliveryError

        with pytest.raises(DeliveryError):
            await client.push("U1", [{"type": "text", "text": "x"}], "k")
    finally:
        await client.close()


async def test_racing_writers_of_one_session_one_wins_other_retries(clock, config, store):
    """Two app instances handle the same user at once: no answer is lost."""
    import asyncio

    from tests.echo_flow import EchoFlow

    async with (
        Harness(clock=clock, config=config, store=store, flows=[EchoFlow]) as a,
        Harness(
            clock=clock, config=config, store=store, flows=[EchoFlow], ids=SequentialIds()
        ) as b,
    ):
        await a.say("U1", "児童の登録")
        both_read = asyncio.Barrier(2)
        for h in (a, b):
            repo = h.bot.repos.sessions
            original = repo.get
            calls = {"n": 0}

            async def get(user, _orig=original, _calls=calls):
                doc = await _orig(user)
                _calls["n"] += 1
                if _calls["n"] == 1:
                    await both_read.wait()  # both read the same version before either writes
                return doc

            repo.get = get
        da, db = a.bot.dialog, b.bot.dialog
        from flows.base import Input

        await asyncio.gather(
            da.handle("U1", Input("text", text="1"), "ev-a"),
            db.handle("U1", Input("text", text="2"), "ev-b"),
        )
        session = await a.bot.repos.sessions.get("U1")
        assert sorted(session.data["got"]) == [1, 2]
        assert session.version == 3  # keyword, then one write per answer


# -- a sent message is never sent again (issue 9.3) ----------------------------------------


async def test_reply_answered_200_with_an_unreadable_body_is_delivered_once(harness, clock):
    harness.line.garble_next()
    sent = await harness.say("U1", "こんにちは")
    assert [s.via for s in sent] == ["reply"]
    assert harness.line.calls == [("reply", None)]  # not retried, no push after it
    assert await waiting(harness) == 0 and len(await handled(harness, "U1")) == 1
    clock.advance(dt.timedelta(minutes=10))
    await harness.bot.dispatcher.sweep_once()
    await harness.settle()
    assert harness.line.take("U1") == []


async def test_push_answered_200_with_an_unreadable_body_counts_as_delivered(harness):
    harness.line.garble_next()
    await harness.bot.line.push("U1", [{"type": "text", "text": "x"}], "k-garbled")
    assert len(harness.line.take("U1")) == 1
    assert harness.line.calls == [("push", "k-garbled")]


async def test_retries_stop_at_the_first_answer_that_shows_delivery(harness, clock):
    harness.line.fail_next(502)
    harness.line.garble_next()  # the second attempt goes out and is answered 200
    sent = await harness.say("U1", "こんにちは")
    assert [s.via for s in sent] == ["reply"]
    clock.advance(dt.timedelta(minutes=10))  # any retry of the event would be due by now
    await harness.bot.dispatcher.sweep_once()
    await harness.settle()
    assert harness.line.take("U1") == []
    assert harness.line.calls == [("reply", None), ("reply", None)]


async def test_push_replacing_a_spent_token_keeps_one_retry_key_for_every_attempt(harness):
    event = harness.text("U1", "こんにちは")
    harness.line.tokens.pop(event["replyToken"])  # LINE: "Invalid reply token"
    harness.line.fail_next(400)  # the reply is refused...
    harness.line.fail_next(503, 2)  # ...and the push behind it fails twice before it goes
    harness.line.lose_next(504)  # then goes out, but the answer is lost: retried, 409
    sent = await harness.send("U1", event)
    assert [s.via for s in sent] == ["push"]
    pushes = [key for what, key in harness.line.calls if what == "push"]
    assert len(pushes) == 4 and len(set(pushes)) == 1
    assert pushes[0] == retry_key(event["webhookEventId"], "0")


async def test_client_errors_other_than_a_spent_token_are_not_retried_in_the_call(harness):
    harness.line.fail_next(403)
    with pytest.raises(LineApiError):
        await harness.bot.line.push("U1", [{"type": "text", "text": "x"}], "k-403")
    assert harness.line.calls == [("push", "k-403")]
