"""キャンセル待ち, offers: freed seats are held for the first child in line whose hours are
all free, pushed with 予約する / 辞退する, and taken, declined or passed on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.holdings import Holdings
from domain.offers import Offers, parse_postback
from domain.replies import Carousel
from domain.waiting import Joined
from tests.waiting_support import DAY, World, book, cleared, fill, free_seats, world

D2, D3 = DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2)


async def _freed(w: World, booking: str, day: dt.date = DAY) -> None:
    """Staff cancel a phone booking, and the day's seats are offered."""
    await w.staff.cancel_booking("futaba", booking, day)
    await Offers(w.services).seats_freed("futaba", day)


async def _join(w: World, *args: Any) -> Joined:
    """Join, then a second passes: the line's order is the order joined."""
    joined = await w.waiting.join(*args)
    w.services.clock.advance(dt.timedelta(seconds=1))  # type: ignore[attr-defined]
    return joined


async def _line(w: World, day: dt.date = DAY) -> list[tuple[str, str]]:
    return [(e.user, e.status) for e in await w.waiting.line("futaba", day)]


async def test_freed_seats_are_held_for_the_first_in_line_and_pushed(store, clock, config):
    w = await world(store, clock, config)
    [phone] = await fill(w)
    u1 = await cleared(w, "U1")
    clock.advance(dt.timedelta(minutes=1))
    u2 = await cleared(w, "U2", child="目黒 次郎")
    assert (await _join(w, u1, DAY, 9, 12, {"reason": "就労"})).outcome == "joined"
    assert (await _join(w, u2, DAY, 9, 12)).outcome == "joined"

    await _freed(w, phone)

    [(user, replies, key)] = [p for p in w.pushes.sent if p[0] in ("U1", "U2")]
    assert user == "U1"
    [card] = replies  # a card: its buttons stay while the parent writes meanwhile
    assert isinstance(card, Carousel)
    [text] = card.columns
    assert text.title == "キャンセル待ちの空きのご案内"
    assert "キャンセル待ちの日に空きが出ました" in text.text
    assert "4/23(火) 9:00～12:00" in text.text and "4/20(土) 9:31まで" in text.text
    assert [b.label for b in text.buttons] == ["予約する", "辞退する"]
    offer = w.pushes.offers("U1")[0]
    assert [b.data for b in text.buttons] == [f"w|take|{offer}", f"w|decline|{offer}"]
    assert parse_postback(text.buttons[1].data) == ("decline", offer)
    assert key == f"waiting-offer:{offer}"
    # held: nobody else sees those seats, and the child's days do not count it yet
    free = await free_seats(w)
    assert [free[h] for h in (8, 9, 10, 11, 12)] == [1, 0, 0, 0, 1]
    assert await w.waiting.childcare.held_dates(u1) == set()
    hold = await w.repos.bookings.get(offer)
    assert hold is not None and hold.status == "offered" and hold.answers == {"reason": "就労"}
    [mine] = await w.waiting.of_user("U1")
    assert mine.status == "offered" and mine.offer == offer and mine.place == 1
    assert mine.offered_until == clock.now() + dt.timedelta(minutes=30)
    assert await _line(w) == [("U1", "offered"), ("U2", "waiting")]
    assert await Holdings(w.services).of_user("U1") == []  # an offer is not a booking yet


