"""キャンセル待ち and time: offers not answered in time pass on, entries of past days end,
and the maintenance pass mends what a crash or a lost push left behind."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.maintenance import Maintenance
from domain.ledger import REPAIR_AFTER, Ledger
from domain.offers import Offers
from domain.waiting import Joined
from storage.bookings import BookingDoc
from tests.waiting_support import DAY, World, cleared, fill, free_seats, world

MINUTE = dt.timedelta(minutes=1)


async def _join(w: World, *args: Any) -> Joined:
    joined = await w.waiting.join(*args)
    w.services.clock.advance(dt.timedelta(seconds=1))  # type: ignore[attr-defined]
    return joined


async def _two_waiting(w: World) -> str:
    """U1 and U2 wait for DAY 9-12, the day's one phone booking is cancelled by staff and
    U1 is offered the seats; the offer's id."""
    [phone] = await fill(w)
    u1, u2 = await cleared(w, "U1"), await cleared(w, "U2", child="目黒 次郎")
    await _join(w, u1, DAY, 9, 12)
    await _join(w, u2, DAY, 9, 12)
    await w.staff.cancel_booking("futaba", phone, DAY)
    await Offers(w.services).seats_freed("futaba", DAY)
    [offer] = w.pushes.offers("U1")
    return offer


async def _line(w: World, day: dt.date = DAY) -> list[tuple[str, str]]:
    return [(e.user, e.status) for e in await w.waiting.line("futaba", day)]


async def test_an_offer_not_answered_in_time_passes_on(store, clock, config):
    w = await world(store, clock, config)
    offer = await _two_waiting(w)
    maintenance = Maintenance(w.services)
    clock.advance(29 * MINUTE)
    await maintenance.run_once()
    assert await _line(w) == [("U1", "offered"), ("U2", "waiting")]

    clock.advance(2 * MINUTE)
    await maintenance.run_once()
    assert await _line(w) == [("U2", "offered")]
    assert "お返事の期限（4/20(土) 9:30）を過ぎたため" in w.pushes.texts("U1")[-1]
    assert (await w.repos.waiting.by_offer(offer)).status == "expired"  # type: ignore[union-attr]
    assert (await w.waiting.take("U1", offer)).outcome == "gone"
    [offer2] = w.pushes.offers("U2")
    await maintenance.run_once()  # nothing more to do: pushed once
    assert len(w.pushes.texts("U1")) == 2 and w.pushes.offers("U2") == [offer2]
    assert (await w.waiting.take("U2", offer2)).outcome == "booked"


async def test_an_answer_after_the_offer_ran_out_passes_it_on_at_once(store, clock, config):
    w = await world(store, clock, config)
    offer = await _two_waiting(w)
    clock.advance(31 * MINUTE)  # no maintenance pass yet
    assert (await w.waiting.take("U1", offer)).outcome == "gone"
    assert await _line(w) == [("U2", "offered")]
    assert (await free_seats(w))[9] == 0


async def test_waiting_entries_end_with_their_day(store, clock, config):
    w = await world(store, clock, config)
    await fill(w)
    u1, u2 = await cleared(w, "U1"), await cleared(w, "U2", child="目黒 次郎")
    await _join(w, u1, DAY, 9, 11)
    await _join(w, u2, DAY, 14, 16)
    clock.set(dt.datetime(2024, 4, 23, 13, 30, tzinfo=clock.tz))
    await Maintenance(w.services).run_once()  # U1's band has begun, U2's has not
    assert await _line(w) == [("U2", "waiting")]
    clock.set(dt.datetime(2024, 4, 24, 0, 5, tzinfo=clock.tz))
    await Maintenance(w.services).run_once()
    assert await _line(w) == []
    ended = await w.repos.waiting.line("futaba", DAY, ("ended",))
    assert [(e.user, e.reason) for e in ended] == [("U1", "past"), ("U2", "past")]
    assert await w.waiting.of_user("U1") == []


async def test_an_offer_not_pushed_while_line_was_down_is_pushed_later_once(store, clock, config):
    w = await world(store, clock, config)
    w.pushes.down = True
    await _two_waiting_without_push(w)
    [mine] = await w.repos.waiting.offered()
    assert mine.user == "U1" and not mine.told
    w.pushes.down = False
    await Maintenance(w.services).run_once()
    await Maintenance(w.services).run_once()
    assert len(w.pushes.offers("U1")) == 1
    assert (await w.repos.waiting.get(mine.id)).told  # type: ignore[union-attr]


