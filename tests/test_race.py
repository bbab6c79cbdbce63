"""The booking window opens: 500 parents confirm at once for 3 seats, over two app instances.

Everything goes the way LINE sends it: signed webhooks (many parents' events in
one webhook, as LINE batches them) to two app instances sharing one store, the
inbox, the per-user queues and leases, the flows, the replies to the LINE
stand-in. The in-memory store would run each database call at once, so every
call first gives way to other tasks (`interleaved`, as in the booking tests):
the confirmations interleave between any two steps, as against a real server.
Exactly 3 parents book; the others are told the slot filled up; a redelivered
batch changes nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from typing import Any

import pytest

from qa.harness import Harness
from qa.screen import buttons, has_sticker, texts
from storage.clock import SequentialIds
from tests.interview_support import registration
from tests.queues import parked, waiting
from tests.test_booking_concurrency import interleaved  # noqa: F401 (a fixture)

PARENTS = 500
SEATS = 3  # the default seats per hour at every nursery (config.yaml)
DAY = dt.date(2024, 4, 23)  # a Tuesday, three days after the frozen clock's 2024-04-20
BATCH = 50  # events per webhook
WIRE_PARENTS = 30  # on a MongoDB server: real round trips (CI time), 10 parents per seat


def child(i: int) -> str:
    return "目黒 " + "".join("アイウエオカキクケコ"[int(d)] for d in f"{i:03d}")


async def _post_all(targets: list[Harness], events: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Post events in webhooks of BATCH, alternating between the instances, all at once;
    what each user received."""
    batches = [events[i : i + BATCH] for i in range(0, len(events), BATCH)]
    statuses = await asyncio.gather(
        *(targets[n % len(targets)].post(targets[0].payload(*b)) for n, b in enumerate(batches))
    )
    assert set(statuses) == {200}
    await asyncio.gather(*(t.settle() for t in targets))
    users = {e["source"]["userId"] for e in events}
    return {u: targets[0].line.take(u) for u in users}


async def _step(pair: list[Harness], users: list[str], text: str) -> dict[str, list[Any]]:
    return await _post_all(pair, [pair[0].text(u, text) for u in users])


@pytest.mark.usefixtures("interleaved")
@pytest.mark.slow
async def test_500_parents_confirm_at_once_for_3_seats_over_two_instances(clock, config, store):
    parents = PARENTS if store.kind == "memory" else WIRE_PARENTS
    async with (
        Harness(clock=clock, config=config, store=store, ids=SequentialIds("a")) as a,
        Harness(
            clock=clock, config=config, store=store, ids=SequentialIds("b"), standin=a.line
        ) as b,
    ):
        pair = [a, b]
        nursery = config.nursery("futaba")
        m = config.messages
        users = [f"Urace{i:04d}" for i in range(parents)]
        for i, user in enumerate(users):
            reg = await registration(a.bot, user, child=child(i))
            await a.bot.repos.registrations.clear(
                reg.id, clock.now(), clock.now().date(), dt.date(2025, 3, 31)
            )

        booking = next(k for k, flow in config.keywords.items() if flow == "booking")
        await _step(pair, users, booking)
        sent = await _post_all(
            pair, [a.text(u, f"{child(i)}/{nursery.name}") for i, u in enumerate(users)]
        )
        day_label = next(
            x for x in _labels(sent[users[0]]) if x.startswith(f"{DAY.month}/{DAY.day}(")
        )
        assert day_label.endswith(f"{SEATS}席")
        for label in (day_label, "9:00", "11:00", nursery.questions[0].choices[0]):
            sent = await _step(pair, users, label)
        summaries = [u for u in users if _labels(sent[u]) >= {m.label_confirm, m.label_stop}]
        assert len(summaries) == parents

        confirms = [a.text(u, m.label_confirm) for u in users]
        replies = await _post_all(pair, confirms)

        booked = [u for u in users if any(has_sticker(s.messages) for s in replies[u])]
        filled = [u for u in users if m.booking_filled in _texts(replies[u])]
        assert len(booked) == SEATS
        assert len(filled) == parents - SEATS
        assert all(len(replies[u]) == 1 for u in users)  # one answer each, nothing twice

        repos = a.bot.repos
        held = await repos.bookings.on_day("futaba", DAY)
        assert sorted(bk.user for bk in held) == sorted(booked)
        day = await repos.seats.day("futaba", DAY)
        assert {k: len(v) for k, v in day.holders.items() if v} == {"h09": SEATS, "h10": SEATS}
        statuses = Counter([d["status"] async for d in repos.bookings._c.find({}, {"status": 1})])
        assert statuses == {"booked": SEATS, "failed": parents - SEATS}
        assert await waiting(a) == 0 and await parked(a) == 0

        # LINE redelivers the whole confirmation batch, to the other instance this time.
        sessions_before = {u: (await repos.sessions.get(u)).version for u in users}
        again = await _post_all([b, a], confirms)
        assert all(again[u] == [] for u in users)
        assert len(await repos.bookings.on_day("futaba", DAY)) == SEATS
        assert await repos.bookings._c.count_documents({}) == parents
        assert {u: (await repos.sessions.get(u)).version for u in users} == sessions_before


def _labels(sent: list[Any]) -> set[str]:
    return {bt.label for s in sent for bt in buttons(s.messages)}


def _texts(sent: list[Any]) -> list[str]:
    return [t for s in sent for t in texts(s.messages)]