async def test_taking_the_offer_books_it_once(store, clock, config):
    w = await world(store, clock, config)
    [phone] = await fill(w)
    u1 = await cleared(w, "U1")
    await _join(w, u1, DAY, 9, 12)
    await _freed(w, phone)
    [offer] = w.pushes.offers("U1")

    assert (await w.waiting.take("U2", offer)).outcome == "gone"  # someone else's
    taken = await w.waiting.take("U1", offer)
    assert taken.outcome == "booked" and taken.booking is not None
    assert (taken.booking.status, taken.booking.start, taken.booking.end) == ("booked", 9, 12)
    assert taken.fields["day"] == "4/23(火)" and taken.fields["child_name"] == "目黒 太郎"
    again = await w.waiting.take("U1", offer)  # a double tap
    assert again.outcome == "already" and again.booking is not None
    assert again.booking.id == offer
    assert await w.waiting.childcare.held_dates(u1) == {"2024-04-23"}
    assert [h.key for h in await Holdings(w.services).of_user("U1")] == [f"b|{offer}"]
    assert (await w.repos.waiting.by_offer(offer)).status == "booked"  # type: ignore[union-attr]
    assert await w.waiting.of_user("U1") == []
    assert (await w.waiting.decline("U1", offer)).outcome == "gone"
    assert (await free_seats(w))[9] == 0
    roster = await w.staff.roster("futaba", DAY)
    assert [r.child for r in roster] == ["目黒 太郎"]


async def test_declining_passes_the_seats_to_the_next_in_line(store, clock, config):
    w = await world(store, clock, config)
    [phone] = await fill(w)
    u1, u2 = await cleared(w, "U1"), await cleared(w, "U2", child="目黒 次郎")
    await _join(w, u1, DAY, 9, 12)
    await _join(w, u2, DAY, 10, 12)
    await _freed(w, phone)
    [offer1] = w.pushes.offers("U1")

    declined = await w.waiting.decline("U1", offer1)
    assert declined.outcome == "declined"
    assert (await w.waiting.decline("U1", offer1)).outcome == "already"
    assert (await w.waiting.take("U1", offer1)).outcome == "gone"
    [offer2] = w.pushes.offers("U2")
    assert await _line(w) == [("U2", "offered")]
    assert (await w.repos.bookings.get(offer1)).status == "failed"  # type: ignore[union-attr]
    free = await free_seats(w)
    assert [free[h] for h in (9, 10, 11, 12)] == [1, 0, 0, 1]
    assert (await w.waiting.take("U2", offer2)).outcome == "booked"


async def test_the_first_whose_every_hour_is_free_is_offered(store, clock, config):
    w = await world(store, clock, config)
    await w.staff.set_capacity("futaba", DAY, 1)
    morning = await w.staff.phone_booking(
        "futaba", DAY, 8, 13, child="電話 一郎", unregistered=True, phone="0312345678"
    )
    afternoon = await w.staff.phone_booking(
        "futaba", DAY, 13, 17, child="電話 二郎", unregistered=True, phone="0312345678"
    )
    u1, u2 = await cleared(w, "U1"), await cleared(w, "U2", child="目黒 次郎")
    await _join(w, u1, DAY, 11, 14)  # first in line, but needs noon to 14:00
    await _join(w, u2, DAY, 13, 15)
    await _freed(w, afternoon.booking)
    assert await _line(w) == [("U1", "waiting"), ("U2", "offered")]
    await _freed(w, morning.booking)  # 11:00-13:00 free, 13:00 held for U2: not U1's band
    assert await _line(w) == [("U1", "waiting"), ("U2", "offered")]
    [offer2] = w.pushes.offers("U2")
    await w.waiting.decline("U2", offer2)
    assert await _line(w) == [("U1", "offered")]


async def test_an_offer_lasts_until_its_band_begins_at_the_latest(store, clock, config):
    w = await world(store, clock, config)
    today = dt.date(2024, 4, 20)
    [phone] = await fill(w, today, start=10)
    u1 = await cleared(w, "U1")
    await _join(w, u1, today, 10, 12)
    clock.set(dt.datetime(2024, 4, 20, 9, 45, tzinfo=clock.tz))
    await _freed(w, phone, today)
    [mine] = await w.waiting.of_user("U1")
    assert mine.offered_until == dt.datetime(2024, 4, 20, 10, 0, tzinfo=clock.tz)