async def _two_waiting_without_push(w: World) -> None:
    [phone] = await fill(w)
    u1, u2 = await cleared(w, "U1"), await cleared(w, "U2", child="目黒 次郎")
    await _join(w, u1, DAY, 9, 12)
    await _join(w, u2, DAY, 9, 12)
    await w.staff.cancel_booking("futaba", phone, DAY)
    await Offers(w.services).seats_freed("futaba", DAY)
    assert w.pushes.sent == []


async def test_seats_freed_without_a_call_are_offered_by_the_maintenance_pass(store, clock, config):
    w = await world(store, clock, config)
    [phone] = await fill(w)
    u1 = await cleared(w, "U1")
    await _join(w, u1, DAY, 9, 12)
    booking = await w.repos.bookings.get(phone)
    assert booking is not None and await Ledger(w.services).cancel(booking, "staff")
    assert await _line(w) == [("U1", "waiting")]
    await Maintenance(w.services).run_once()
    assert await _line(w) == [("U1", "offered")]


async def test_an_offer_a_crash_left_half_made_goes_back_in_line(store, clock, config):
    w = await world(store, clock, config)
    [phone] = await fill(w)
    u1 = await cleared(w, "U1")
    entry = (await _join(w, u1, DAY, 9, 12)).entry
    assert entry is not None
    booking = await w.repos.bookings.get(phone)
    assert booking is not None and await Ledger(w.services).cancel(booking, "staff")
    # a process claimed the entry, wrote the hold's intent, took one hour, and died
    now = clock.now()
    doc = await w.repos.waiting.get(entry.key)
    assert doc is not None
    await w.repos.waiting.move(
        entry.key, ("waiting",), "offered", now, version=doc.version, offer="dead",
        offered_at=now, offered_until=now + 30 * MINUTE,
    )  # fmt: skip
    await w.repos.bookings.intend(
        BookingDoc(
            _id="dead", status="offering", nursery="futaba", date=DAY.isoformat(), start=9,
            end=12, user="U1", registration=u1.reg.id, child_name="目黒 太郎",
            child=doc.child, created_at=now, waiting=entry.key,
        )
    )  # fmt: skip
    defaults = {h: 1 for h in range(8, 17)}
    assert await w.repos.seats.take("futaba", DAY, range(9, 10), "dead", defaults)
    await Maintenance(w.services).run_once()  # too young to be a crash
    assert await _line(w) == [("U1", "offered")] and w.pushes.sent == []

    clock.advance(REPAIR_AFTER + MINUTE)
    await Maintenance(w.services).run_once()
    assert (await w.repos.bookings.get("dead")).status == "failed"  # type: ignore[union-attr]
    assert await _line(w) == [("U1", "offered")]  # offered again, anew
    [offer] = w.pushes.offers("U1")
    assert offer != "dead"
    holders = (await w.repos.seats.day("futaba", DAY)).holders
    assert holders["h09"] == [offer] and holders["h11"] == [offer]


async def test_an_entry_claimed_by_a_process_that_died_goes_back_in_line(store, clock, config):
    w = await world(store, clock, config)
    [phone] = await fill(w)
    u1 = await cleared(w, "U1")
    entry = (await _join(w, u1, DAY, 9, 12)).entry
    assert entry is not None
    booking = await w.repos.bookings.get(phone)
    assert booking is not None and await Ledger(w.services).cancel(booking, "staff")
    now = clock.now()
    await w.repos.waiting.move(
        entry.key, ("waiting",), "offered", now, offer="never-written", offered_at=now,
        offered_until=now + 30 * MINUTE,
    )  # fmt: skip
    clock.advance(REPAIR_AFTER + MINUTE)
    await Maintenance(w.services).run_once()
    assert await _line(w) == [("U1", "offered")]
    assert len(w.pushes.offers("U1")) == 1


async def test_an_expiry_line_could_not_push_is_listed_for_staff_to_phone(store, clock, config):
    """The offer ran out while LINE was down: the entry is over either way, so the parent
    is not left thinking the seats are still held; staff see it in 電話連絡."""
    w = await world(store, clock, config)
    await _two_waiting(w)
    w.pushes.down = True
    clock.advance(31 * MINUTE)
    await Maintenance(w.services).run_once()
    w.pushes.down = False
    await Maintenance(w.services).run_once()
    [call] = [c for c in await w.repos.calls.open("futaba") if c.child == "目黒 太郎"]
    assert call.why == "failed"
    assert "お返事の期限（4/20(土) 9:30）を過ぎたため" in call.text
