"""キャンセル待ち, joining and leaving: the rules of who may wait for which day and band."""

from __future__ import annotations

import asyncio
import datetime as dt

from storage.waiting import WaitingDoc
from tests.test_booking_concurrency import interleaved
from tests.waiting_support import DAY, book, cleared, fill, world

__all__ = ["interleaved"]  # the fixture, used by name below

D2, D3, FAR = DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2), dt.date(2024, 5, 10)


async def test_a_full_day_is_joined_listed_and_left(store, clock, config):
    w = await world(store, clock, config)
    await fill(w)
    life = await cleared(w, "U1")
    assert DAY in await w.waiting.full_days(life)

    joined = await w.waiting.join(life, DAY, 9, 12, {"reason": "就労"})
    assert joined.outcome == "joined"
    entry = joined.entry
    assert entry is not None and entry.place == 1 and entry.status == "waiting"
    assert (entry.start, entry.end, entry.answers) == (9, 12, {"reason": "就労"})
    assert [e.key for e in await w.waiting.of_user("U1")] == [entry.key]
    assert [e.key for e in await w.waiting.line("futaba", DAY)] == [entry.key]
    assert DAY not in await w.waiting.full_days(life)  # waited for already

    assert await w.waiting.leave("U2", entry.key) == "gone"  # not theirs
    assert await w.waiting.leave("U1", entry.key) == "left"
    assert await w.waiting.leave("U1", entry.key) == "gone"
    assert await w.waiting.of_user("U1") == []
    assert (await w.repos.waiting.get(entry.key)).status == "left"  # type: ignore[union-attr]


async def test_joining_again_after_leaving_goes_to_the_end_of_the_line(store, clock, config):
    w = await world(store, clock, config)
    await fill(w)
    first, second = await cleared(w, "U1"), await cleared(w, "U2", child="目黒 次郎")
    a = (await w.waiting.join(first, DAY, 9, 11)).entry
    clock.advance(dt.timedelta(minutes=1))
    assert (await w.waiting.join(second, DAY, 9, 11)).outcome == "joined"
    assert a is not None and await w.waiting.leave("U1", a.key) == "left"
    clock.advance(dt.timedelta(minutes=1))
    again = await w.waiting.join(first, DAY, 10, 12)
    assert again.outcome == "joined" and again.entry is not None
    assert again.entry.key == a.key and again.entry.place == 2 and again.entry.start == 10
    assert [e.child_name for e in await w.waiting.line("futaba", DAY)] == ["目黒 次郎", "目黒 太郎"]


async def test_a_day_with_a_free_band_is_booked_not_waited_for(store, clock, config):
    w = await world(store, clock, config)
    life = await cleared(w, "U1")
    assert (await w.waiting.join(life, DAY, 9, 11)).outcome == "bookable"
    # one free hour here and there is no band: the day can be waited for
    await w.staff.set_capacity("futaba", DAY, 1)
    await w.staff.phone_booking(
        "futaba", DAY, 8, 12, child="電話 一郎", unregistered=True, phone="0312345678"
    )
    await w.staff.phone_booking(
        "futaba", DAY, 13, 17, child="電話 二郎", unregistered=True, phone="0312345678"
    )
    assert DAY in await w.waiting.full_days(life)
    assert (await w.waiting.join(life, DAY, 11, 14)).outcome == "joined"


async def test_the_band_lies_within_the_open_hours_and_is_long_enough(store, clock, config):
    w = await world(store, clock, config)
    await w.staff.set_capacity("futaba", DAY, 1)
    await w.staff.set_capacity("futaba", DAY, 0, hours=[12])  # no seats at noon that day
    for start, end in ((8, 12), (13, 17)):
        await w.staff.phone_booking(
            "futaba", DAY, start, end, child="電話 一郎", unregistered=True, phone="0312345678"
        )
    life = await cleared(w, "U1")
    assert (await w.waiting.join(life, DAY, 9, 10)).outcome == "band"  # under min_hours
    assert (await w.waiting.join(life, DAY, 7, 9)).outcome == "band"  # before opening
    assert (await w.waiting.join(life, DAY, 16, 18)).outcome == "band"  # after closing
    assert (await w.waiting.join(life, DAY, 11, 9)).outcome == "band"
    assert (await w.waiting.join(life, DAY, 11, 13)).outcome == "band"
    assert await w.waiting.open_hours(w.services.config.nursery("futaba"), DAY) == [
        8, 9, 10, 11, 13, 14, 15, 16
    ]  # fmt: skip


