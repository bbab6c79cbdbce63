"""JSON admin API under /admin/api/ for nursery and city staff.

Every route goes through the one staff service (`bot.staff`), as the CLI and
replays do. `{nursery}` in a path is the nursery's id or name (URL-encoded).
A StaffError becomes `{"error": message}` with its status; a bad body a 400
naming the field.

    GET    nurseries                                  the nurseries this token may use
    GET    nurseries/{nursery}/interview-slots        slots from now on, with who holds them
    POST   nurseries/{nursery}/interview-slots        {"at", "capacity"?}: open a slot
    DELETE nurseries/{nursery}/interview-slots/{at}   remove a slot nobody holds
    GET    nurseries/{nursery}/interviews/waiting     registrations not yet cleared
    POST   nurseries/{nursery}/interviews/complete    {"child", "birth_date"?}: clear, notify
    GET    nurseries/{nursery}/registrations          every live registration
    GET    nurseries/{nursery}/duplicates             same child from several LINE accounts
    GET    duplicates                                 (city token) every nursery's report
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from bot.context import BOT
from bot.staff.api_bookings import MomentText, booking_routes
from bot.staff.auth import (
    json_error,
    json_response,
    read_body,
    require_city,
    require_nursery,
    token_scope,
)
from flows.domain.errors import StaffError
from flows.domain.interviews import MAX_INTERVIEW_CAPACITY

log = structlog.get_logger("bot.admin")

PREFIX = "/admin/api/"
routes = web.RouteTableDef()
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SlotBody(_Body):
    at: MomentText
    capacity: StrictInt | None = Field(None, ge=1, le=MAX_INTERVIEW_CAPACITY)


class CompleteBody(_Body):
    child: str
    birth_date: dt.date | None = None


def _staff(request: web.Request) -> Any:
    return request.app[BOT].staff


def _key(request: web.Request) -> str:
    return request.match_info["nursery"]


@routes.get(PREFIX + "nurseries")
async def nurseries(request: web.Request) -> web.Response:
    """The nurseries this token may act on."""
    scope = await token_scope(request)
    config = request.app[BOT].config
    return json_response(
        [
            {"id": n.id, "name": n.name, "phone": n.phone}
            for n in config.nurseries
            if scope in ("city", n.id)
        ]
    )


@routes.post(PREFIX + "nurseries/{nursery}/interview-slots")
async def add_slot(request: web.Request) -> web.Response:
    n = await require_nursery(request, _key(request))
    body = await read_body(request, SlotBody)
    slot = await _staff(request).add_interview_slot(n.id, body.at, body.capacity)
    return json_response(slot, status=201)


@routes.delete(PREFIX + "nurseries/{nursery}/interview-slots/{at}")
async def remove_slot(request: web.Request) -> web.Response:
    n = await require_nursery(request, _key(request))
    return json_response(
        await _staff(request).remove_interview_slot(n.id, request.match_info["at"])
    )


@routes.post(PREFIX + "nurseries/{nursery}/interviews/complete")
async def complete(request: web.Request) -> web.Response:
    n = await require_nursery(request, _key(request))
    body = await read_body(request, CompleteBody)
    born = body.birth_date.isoformat() if body.birth_date else None
    return json_response(await _staff(request).complete_interview(n.id, body.child, born))


# read-only lists of one nursery: path under the nursery -> the staff method giving it
LISTS = {
    "interview-slots": "interview_slots",
    "interviews/waiting": "waiting_interviews",
    "registrations": "registrations",
    "duplicates": "duplicates",
}


def _list_route(path: str, method: str) -> web.RouteDef:
    async def handler(request: web.Request) -> web.Response:
        n = await require_nursery(request, _key(request))
        return json_response(await getattr(_staff(request), method)(n.id))

    return web.get(PREFIX + "nurseries/{nursery}/" + path, handler)


@routes.get(PREFIX + "duplicates")
async def all_duplicates(request: web.Request) -> web.Response:
    """City staff: the duplicates report of every nursery."""
    await require_city(request)
    staff = _staff(request)
    out = {}
    for n in request.app[BOT].config.nurseries:
        out[n.id] = await staff.duplicates(n.id)
    return json_response(out)


def _field(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    reason = "missing" if first["type"] == "missing" else first["msg"]
    return f"{where}: {reason}"


@web.middleware
async def staff_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Staff errors and bad bodies on admin routes become JSON errors, not 500s."""
    if not request.path.startswith(PREFIX):
        return await handler(request)
    try:
        return await handler(request)
    except StaffError as e:
        return json_error(e.status, str(e))
    except ValidationError as e:
        return json_error(400, _field(e))
    except ValueError as e:
        return json_error(400, str(e) or "bad request")


def setup_admin(app: web.Application, bot: Any) -> None:
    """Mount the interview/registration routes and the booking routes under /admin/api/."""
    app.middlewares.append(staff_errors)
    app.router.add_routes(routes)
    app.router.add_routes([_list_route(path, method) for path, method in LISTS.items()])
    app.router.add_routes(booking_routes())
