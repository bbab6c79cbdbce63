"""Several app instances on one store, killed workers, an unreachable database, shutdown."""

from __future__ import annotations

import asyncio
import datetime as dt

from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError

from qa.harness import Harness
from qa.screen import texts
from tests.queues import handled, waiting


async def _got(h: Harness, user: str) -> list[int]:
    return (await h.bot.repos.sessions.get(user)).data.get("got", [])


async def test_one_users_events_interleaved_between_two_instances(pair):
    a, b = pair
    await a.say("U1", "児童の登録")
    for i in range(12):
        target = a if i % 2 == 0 else b
        assert await target.post(target.payload(target.text("U1", str(i)))) == 200
    await asyncio.gather(a.settle(), b.settle())
    await asyncio.gather(a.bot.dispatcher.sweep_once(), b.bot.dispatcher.sweep_once())
    await asyncio.gather(a.settle(), b.settle())
    assert await _got(a, "U1") == list(range(12))
    replies = [t for s in a.line.take("U1") for t in texts(s.messages) if t.startswith("got")]
    assert replies == [f"got {i}" for i in range(12)]  # each once, in order


async def test_redelivered_batch_changes_nothing(pair):
    a, b = pair
    events = [a.text("U1", "児童の登録")] + [a.text("U1", str(i)) for i in range(3)]
    await a.send("U1", *events)
    before = await a.bot.repos.sessions.get("U1")
    assert await b.post(b.payload(*events)) == 200  # LINE redelivers to the other instance
    await b.settle()
    after = await b.bot.repos.sessions.get("U1")
    assert after.version == before.version and after.data == before.data
    assert a.line.take("U1") == []


async def test_killed_worker_event_is_picked_up_and_handled_once(pair, clock):
    a, b = pair
    await a.say("U1", "児童の登録")
    stuck = asyncio.Event()

    async def hang(entry):  # the process dies while handling this event
        stuck.set()
        await asyncio.sleep(3600)

    a.bot.dispatcher.handler = hang

    async def no_release(*args, **kwargs):  # a killed process releases nothing
        return None

    a.bot.repos.leases.release = no_release
    assert await a.post(a.payload(a.text("U1", "5"))) == 200
    await stuck.wait()
    for task in list(a.bot.dispatcher._tasks.values()):
        task.cancel()
    await a.settle()
    # While the dead worker's lease runs, nobody else takes the user.
    assert await b.bot.dispatcher.sweep_once() == 0
    await b.settle()
    assert await _got(b, "U1") == []
    clock.advance(dt.timedelta(seconds=31))
    assert await b.bot.dispatcher.sweep_once() == 1
    await b.settle()
    assert await _got(b, "U1") == [5]
    sent = a.line.take("U1")
    assert [t for s in sent for t in texts(s.messages) if t.startswith("got")] == ["got 5"]
    assert await waiting(b) == 0


async def test_database_unreachable_webhook_answers_5xx_then_recovers(harness):
    offer = harness.bot.repos.leases.offer

    async def down(*args, **kwargs):
        raise ServerSelectionTimeoutError("no servers")

    harness.bot.repos.leases.offer = down
    event = harness.text("U1", "こんにちは")
    assert await harness.post(harness.payload(event)) == 503  # LINE will redeliver
    assert harness.line.sent == []
    harness.bot.repos.leases.offer = offer
    sent = await harness.send("U1", event)  # the redelivery
    assert len(sent) == 1


async def test_database_lost_mid_event_leaves_it_pending_until_it_returns(harness, clock):
    sessions = harness.bot.repos.sessions
    get = sessions.get

    async def flaky(user):
        raise AutoReconnect("connection reset")

    sessions.get = flaky
    assert await harness.say("U1", "こんにちは") == []
    assert await waiting(harness) == 1
    sessions.get = get
    clock.advance(dt.timedelta(seconds=31))  # the lease it could not release runs out
    await harness.bot.dispatcher.sweep_once()
    await harness.settle()
    assert len(harness.line.take("U1")) == 1
    assert await waiting(harness) == 0


async def test_graceful_shutdown_finishes_in_flight_events(harness):
    handler = harness.bot.dispatcher.handler

    async def slow(entry):
        await asyncio.sleep(0.2)
        await handler(entry)

    harness.bot.dispatcher.handler = slow
    assert await harness.post(harness.payload(harness.text("U1", "こんにちは"))) == 200
    await harness.bot.dispatcher.close(grace=5)
    assert await waiting(harness) == 0 and len(await handled(harness, "U1")) == 1
    assert len(harness.line.take("U1")) == 1


