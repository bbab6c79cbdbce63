"""Admin API routes for seats, phone bookings, cancellations, rosters and the CSV export.

Mounted by `bot.staff.api.setup_admin`; every route checks the nursery token
first (`require_nursery`) and goes through the one staff service. `{nursery}`
is the nursery's id or name (URL-encoded), `{date}` is YYYY-MM-DD.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StrictStr

from bot.context import BOT
from bot.staff.auth import json_response, read_body, require_nursery
from bot.staff.csv_export import bookings_csv
from flows.domain.bookings import MAX_SEATS

NURSERY = "/admin/api/nurseries/{nursery}"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _text(value: Any) -> Any:
    """Dates come as text (`2024-04-23`, `2024-04-23T10:00`), never as a number of seconds."""
    if not isinstance(value, str):
        raise ValueError("must be text like 2024-04-23 or 2024-04-23T10:00")
    return value


# dates and times parsed by pydantic from text only; the service checks the staff window
DateText = Annotated[dt.date, BeforeValidator(_text)]
MomentText = Annotated[dt.datetime, BeforeValidator(_text)]
Hour = Field(ge=0, le=24)


class CapacityBody(_Body):
    seats: StrictInt = Field(ge=0, le=MAX_SEATS)
    hours: list[StrictInt] | None = None


class PhoneBookingBody(_Body):
    date: DateText
    start: StrictInt = Hour
    end: StrictInt = Hour
    child: StrictStr = ""
    idempotency_key: StrictStr | None = None  # or the `Idempotency-Key` header


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
    key = request.headers.get("Idempotency-Key", body.idempotency_key)
    booking = await _staff(request).phone_booking(
        n, body.date, body.start, body.end, body.child, idempotency_key=key
    )
    return json_response(booking, status=201)


async def cancel_booking(request: web.Request) -> web.Response:
    n = await _nursery_id(request)
    body = await read_body(request, CancelBody)
    return json_response(await _staff(request).cancel_booking(n, body.child, body.date))


async def roster(request: web.Request) -> web.Response:
    n = await _nursery_id(request)
    return json_response(await _staff(request).roster(n, request.match_info["date"]))


async def export_csv(request: web.Request) -> web.Response:
    """`?from=YYYY-MM-DD&to=YYYY-MM-DD` (both inclusive; `to` defaults to `from`)."""
    n = await _nursery_id(request)
    first = request.query.get("from")
    if not first:
        raise ValueError("from: missing (a date like 2024-04-24)")
    export = await _staff(request).bookings_export(n, first, request.query.get("to") or first)
    return web.Response(
        body=bookings_csv(export),
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
        web.get(NURSERY + "/bookings.csv", export_csv),
    ]
