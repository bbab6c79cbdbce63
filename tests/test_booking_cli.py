"""`python -m bot staff` for childcare seats and bookings: the same operations as the admin API."""

from __future__ import annotations

import csv
import io

from tests.test_staff_cli import quiet_logs, staff  # noqa: F401 (fixtures)


async def test_seats_phone_booking_roster_export_and_cancel(staff):  # noqa: F811
    code, day, _ = await staff("set-seats", "futaba", "2024-04-28", "2", "--hours", "9", "10")
    assert code == 0 and day["open"] and day["day_seats"] == 2
    code, booking, _ = await staff(
        "phone-booking", "futaba", "2024-04-28", "9", "11", "--child", "電話 花",
        "--unregistered", "--phone", "03-5555-0001",
    )  # fmt: skip
    assert code == 0 and booking["status"] == "booked"
    code, day, _ = await staff("seats", "futaba", "2024-04-28")
    assert [h["free"] for h in day["hours"][1:3]] == [1, 1]
    code, roster, _ = await staff("roster", "futaba", "2024-04-28")
    assert [(r["child"], r["start"], r["end"]) for r in roster] == [("電話 花", "9:00", "11:00")]
    code, text, _ = await staff("export", "futaba", "2024-04-20", "2024-04-30")
    assert [r["児童氏名"] for r in csv.DictReader(io.StringIO(text))] == ["電話 花"]
    code, done, _ = await staff("cancel-booking", "futaba", "電話 花", "2024-04-28")
    assert code == 0 and done["status"] == "cancelled" and not done["notified"]


async def test_refusals_go_to_stderr_with_exit_1(staff):  # noqa: F811
    await staff("set-seats", "futaba", "2024-04-23", "1")
    unregistered = ["--child", "電話 花", "--unregistered", "--phone", "0355550001"]
    await staff("phone-booking", "futaba", "2024-04-23", "9", "11", *unregistered)
    code, out, err = await staff("phone-booking", "futaba", "2024-04-23", "10", "12", *unregistered)
    assert code == 1 and out == "" and "空きのない時間があるため" in err
    code, out, err = await staff("set-seats", "futaba", "2024-04-23", "0")
    assert code == 1 and "9:00はすでに1人の予約がある" in err
