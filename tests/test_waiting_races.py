"""キャンセル待ち under races: a seat is never offered to two parents, never booked twice,
and never lost, whichever worker frees it or answers the offer, and whenever.

Two workers share one store (as two server processes share one MongoDB). On the
in-memory store every database call gives way to other tasks first (the
`interleaved` fixture), so the steps of cancellations, offers and answers interleave
as they would against a real server; on the server they race for real.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from typing import Any

from bot.maintenance import Maintenance
from domain.offers import Offers
from domain.waiting import Joined
from qa.screen import buttons
from storage.bookings import BookingDoc
from tests.test_booking_concurrency import interleaved
from tests.waiting_support import DAY, Pushes, World, cleared, fill, world

__all__ = ["interleaved"]  # the fixture, used by name below

ROUNDS = 4  # days raced one after the other (4/23-4/26)
MINUTE = dt.timedelta(minutes=1)


async def _join(w: World, *args: Any) -> Joined:
    joined = await w.waiting.join(*args)
    w.services.clock.advance(dt.timedelta(seconds=1))  # type: ignore[attr-defined]
    return joined


async def _workers(store: Any, clock: Any, config: Any) -> tuple[World, World, Pushes]:
    pushes = Pushes()
    a = await world(store, clock, config, "a-", pushes)
    b = await world(store, clock, config, "b-", pushes)
    return a, b, pushes


async def _later(step: Any, turns: int, ms: int = 0) -> Any:
    """`step` after the event loop has run other tasks `turns` times and `ms` milliseconds
    have passed (on a server: the other task's round trips)."""
    for _ in range(turns):
        await asyncio.sleep(0)
    await asyncio.sleep(ms / 1000)
    return await step


async def _holders(w: World, day: dt.date, hours: range) -> dict[int, list[str]]:
    stored = await w.repos.seats.day("futaba", day)
    return {h: sorted(stored.holders.get(f"h{h:02d}", [])) for h in hours}


async def _statuses(w: World, ids: list[str]) -> dict[str, str]:
    out = {}
    for i in ids:
        b: BookingDoc | None = await w.repos.bookings.get(i)
        out[i] = b.status if b else "none"
    return out


async def test_two_seats_freed_at_once_go_to_the_first_two_in_line(
    store, clock, config, interleaved
):
    a, b, pushes = await _workers(store, clock, config)
    for r in range(ROUNDS):
        day = DAY + dt.timedelta(days=r)
        phones = await fill(a, day, seats=2)
        lives = [
            await cleared(a, f"U{r}{i}", child=f"目黒 {'一二三'[i]}{'春夏秋冬'[r]}")
            for i in range(3)
        ]
        for life in lives:
            assert (await _join(a, life, day, 9, 12)).outcome == "joined"
        await asyncio.gather(
            a.staff.cancel_booking("futaba", phones[0], day),
            b.staff.cancel_booking("futaba", phones[1], day),
            Maintenance(a.services).run_once(),
            Maintenance(b.services).run_once(),
        )
        line = [(e.user, e.status) for e in await a.waiting.line("futaba", day)]
        assert line == [(f"U{r}0", "offered"), (f"U{r}1", "offered"), (f"U{r}2", "waiting")]
        offers = [pushes.offers(f"U{r}{i}") for i in range(3)]
        assert [len(o) for o in offers] == [1, 1, 0]  # each pushed once
        held = await _holders(a, day, range(9, 12))
        assert all(v == sorted([offers[0][0], offers[1][0]]) for v in held.values())


async def test_an_offer_answered_as_its_hold_runs_out_is_taken_or_passed_on_never_both(
    store, clock, config, interleaved
):
    a, b, pushes = await _workers(store, clock, config)
    outcomes = Counter()
    for r in range(8):  # 4/23-4/30, the expiry judged later and later
        day = DAY + dt.timedelta(days=r)
        [phone] = await fill(a, day)
        first = await cleared(a, f"U{r}a", child=f"目黒 {'一二三四五六七八'[r]}子")
        second = await cleared(a, f"U{r}b", child=f"目黒 {'一二三四五六七八'[r]}男")
        await _join(a, first, day, 9, 12)
        await _join(a, second, day, 9, 12)
        await a.staff.cancel_booking("futaba", phone, day)
        [offer] = pushes.offers(f"U{r}a")
        [entry] = await a.repos.waiting.offered()
        # worker a's parent taps 予約する just before the time is up; worker b's pass has
        # judged the offer to have run out
        took, expired = await asyncio.gather(
            a.waiting.take(f"U{r}a", offer),
            _later(Offers(b.services).expire(entry), 4 * r, 0 if store.kind == "memory" else r),
        )
        held = await _holders(a, day, range(9, 12))
        [holder] = held[9]
        assert all(v == [holder] for v in held.values())
        days = await a.waiting.childcare.held_dates(first)
        if took.outcome == "booked":
            assert not expired and holder == offer
            assert (await _statuses(a, [offer]))[offer] == "booked"
            assert days == {day.isoformat()}
            assert pushes.offers(f"U{r}b") == []
        else:
            assert took.outcome == "gone" and expired
            assert (await _statuses(a, [offer]))[offer] == "failed" and days == set()
            [offer2] = pushes.offers(f"U{r}b")
            assert holder == offer2
        outcomes[took.outcome] += 1
        for e in await a.repos.waiting.offered():  # next round: a clean slate
            await Offers(a.services).withdraw(e, "left")
    assert sum(outcomes.values()) == 8


async def test_an_answer_after_the_time_on_one_worker_and_the_pass_on_another(store, clock, config):
    a, b, pushes = await _workers(store, clock, config)
    [phone] = await fill(a)
    first, second = await cleared(a, "U1"), await cleared(a, "U2", child="目黒 次郎")
    await _join(a, first, DAY, 9, 12)
    await _join(a, second, DAY, 9, 12)
    await a.staff.cancel_booking("futaba", phone, DAY)
    [offer] = pushes.offers("U1")
    clock.advance(31 * MINUTE)
    took, _ = await asyncio.gather(a.waiting.take("U1", offer), Maintenance(b.services).run_once())
    assert took.outcome == "gone"
    assert [(e.user, e.status) for e in await a.waiting.line("futaba", DAY)] == [("U2", "offered")]
    assert len(pushes.offers("U2")) == 1
    assert sum("お返事の期限" in t for t in pushes.texts("U1")) <= 1


async def test_a_double_tap_of_take_books_once(store, clock, config, interleaved):
    a, b, pushes = await _workers(store, clock, config)
    [phone] = await fill(a)
    life = await cleared(a, "U1")
    await _join(a, life, DAY, 9, 12)
    await a.staff.cancel_booking("futaba", phone, DAY)
    [offer] = pushes.offers("U1")
    answers = await asyncio.gather(*(w.waiting.take("U1", offer) for w in (a, b, a, b)))
    assert {x.outcome for x in answers} <= {"booked", "already"}
    assert any(x.outcome == "booked" for x in answers)
    assert await a.waiting.childcare.held_dates(life) == {DAY.isoformat()}
    allowance = await a.repos.allowances.get(a.waiting.childcare.key(life))
    assert [h.id for h in allowance.held] == [offer]
    assert await _holders(a, DAY, range(9, 12)) == {h: [offer] for h in range(9, 12)}
    assert [x.id for x in await a.repos.bookings.on_day("futaba", DAY)] == [offer]


async def test_taking_declining_and_leaving_at_once(store, clock, config, interleaved):
    a, b, pushes = await _workers(store, clock, config)
    for r in range(ROUNDS):
        day = DAY + dt.timedelta(days=r)
        [phone] = await fill(a, day)
        first = await cleared(a, f"U{r}a", child=f"目黒 {'春夏秋冬'[r]}子")
        second = await cleared(a, f"U{r}b", child=f"目黒 {'春夏秋冬'[r]}男")
        entry = (await _join(a, first, day, 9, 12)).entry
        await _join(a, second, day, 9, 12)
        await a.staff.cancel_booking("futaba", phone, day)
        [offer] = pushes.offers(f"U{r}a")
        assert entry is not None
        took, declined, left = await asyncio.gather(
            a.waiting.take(f"U{r}a", offer),
            b.waiting.decline(f"U{r}a", offer),
            b.waiting.leave(f"U{r}a", entry.key),
        )
        won = [took.outcome == "booked", declined.outcome == "declined", left == "left"]
        assert sum(won) == 1, (took, declined, left)
        held = await _holders(a, day, range(9, 12))
        [holder] = held[9]
        if took.outcome == "booked":
            assert holder == offer and pushes.offers(f"U{r}b") == []
        else:
            [offer2] = pushes.offers(f"U{r}b")
            assert holder == offer2
            assert (await _statuses(a, [offer]))[offer] == "failed"


async def test_many_seats_freed_on_two_workers_reach_the_line_in_order(
    store, clock, config, interleaved
):
    a, b, pushes = await _workers(store, clock, config)
    seats, waiting = 5, 8
    phones = await fill(a, DAY, seats=seats)
    for i in range(waiting):
        life = await cleared(a, f"U{i}", child=f"目黒 {'一二三四五六七八'[i]}郎")
        await _join(a, life, DAY, 9, 12)
    workers = (a, b)
    await asyncio.gather(
        *(workers[i % 2].staff.cancel_booking("futaba", p, DAY) for i, p in enumerate(phones)),
        *(Maintenance(w.services).run_once() for w in workers),
    )
    line = [(e.user, e.status) for e in await a.waiting.line("futaba", DAY)]
    assert line == [(f"U{i}", "offered" if i < seats else "waiting") for i in range(waiting)]
    offers = [o for i in range(waiting) for o in pushes.offers(f"U{i}")]
    assert len(offers) == seats == len(set(offers))
    held = await _holders(a, DAY, range(9, 12))
    assert all(v == sorted(offers) for v in held.values())


async def test_a_cancellation_on_one_worker_and_an_answer_on_another(pair, config):
    """Two app instances (the `pair` fixture): the cancellation's offer is pushed through
    LINE by one, the answer taken by the other."""
    a, b = pair
    wa, wb = World(a.bot.services, Pushes()), World(b.bot.services, Pushes())
    phones = await fill(wa, DAY, seats=2)
    lives = [await cleared(wa, f"U{i}", child=f"目黒 {'一二三'[i]}郎") for i in range(3)]
    for life in lives:
        await _join(wa, life, DAY, 9, 12)
    await wa.staff.cancel_booking("futaba", phones[0], DAY)  # U0 is offered, by a
    await a.settle()
    [push] = a.line.take("U0")
    take, _decline = buttons(push.messages)
    offer = take.action["data"].removeprefix("w|take|")
    # b takes U0's answer while a frees the second seat
    declined, _ = await asyncio.gather(
        wb.waiting.decline("U0", offer), wa.staff.cancel_booking("futaba", phones[1], DAY)
    )
    assert declined.outcome == "declined"
    line = [(e.user, e.status) for e in await wa.waiting.line("futaba", DAY)]
    assert line == [("U1", "offered"), ("U2", "offered")]
    pushed = {u: a.line.take(u) for u in ("U0", "U1", "U2")}
    assert [len(pushed[u]) for u in ("U0", "U1", "U2")] == [0, 1, 1]
    keys = [s.retry_key for s in a.line.sent if s.via == "push"]
    assert len(keys) == len(set(keys))
    offers = {
        u: buttons(pushed[u][0].messages)[0].action["data"].removeprefix("w|take|")
        for u in ("U1", "U2")
    }
    assert (await _holders(wa, DAY, range(9, 12)))[9] == sorted(offers.values())
    taken = await asyncio.gather(
        wb.waiting.take("U1", offers["U1"]), wa.waiting.take("U2", offers["U2"])
    )
    assert [t.outcome for t in taken] == ["booked", "booked"]
    assert sorted(x.id for x in await wa.repos.bookings.on_day("futaba", DAY)) == sorted(
        offers.values()
    )


async def test_a_line_whose_lease_holder_died_is_gone_through_once_its_lease_is_up(
    store, clock, config
):
    a, b, pushes = await _workers(store, clock, config)
    [phone] = await fill(a)
    life = await cleared(a, "U1")
    await _join(a, life, DAY, 9, 12)
    now = clock.now()
    await a.repos.waiting.ask("futaba", DAY)
    assert await a.repos.waiting.lease("futaba", DAY, "dead", now, now + MINUTE) is not None
    await a.staff.cancel_booking("futaba", phone, DAY)  # its pass is left to the holder
    await Maintenance(b.services).run_once()
    assert pushes.offers("U1") == []
    clock.advance(3 * MINUTE)
    await Maintenance(b.services).run_once()
    assert len(pushes.offers("U1")) == 1
    assert await a.repos.waiting.lease("futaba", DAY, "next", clock.now(), clock.now()) is not None
