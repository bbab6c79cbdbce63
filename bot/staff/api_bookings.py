"""Admin API routes for seats, phone bookings, cancellations, rosters and the CSV export.

Mounted by `bot.staff.api.setup_admin`; every route checks the nursery token
first (`require_nursery`) and goes through the one staff service. `{nursery}`
is the nursery's id or name (URL-encoded), `{date}` is YYYY-MM-DD.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bot.context import BOT
from bot.staff.auth import json_response, read_body, require_nursery

NURSERY = "/admin/api/nurseries/{nursery}"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CapacityBody(_Body):
    seats: int = Field(ge=0)
    hours: list[int] | None = None


class PhoneBookingBody(_Body):
    date: dt.date
    start: int
    end: int
    child: str = ""


class CancelBody(_Body):
    child: str
    date: dt.date


def _staff(request: web.Request) -> Any:
    return request.app[BOT].staff


async def _nursery_id(request: web.Request) -> str:
    return (await require_nursery(request, request.match_info["nursery"])).id


async def get_capacity(request: web.Request) -> web.Response:
    n = await _nursery_id(request)
    return json_response(await _staff(request).day_seats(n, request.match_info["date"]))


async def put_capacity(request: web.Request) -> web.Response:
    n = await _nursery_id(request)
    body = await read_body(request, CapacityBody)
    day = request.match_info["date"]
    return json_response(await _staff(request).set_capacity(n, day, body.seats, body.hours))


async def phone_booking(request: web.Request) -> web.Response:
    n = await _nursery_id(request)
    body = await read_body(request, PhoneBookingBody)
    booking = await _staff(request).phone_booking(n, body.date, body.start, body.end, body.child)
    return json_response(booking, status=201)


async def cancel_booking(request: web.Request) -> web.Response:
    n = await _nursery_id(request)
    body = await read_body(request, CancelBody)
    return json_response(await _staff(request).cancel_booking(n, body.child, body.date))


async def roster(request: web.Request) -> web.Response:
    n = await _nursery_id(request)
    return json_response(await _staff(request).roster(n, request.match_info["date"]))


async def bookings_csv(request: web.Request) -> web.Response:
    """`?from=YYYY-MM-DD&to=YYYY-MM-DD` (both inclusive; `to` defaults to `from`)."""
    n = await _nursery_id(request)
    first = request.query.get("from")
    if not first:
        raise ValueError("from: missing (a date like 2024-04-24)")
    text = await _staff(request).bookings_csv(n, first, request.query.get("to") or first)
    return web.Response(
        body=text.encode("utf-8-sig"),  # with a BOM, so spreadsheet software reads Japanese
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="bookings-{n}-{first}.csv"'},
    )


def booking_routes() -> list[web.RouteDef]:
    return [
        web.get(NURSERY + "/capacity/{date}", get_capacity),
        web.put(NURSERY + "/capacity/{date}", put_capacity),
        web.post(NURSERY + "/phone-bookings", phone_booking),
        web.post(NURSERY + "/bookings/cancel", cancel_booking),
        web.get(NURSERY + "/roster/{date}", roster),
        web.get(NURSERY + "/bookings.csv", bookings_csv),
    ]