async def test_only_days_from_today_to_the_horizon(store, clock, config):
    w = await world(store, clock, config)
    life = await cleared(w, "U1")
    assert (await w.waiting.join(life, FAR, 9, 11)).outcome == "outside"
    assert (await w.waiting.join(life, dt.date(2024, 4, 19), 9, 11)).outcome == "outside"
    await fill(w, dt.date(2024, 4, 20), start=10)  # today, 9:00: hours to 10:00 have begun
    assert (await w.waiting.join(life, dt.date(2024, 4, 20), 9, 11)).outcome == "band"
    assert (await w.waiting.join(life, dt.date(2024, 4, 20), 10, 12)).outcome == "joined"


async def test_a_child_not_cleared_or_past_its_expiry_does_not_wait(store, clock, config):
    w = await world(store, clock, config)
    await fill(w)
    expiring = await cleared(w, "U1", expiry=dt.date(2024, 4, 22))
    assert (await w.waiting.join(expiring, DAY, 9, 11)).outcome == "expired"
    assert DAY not in await w.waiting.full_days(expiring)
    other = await cleared(w, "U2", child="目黒 次郎")
    await w.repos.registrations.remove(other.reg.id, clock.now())
    removed = await w.waiting.childcare.registration("U2", other.reg.id)
    assert removed is not None
    assert (await w.waiting.join(removed, DAY, 9, 11)).outcome == "not_cleared"
    assert await w.waiting.full_days(removed) == []


async def test_never_for_a_day_the_child_holds(store, clock, config):
    w = await world(store, clock, config)
    life = await cleared(w, "U1")
    await book(w, life, DAY, 9, 11)
    await fill(w, D2)
    await w.staff.set_capacity("futaba", DAY, 1)  # DAY full now: 1 seat, the child's
    assert (await w.waiting.join(life, DAY, 13, 15)).outcome == "holds_day"
    assert DAY not in await w.waiting.full_days(life)
    assert D2 in await w.waiting.full_days(life)


async def test_a_child_waits_for_at_most_its_days_once_a_day_from_any_account(store, clock, config):
    w = await world(store, clock, config)
    for day in (DAY, D2, D3):
        await fill(w, day)
    mom, dad = await cleared(w, "Umom"), await cleared(w, "Udad")  # one child, two accounts
    assert (await w.waiting.join(mom, DAY, 9, 11)).outcome == "joined"
    already = await w.waiting.join(dad, DAY, 13, 15)
    assert already.outcome == "already" and already.entry is not None
    assert already.entry.user == "Umom"
    assert (await w.waiting.join(dad, D2, 9, 11)).outcome == "joined"
    assert (await w.waiting.join(mom, D3, 9, 11)).outcome == "limit"
    assert await w.waiting.full_days(mom) == [D3]  # shown; joining says the limit


async def test_days_joined_at_once_stop_at_the_limit(store, clock, config, interleaved):
    w = await world(store, clock, config)
    days = [DAY + dt.timedelta(days=i) for i in range(4)]  # 4/23-4/26
    for day in days:
        await fill(w, day)
    mom, dad = await cleared(w, "Umom"), await cleared(w, "Udad")  # one child, two accounts
    results = await asyncio.gather(
        *(w.waiting.join(life, d, 9, 11) for d in days for life in (mom, dad))
    )
    assert sum(r.outcome == "joined" for r in results) == 2
    assert {r.outcome for r in results} <= {"joined", "already", "limit"}
    entries = await w.repos.waiting.of_child(w.waiting.childcare.key(mom), DAY)
    assert len(entries) == 2 and len({e.slot for e in entries}) == 2
    # leaving one gives its slot back: another day can be waited for
    left = await w.waiting.leave(entries[0].user, entries[0].id)
    assert left == "left" and (await w.repos.waiting.get(entries[0].id)).slot is None  # type: ignore[union-attr]
    rest = [d for d in days if d.isoformat() not in {e.date for e in entries}]
    assert (await w.waiting.join(mom, rest[0], 9, 11)).outcome == "joined"
    assert (await w.waiting.join(mom, rest[1], 9, 11)).outcome == "limit"


async def test_an_entry_is_one_document_per_child_and_day(store, clock, config):
    w = await world(store, clock, config)
    await fill(w)
    life = await cleared(w, "U1")
    entry = (await w.waiting.join(life, DAY, 9, 11)).entry
    assert entry is not None
    raw = await store.db["waiting"].find_one({"_id": entry.key})
    doc = WaitingDoc.model_validate(raw)
    assert (doc.user, doc.registration, doc.nursery, doc.date) == (
        "U1", life.reg.id, "futaba", "2024-04-23"
    )  # fmt: skip
    assert doc.id.endswith(":2024-04-23") and doc.child == w.waiting.childcare.key(life)
