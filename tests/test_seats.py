"""Seats per nursery, day and hour: defaults, holidays, staff overrides, the numbers parents see."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.calendar import band_seats, closed, default_seats, end_hours, holiday, start_hours
from domain.errors import StaffError

FREE = {8: 2, 9: 1, 10: 0, 11: 3, 12: 3, 13: 1, 14: 0, 15: 2, 16: 2}


def test_a_days_number_is_the_most_children_some_band_still_takes():
    assert band_seats(FREE, 2) == 3  # 11:00-13:00
    assert band_seats(FREE, 3) == 1  # 11:00-14:00
    assert band_seats({8: 3, 10: 3}, 2) == 0  # not consecutive
    assert band_seats({}, 2) == 0


def test_starts_need_min_hours_free_and_ends_stop_at_the_first_full_hour():
    assert start_hours(FREE, 2) == [8, 11, 12, 15]
    assert end_hours(FREE, 11, 2) == [13, 14]
    assert end_hours(FREE, 8, 2) == [10]
    assert end_hours(FREE, 15, 2) == [17]
    assert end_hours(FREE, 9, 2) == []


def test_sundays_and_national_holidays_are_closed_by_default(config):
    futaba = config.nursery("futaba")
    assert closed(futaba, dt.date(2024, 4, 21))  # Sunday
    assert closed(futaba, dt.date(2024, 4, 29))  # 昭和の日
    assert closed(futaba, dt.date(2024, 5, 6))  # 振替休日
    assert not closed(futaba, dt.date(2024, 4, 27))  # Saturday
    assert default_seats(futaba, dt.date(2024, 4, 29)) == {}
    assert default_seats(futaba, dt.date(2024, 4, 23)) == {h: 3 for h in range(8, 17)}


def test_a_holiday_is_named_for_staff_pages():
    assert holiday(dt.date(2024, 4, 29)) == "昭和の日"
    assert holiday(dt.date(2024, 5, 6)) == "こどもの日 振替休日"
    assert holiday(dt.date(2024, 4, 21)) is None  # a Sunday, not a holiday
    assert holiday(dt.date(2024, 4, 30)) is None


async def test_staff_open_part_of_a_holiday_and_the_rest_stays_closed(harness):
    staff = harness.bot.staff.bookings
    day = await staff.set_capacity("双葉の園保育園", "2024-04-29", 2, [9, 10, 11])
    assert day.open and day.day_seats == 2
    seats = {h.hour: h.seats for h in day.hours}
    assert seats["9:00"] == seats["11:00"] == 2 and seats["8:00"] == seats["12:00"] == 0


async def test_seats_cannot_be_set_below_what_is_booked(harness):
    staff = harness.bot.staff.bookings
    await staff.set_capacity("futaba", "2024-04-23", 2)
    await staff.phone_booking("futaba", "2024-04-23", 9, 11, "電話 一郎", True, "0355550001")
    await staff.phone_booking("futaba", "2024-04-23", 10, 12, "電話 二郎", True, "0355550002")
    with pytest.raises(StaffError, match="10:00はすでに2人の予約がある") as e:
        await staff.set_capacity("futaba", "2024-04-23", 1, [10])
    assert e.value.kind == "conflict"
    day = await staff.set_capacity("futaba", "2024-04-23", 1, [8, 12, 13])
    assert [h.free for h in day.hours[:7]] == [1, 1, 0, 1, 1, 1, 2]
    assert day.day_seats == 2  # 14:00-16:00 kept its 2 seats


async def test_a_range_of_days_is_checked_whole_before_any_day_changes(harness):
    staff = harness.bot.staff.bookings
    await staff.phone_booking("futaba", "2024-04-25", 9, 11, "電話 一郎", True, "0355550001")
    await staff.phone_booking("futaba", "2024-04-25", 9, 11, "電話 二郎", True, "0355550002")
    with pytest.raises(StaffError, match="2024-04-25 9:00はすでに2人の予約があるため"):
        await staff.set_capacity_days("futaba", "2024-04-22", "2024-04-27", 1)
    untouched = await staff.day_seats("futaba", "2024-04-22")  # before the booked day
    assert untouched.hours[0].seats == 3
    done = await staff.set_capacity_days(
        "futaba", "2024-04-26", "2024-04-29", 1, keep_closed=True
    )  # 4/28 is a Sunday, 4/29 a holiday: left closed
    assert (done.first, done.last, done.days, done.seats) == ("2024-04-26", "2024-04-29", 2, 1)
    assert not (await staff.day_seats("futaba", "2024-04-28")).open
    assert (await staff.day_seats("futaba", "2024-04-27")).hours[0].seats == 1
    with pytest.raises(StaffError, match="定員を一度に変えられるのは62日分までです"):
        await staff.set_capacity_days("futaba", "2024-04-22", "2024-06-30", 1)


async def test_a_range_refused_by_a_booking_made_meanwhile_changes_no_day(harness, monkeypatch):
    """Two children are booked on 4/24 after the range was checked, before its turn comes:
    the range is refused as booked, and the days already changed get their seats back, as
    the message says ("何も変更していません")."""
    staff = harness.bot.staff.bookings
    await staff.set_capacity("futaba", "2024-04-23", 2, [9])  # an override to put back
    seats = harness.bot.repos.seats
    set_seats = seats.set_seats

    async def set_seats_after_bookings(nursery, date, hours, n):
        if date == dt.date(2024, 4, 24) and not booked:
            booked.append(True)
            for name, phone in (("電話 一郎", "0355550001"), ("電話 二郎", "0355550002")):
                await staff.phone_booking("futaba", "2024-04-24", 9, 11, name, True, phone)
        return await set_seats(nursery, date, hours, n)

    booked: list[bool] = []
    monkeypatch.setattr(seats, "set_seats", set_seats_after_bookings)
    with pytest.raises(StaffError, match="2024-04-24 9:00はすでに2人の予約があるため"):
        await staff.set_capacity_days("futaba", "2024-04-22", "2024-04-26", 1)
    monkeypatch.undo()
    assert [h.seats for h in (await staff.day_seats("futaba", "2024-04-22")).hours[:3]] == [3] * 3
    assert [h.seats for h in (await staff.day_seats("futaba", "2024-04-23")).hours[:3]] == [3, 2, 3]
    assert (await staff.day_seats("futaba", "2024-04-25")).hours[0].seats == 3  # not reached
    day = await seats.day("futaba", dt.date(2024, 4, 22))
    assert day.cap == {}  # the default again, not an override equal to it


async def test_phone_bookings_take_from_the_same_pool_and_are_refused_when_full(harness):
    staff = harness.bot.staff.bookings
    await staff.set_capacity("futaba", "2024-04-23", 1)
    booked = await staff.phone_booking(
        "futaba", "2024-04-23", "9:00", "12:00", "電話 一郎", True, "0355550001"
    )
    assert booked.status == "booked" and booked.source == "phone"
    with pytest.raises(StaffError, match="空きのない時間があるため") as e:
        await staff.phone_booking("futaba", "2024-04-23", 11, 13, "電話 二郎", True, "0355550002")
    assert e.value.kind == "conflict"
    day = await staff.day_seats("futaba", "2024-04-23")
    assert [h.booked for h in day.hours] == [0, 1, 1, 1, 0, 0, 0, 0, 0]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("nowhere", "2024-04-23", 3), "「nowhere」という保育園はありません。"),
        (("futaba", "2024-04-19", 3), "2024-04-19は過ぎた日です。"),
        (("futaba", "23/4", 3), r"「23/4」は日付として読めません（例：2024-04-23）。"),
        (("futaba", "2024-04-23", -1), "定員は0から100までの整数で指定してください。"),
        (
            ("futaba", "2024-04-23", 3, [7]),
            r"7:00は双葉の園保育園の開所時間（8:00～17:00）の外です。",
        ),
    ],
)
async def test_capacity_refusals_say_why(harness, args, reason):
    with pytest.raises(StaffError, match=reason):
        await harness.bot.staff.bookings.set_capacity(*args)