# Every query the bot makes on a growing collection has an index (docs/deployment.md lists
# them with the shard keys); start-up creates them. Key patterns per collection:
NEEDED_INDEXES = {
    "sessions": [[("queue.k", 1)]],  # the users' queues live beside their sessions
    "registrations": [
        [("dedupe", 1)],
        [("user", 1), ("created_at", 1)],
        [("nursery", 1), ("child_name", 1)],
    ],
    "interview_slots": [[("nursery", 1), ("at", 1)], [("holders", 1)], [("at", 1)]],
    "seat_days": [[("nursery", 1), ("date", 1)]],
    "bookings": [
        [("user", 1), ("status", 1)],
        [("nursery", 1), ("date", 1)],
        [("status", 1), ("created_at", 1)],
        [("status", 1), ("updated_at", 1)],
        [("date", 1), ("status", 1)],
    ],
    "reminders": [[("status", 1), ("claimed_at", 1)]],
    "allowances": [[("held.id", 1)]],
    "staff_tokens": [[("scope", 1)]],
}


async def test_start_up_creates_every_index_the_queries_need(harness):
    db = harness.bot.store.db
    for collection, wanted in NEEDED_INDEXES.items():
        info = await db[collection].index_information()
        keys = [[(f, int(d)) for f, d in ix["key"]] for ix in info.values()]
        for key in wanted:
            assert key in keys, f"{collection}: no index on {key}"
    parked = await db["parked_events"].index_information()  # a key as a list or items view
    ttl = [ix for ix in parked.values() if list(ix["key"]) == [("purge_at", 1)]]
    if harness.bot.store.ttl_indexes:  # MongoDB deletes parked events after their keep
        assert ttl and ttl[0]["expireAfterSeconds"] == 0
    else:  # in memory the maintenance pass does (tests/test_retention_headers.py)
        assert not ttl
    regs = await db["registrations"].index_information()
    dedupe = next(ix for ix in regs.values() if list(ix["key"]) == [("dedupe", 1)])
    assert dedupe.get("unique") and dedupe.get("sparse")


async def test_one_users_events_are_handled_in_the_order_the_user_sent_them(pair, clock):
    """LINE may deliver a user's events out of order (separate webhooks, redeliveries):
    queued events are handled by LINE's timestamp, then by arrival."""
    a, _ = pair
    await a.say("U1", "児童の登録")
    stamps = [a.text("U1", str(i)) for i in range(4)]
    base = stamps[0]["timestamp"]
    for i, e in enumerate(stamps):
        e["timestamp"] = base + i * 1000
    hold = asyncio.Event()
    handler = a.bot.dispatcher.handler

    async def busy(entry):  # the user's worker is busy while the rest arrive, out of order
        await hold.wait()
        await handler(entry)

    a.bot.dispatcher.handler = busy
    assert await a.post(a.payload(stamps[0])) == 200
    for e in (stamps[3], stamps[1], stamps[2]):
        assert await a.post(a.payload(e)) == 200
    hold.set()
    await a.settle()
    assert await _got(a, "U1") == [0, 1, 2, 3]


async def test_an_event_queued_at_the_other_instance_meanwhile_follows_without_a_sweep(pair):
    """While one process handles a user's event, the user's next one reaches the other
    process and is queued behind the lease: the first process sees it when it gives the
    lease back and handles it at once, not at the next sweep."""
    a, b = pair
    await a.say("U1", "児童の登録")
    hold = asyncio.Event()
    handler = a.bot.dispatcher.handler

    async def busy(entry):
        await hold.wait()
        await handler(entry)

    a.bot.dispatcher.handler = busy
    assert await a.post(a.payload(a.text("U1", "1"))) == 200
    assert await b.post(b.payload(b.text("U1", "2"))) == 200
    await b.settle()
    assert await _got(a, "U1") == []  # b left it queued: a holds the user
    hold.set()
    await a.settle()
    assert await _got(a, "U1") == [1, 2]
    replies = [t for s in a.line.take("U1") for t in texts(s.messages) if t.startswith("got")]
    assert replies == ["got 1", "got 2"]