async def test_a_child_holding_its_days_is_passed_over_and_keeps_its_place(store, clock, config):
    w = await world(store, clock, config)
    [phone] = await fill(w, D3)
    u1, u2 = await cleared(w, "U1"), await cleared(w, "U2", child="目黒 次郎")
    await _join(w, u1, D3, 9, 12)
    await _join(w, u2, D3, 9, 12)
    await book(w, u1, DAY)
    await book(w, u1, D2)  # U1's child holds its 2 days now
    await _freed(w, phone, D3)
    assert await _line(w, D3) == [("U1", "waiting"), ("U2", "offered")]
    [mine] = await w.waiting.of_user("U1")
    assert mine.place == 1


async def test_taking_when_the_child_holds_its_days_passes_the_offer_on(store, clock, config):
    w = await world(store, clock, config)
    [phone] = await fill(w, D3)
    u1, u2 = await cleared(w, "U1"), await cleared(w, "U2", child="目黒 次郎")
    await _join(w, u1, D3, 9, 12)
    await _join(w, u2, D3, 9, 12)
    await _freed(w, phone, D3)
    [offer1] = w.pushes.offers("U1")
    await book(w, u1, DAY)
    await book(w, u1, D2)  # booked two other days while the offer was open

    answer = await w.waiting.take("U1", offer1)
    assert answer.outcome == "limit" and answer.fields["max"] == "2"
    assert await _line(w, D3) == [("U1", "waiting"), ("U2", "offered")]
    assert await w.waiting.childcare.held_dates(u1) == {"2024-04-23", "2024-04-24"}
    assert (await w.waiting.take("U1", offer1)).outcome == "gone"


async def test_taking_when_the_child_holds_the_day_elsewhere_ends_its_wait(store, clock, config):
    w = await world(store, clock, config)
    [phone] = await fill(w)
    u1 = await cleared(w, "U1")
    u1_there = await cleared(w, "U1", nursery="angelica")  # the same child, another nursery
    u2 = await cleared(w, "U2", child="目黒 次郎")
    await _join(w, u1, DAY, 9, 12)
    await _join(w, u2, DAY, 9, 12)
    await _freed(w, phone)
    [offer1] = w.pushes.offers("U1")
    await book(w, u1_there, DAY, 13, 15)

    assert (await w.waiting.take("U1", offer1)).outcome == "same_day"
    assert await _line(w) == [("U2", "offered")]
    assert (await w.repos.waiting.by_offer(offer1)).status == "ended"  # type: ignore[union-attr]


async def test_a_removed_registration_cannot_take_its_offer(store, clock, config):
    w = await world(store, clock, config)
    [phone] = await fill(w)
    u1, u2 = await cleared(w, "U1"), await cleared(w, "U2", child="目黒 次郎")
    await _join(w, u1, DAY, 9, 12)
    await _join(w, u2, DAY, 9, 12)
    await _freed(w, phone)
    [offer1] = w.pushes.offers("U1")
    await w.repos.registrations.remove(u1.reg.id, clock.now())  # the storage write alone

    assert (await w.waiting.take("U1", offer1)).outcome == "not_cleared"
    assert await _line(w) == [("U2", "offered")]


async def test_a_parent_who_blocked_the_account_is_passed_over(store, clock, config):
    w = await world(store, clock, config)
    [phone] = await fill(w)
    u1, u2 = await cleared(w, "U1"), await cleared(w, "U2", child="目黒 次郎")
    await _join(w, u1, DAY, 9, 12)
    await _join(w, u2, DAY, 9, 12)
    w.pushes.blocked.add("U1")
    await _freed(w, phone)
    assert await _line(w) == [("U2", "offered")]
    assert [e.status for e in await w.repos.waiting.line("futaba", DAY, ("ended",))] == ["ended"]


