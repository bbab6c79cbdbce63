"""Dates and numbers from staff: a window for dates, strict whole numbers in sensible ranges,
nothing written before the request is known good, and phone bookings that book once when
retried (`Idempotency-Key`)."""

from __future__ import annotations

import pytest

from domain.errors import StaffError
from tests.test_admin_api import api  # noqa: F401 (the fixture: tokens for futaba and city)
from tests.test_admin_bookings import admin  # noqa: F401
from tests.test_staff_cli import quiet_logs, staff  # noqa: F401


async def stored(harness) -> dict[str, list]:
    repos = harness.bot.repos
    return {
        "seats": [d async for d in repos.seats._c.find({})],
        "bookings": [d async for d in repos.bookings._c.find({})],
        "slots": [d async for d in repos.interviews._c.find({})],
    }


UNREG = {"unregistered": True, "phone": "03-5555-0001"}  # a child not registered on LINE


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "capacity/9999-12-31", {"seats": 2}),
        ("GET", "capacity/9999-12-31", None),
        ("POST", "phone-bookings", {"date": "9999-12-31", "start": 9, "end": 11}),
        ("POST", "interview-slots", {"at": "9999-12-31T10:00"}),
        ("PUT", "capacity/2025-04-22", {"seats": 2}),  # 367 days ahead
        ("PUT", "capacity/2024-04-23", {"seats": True}),
        ("PUT", "capacity/2024-04-23", {"seats": 101}),
        ("PUT", "capacity/2024-04-23", {"seats": 2.0}),
        ("PUT", "capacity/2024-04-23", {"seats": "2"}),
        ("PUT", "capacity/2024-04-23", {"seats": 2, "hours": [True]}),
        ("POST", "interview-slots", {"at": "2024-04-23T10:00", "capacity": 10**9}),
        ("POST", "interview-slots", {"at": "2024-04-23T10:00", "capacity": True}),
        ("POST", "interview-slots", {"at": 1713834000}),
        ("POST", "phone-bookings", {"date": "2024-04-23", "start": True, "end": 11}),
        ("POST", "phone-bookings", {"date": 1713834000, "start": 9, "end": 11}),
        (
            "POST",
            "phone-bookings",
            {"date": "2024-04-23", "start": 9, "end": 11, **UNREG, "child": "=1+1"},
        ),
        (
            "POST",
            "phone-bookings",
            {"date": "2024-04-23", "start": 9, "end": 11, **UNREG, "child": "-目黒"},
        ),
        (
            "POST",
            "phone-bookings",
            {"date": "2024-04-23", "start": 9, "end": 11, "child": "電話 花", "unregistered": True},
        ),
    ],
)
async def test_bad_dates_and_numbers_are_400_and_nothing_is_written(
    admin,  # noqa: F811
    harness,
    method,
    path,
    body,
):
    status, data = await admin(method, f"futaba/{path}", body)
    assert status == 400, data
    assert data["error"]
    assert await stored(harness) == {"seats": [], "bookings": [], "slots": []}


async def test_the_window_is_named_in_the_refusal(admin):  # noqa: F811
    status, data = await admin("PUT", "futaba/capacity/9999-12-31", {"seats": 2})
    assert status == 400 and "2025-04-21まで" in data["error"]  # 366 days from 2024-04-20
    status, _ = await admin("PUT", "futaba/capacity/2025-04-21", {"seats": 2})
    assert status == 200


async def test_a_value_sent_under_its_other_name_is_named_as_its_field(admin):  # noqa: F811
    """The API takes `from`/`to` for a booking's hours: a bad `to` is the end time
    (終了時刻), as the CLI and console call it, not another operation's `to`."""
    body = {"date": "2024-04-23", "from": 9, "to": 99, "child": "目黒 太郎"}
    status, data = await admin("POST", "futaba/phone-bookings", body)
    assert status == 400 and data["error"].startswith("終了時刻"), data
    status, data = await admin("POST", "futaba/phone-bookings", {**body, "from": "x", "to": 11})
    assert status == 400 and data["error"].startswith("開始時刻"), data


async def test_a_retried_phone_booking_books_once(admin, harness):  # noqa: F811
    body = {"date": "2024-04-23", "start": 9, "end": 11, "child": "電話 花", **UNREG}
    key = {"Idempotency-Key": "call-0423-0915"}
    first = await post_phone(harness, body, key)
    again = await post_phone(harness, body, key)
    assert first[0] == again[0] == 201 and first[1]["booking"] == again[1]["booking"]
    by_body = await post_phone(harness, {**body, "idempotency_key": "call-0423-0930"})
    assert by_body[0] == 201 and by_body[1]["booking"] != first[1]["booking"]
    day = await harness.bot.staff.bookings.day_seats("futaba", "2024-04-23")
    assert day.hours[1].booked == 2
    # the same key for another booking is refused, not booked
    status, data = await post_phone(harness, {**body, "start": 10, "end": 12}, key)
    assert status == 409 and "Idempotency-Key" in data["error"]
    assert (await harness.bot.staff.bookings.day_seats("futaba", "2024-04-23")).hours[3].booked == 0


async def post_phone(harness, body, headers=None):
    url = harness.url + "/admin/api/nurseries/futaba/phone-bookings"
    headers = {"Authorization": "Bearer ft-secret", **(headers or {})}
    async with harness._session.post(url, json=body, headers=headers) as r:
        return r.status, await r.json()


async def test_the_cli_takes_an_idempotency_key(staff, harness):  # noqa: F811
    args = ["phone-booking", "futaba", "2024-04-23", "9", "11", "--child", "電話 花"]
    args += ["--unregistered", "--phone", "0355550001"]
    one = await staff(*args, "--idempotency-key", "call-1")
    two = await staff(*args, "--idempotency-key", "call-1")
    assert one[0] == two[0] == 0 and one[1]["booking"] == two[1]["booking"]
    assert (await harness.bot.staff.bookings.day_seats("futaba", "2024-04-23")).hours[1].booked == 1


async def test_replay_and_service_callers_get_the_same_strict_numbers(harness):
    service = harness.bot.staff
    for call in (
        service.bookings.set_capacity("futaba", "2024-04-23", True),
        service.interviews.add_interview_slot("futaba", "2024-04-23T10:00", True),
        service.interviews.add_interview_slot("futaba", "2024-04-23T10:00", 21),
        service.bookings.phone_booking("futaba", "2024-04-23", True, 11),
    ):
        with pytest.raises(StaffError):
            await call
    assert await stored(harness) == {"seats": [], "bookings": [], "slots": []}
