"""The admin API for seats, phone bookings, cancellations, rosters and the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from urllib.parse import quote

import pytest

from qa.screen import texts
from tests.interview_support import registration
from tests.test_admin_api import api  # noqa: F401 (the fixture: tokens for futaba and city)

ENDPOINTS = [
    ("GET", "capacity/2024-04-23", None),
    ("PUT", "capacity/2024-04-23", {"seats": 2}),
    ("POST", "phone-bookings", {"date": "2024-04-23", "start": 9, "end": 11, "child": "目黒 太郎"}),
    ("POST", "bookings/cancel", {"child": "目黒 太郎", "date": "2024-04-23"}),
    ("GET", "roster/2024-04-23", None),
    ("GET", "bookings.csv?from=2024-04-23&to=2024-04-30", None),
    ("GET", "waiting-list/2024-04-23", None),
    ("POST", "waiting-list/remove", {"child": "目黒 太郎", "date": "2024-04-23"}),
]


@pytest.fixture
def admin(api, harness):  # noqa: F811
    """The admin API fixture of the interview side, under /admin/api/nurseries/, reading CSV."""

    async def call(
        method: str, path: str, body: Any = None, token: str | None = "ft-secret"
    ) -> tuple[int, Any]:
        if ".csv" not in path:
            return await api(method, "nurseries/" + path, body, token=token)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = harness.url + "/admin/api/nurseries/" + path
        async with harness._session.get(url, headers=headers) as r:
            if r.content_type == "text/csv":
                return r.status, (await r.read()).decode("utf-8-sig")
            return r.status, await r.json()

    return call


async def book_by_line(harness, user: str, child: str, start: str, end: str) -> None:
    reg = await registration(harness.bot, user, child=child)
    await harness.bot.repos.registrations.clear(
        reg.id, harness.bot.services.now(), harness.bot.services.now().date(), dt.date(2025, 3, 31)
    )
    for text in ["予約をする", f"{child}/双葉の園保育園", "4/23(火)", start, end, "通院・出産"]:
        await harness.say(user, text)
    await harness.say(user, "確定")


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
async def test_without_a_valid_token_every_endpoint_is_401(admin, harness, method, path, body):
    for token in (None, "wrong"):
        status, data = await admin(method, f"futaba/{path}", body, token=token)
        assert status == 401 and "トークン" in data["error"]
    assert (await harness.bot.staff.bookings.day_seats("futaba", "2024-04-23")).hours[1].booked == 0


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
async def test_a_nursery_token_gets_403_on_another_nursery(admin, harness, method, path, body):
    status, data = await admin(method, f"kuwanomi/{path}", body)
    assert status == 403 and "桑の実中目黒保育園" in data["error"]
    day = (await harness.bot.staff.bookings.day_seats("kuwanomi", "2024-04-23")).model_dump()
    assert [h["seats"] for h in day["hours"]] == [3] * 9
    assert all(h["booked"] == 0 for h in day["hours"])


async def test_seats_are_set_and_read_by_nursery_name(admin):
    name = quote("双葉の園保育園", safe="")
    status, day = await admin("PUT", f"{name}/capacity/2024-04-28", {"seats": 2, "hours": [9, 10]})
    assert status == 200 and day["open"] and day["day_seats"] == 2
    status, day = await admin("GET", "futaba/capacity/2024-04-28")
    assert [h["seats"] for h in day["hours"]] == [0, 2, 2, 0, 0, 0, 0, 0, 0]
    status, data = await admin("PUT", "futaba/capacity/2024-04-28", {"seats": "many"})
    assert status == 400 and data["error"].startswith("定員は")
    status, data = await admin("PUT", "futaba/capacity/2024-04-28", {"seats": 1, "hour": [9]})
    assert status == 400 and "hour" in data["error"]


async def test_phone_booking_takes_seats_and_is_refused_when_full(admin):
    await admin("PUT", "futaba/capacity/2024-04-23", {"seats": 1})
    body = {
        "date": "2024-04-23",
        "start": 9,
        "end": 11,
        "child": "電話 花",
        "unregistered": True,
        "phone": "0355550001",
    }
    status, booking = await admin("POST", "futaba/phone-bookings", body)
    assert status == 201 and booking["source"] == "phone" and booking["start"] == "9:00"
    status, data = await admin("POST", "futaba/phone-bookings", {**body, "start": 10, "end": 12})
    assert status == 409 and "空きのない時間があるため" in data["error"]
    status, data = await admin("POST", "futaba/phone-bookings", {**body, "start": 12, "end": 11})
    assert status == 400


async def test_cancel_on_a_parents_behalf_frees_the_seats_and_tells_the_parent(admin, harness):
    await book_by_line(harness, "U1", "目黒 太郎", "9:00", "11:00")
    status, data = await admin(
        "POST", "futaba/bookings/cancel", {"child": "目黒太郎", "date": "2024-04-23"}
    )
    assert status == 200 and data["notified"] and data["status"] == "cancelled"
    pushed = [t for s in harness.line.take("U1") if s.via == "push" for t in texts(s.messages)]
    assert pushed == [
        "双葉の園保育園の4/23(火) 9:00～11:00の一時保育予約（目黒 太郎さん）"
        "は保育園により取り消されました。\n"
        "ご不明な点は双葉の園保育園（03-0000-0001）へお電話ください。"
    ]
    _, day = await admin("GET", "futaba/capacity/2024-04-23")
    assert all(h["booked"] == 0 for h in day["hours"])
    status, data = await admin(
        "POST", "futaba/bookings/cancel", {"child": "目黒 太郎", "date": "2024-04-23"}
    )
    assert status == 404 and "「目黒 太郎」さんの予約はありません" in data["error"]


async def test_roster_and_csv_list_the_days_bookings_with_the_answers(admin, harness):
    await book_by_line(harness, "U1", "目黒 太郎", "13:00", "15:00")
    await admin(
        "POST",
        "futaba/phone-bookings",
        {
            "date": "2024-04-23",
            "start": 9,
            "end": 12,
            "child": "電話 花",
            "unregistered": True,
            "phone": "0355550001",
        },
    )
    status, roster = await admin("GET", "futaba/roster/2024-04-23")
    assert status == 200
    assert [(r["start"], r["end"], r["child"], r["source"]) for r in roster] == [
        ("9:00", "12:00", "電話 花", "phone"),
        ("13:00", "15:00", "目黒 太郎", "line"),
    ]
    assert roster[1]["answers"] == {"利用理由": "通院・出産"}
    assert roster[1]["parent"] == "目黒 花子" and roster[1]["phone"] == "0312345678"

    status, text = await admin("GET", "futaba/bookings.csv?from=2024-04-20&to=2024-04-30")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert status == 200 and [r["児童氏名"] for r in rows] == ["電話 花", "目黒 太郎"]
    assert rows[1]["利用理由"] == "通院・出産" and rows[1]["日付"] == "2024-04-23"
    assert [r["受付"] for r in rows] == ["電話", "LINE"] and rows[1]["性別"] in {"男", "女"}
    status, text = await admin("GET", "futaba/bookings.csv?from=2024-04-24&to=2024-04-30")
    assert status == 200 and len(list(csv.DictReader(io.StringIO(text)))) == 0
    status, data = await admin("GET", "futaba/bookings.csv?from=2024-04-30&to=2024-04-24")
    assert status == 400 and "より前です" in data["error"]
    status, data = await admin("GET", "futaba/bookings.csv")
    assert status == 400 and "開始日" in data["error"]