async def test_leaving_with_an_open_offer_passes_it_on(store, clock, config):
    w = await world(store, clock, config)
    [phone] = await fill(w)
    u1, u2 = await cleared(w, "U1"), await cleared(w, "U2", child="目黒 次郎")
    e1 = (await _join(w, u1, DAY, 9, 12)).entry
    await _join(w, u2, DAY, 9, 12)
    await _freed(w, phone)
    assert e1 is not None and await w.waiting.leave("U1", e1.key) == "left"
    assert await _line(w) == [("U2", "offered")]
    free = await free_seats(w)
    assert [free[h] for h in (9, 10, 11)] == [0, 0, 0]


async def test_staff_remove_an_entry_and_the_parent_is_told(store, clock, config):
    w = await world(store, clock, config)
    [phone] = await fill(w)
    u1, u2 = await cleared(w, "U1"), await cleared(w, "U2", child="目黒 次郎")
    e1 = (await _join(w, u1, DAY, 9, 12)).entry
    await _join(w, u2, DAY, 9, 12)
    await _freed(w, phone)
    assert e1 is not None
    assert await w.waiting.remove("angelica", e1.key) is None  # not that nursery's line
    notice = await w.waiting.remove("futaba", e1.key, "重複のため")
    assert notice is not None and notice.delivery == "sent"
    assert "保育園により取り消されました" in w.pushes.texts("U1")[-1]
    assert "理由：重複のため" in w.pushes.texts("U1")[-1]
    assert await _line(w) == [("U2", "offered")]
    assert await w.waiting.remove("futaba", e1.key) is None


async def test_the_logs_never_carry_the_childs_name_and_birth_date_hashed(store, clock, config):
    """A waiting entry's id is a hash of the child's name and birth date (one line per
    child and day): anyone holding the logs could test guesses against it, so the logs
    name the entry by its registration and day instead."""
    from structlog.testing import capture_logs

    w = await world(store, clock, config)
    [phone] = await fill(w)
    u1 = await cleared(w, "U1")
    with capture_logs() as logs:
        joined = await _join(w, u1, DAY, 9, 11)
        await _freed(w, phone)  # offered to U1
        assert joined.entry is not None
        await w.waiting.leave("U1", joined.entry.key)
    doc = await w.repos.waiting.get(joined.entry.key)
    assert doc is not None and doc.child
    events = {e["event"] for e in logs}
    assert {"waiting_joined", "waiting_offered"} <= events
    assert not [e for e in logs if any(doc.child in str(v) for v in e.values())]


async def test_a_seat_range_refused_midway_offers_no_seat_it_put_back(
    store, clock, config, monkeypatch
):
    """Staff raise the seats of DAY (its line waiting) and the next day, but the next day is
    booked above them meanwhile: the range is refused and nothing changed, so the raised
    day's new seat is not offered to its line, and its seats are as they were."""
    from domain.errors import StaffError

    w = await world(store, clock, config)
    await fill(w)  # DAY: 1 seat an hour, booked by phone
    u1 = await cleared(w, "U1")
    await _join(w, u1, DAY, 9, 11)
    seats = w.repos.seats
    set_seats = seats.set_seats
    booked: list[bool] = []

    async def booked_before_its_turn(nursery, date, hours, n):
        if date == D2 and not booked:
            booked.append(True)
            for name in ("電話 一郎", "電話 二郎", "電話 三郎"):
                await w.staff.phone_booking(
                    "futaba", D2, 9, 11, child=name, unregistered=True, phone="0312345678"
                )
        return await set_seats(nursery, date, hours, n)

    monkeypatch.setattr(seats, "set_seats", booked_before_its_turn)
    try:
        await w.staff.set_capacity_days("futaba", DAY, D2, 2)
    except StaffError as e:
        assert "何も変更していません" in str(e)
    else:
        raise AssertionError("the range was not refused")
    monkeypatch.undo()
    assert await _line(w) == [("U1", "waiting")]  # nothing offered
    assert w.pushes.offers("U1") == []
    assert (await free_seats(w))[9] == 0  # DAY keeps its one seat, taken
