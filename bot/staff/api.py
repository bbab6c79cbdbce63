"""JSON admin API under /admin/api/ for nursery and city staff.

Its routes are derived from the declared staff operations (bot/staff/operations.py):
each operation with `http` is one route, its parameters read from the path, the
query (GET, DELETE) or the JSON body. `{nursery}` in a path is the nursery's id or
name (URL-encoded). A refused operation becomes `{"error": reason}` with the status
of its kind; a bad parameter a 400 naming it. While the database is unreachable a
call is a 503 with `Retry-After` (nothing to fix in the call: ask again shortly).
`GET nurseries` lists the nurseries the token may act on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web

from bot.context import BOT
from bot.staff.auth import token_actor
from bot.staff.csv_export import bookings_csv, csv_download
from bot.staff.json_api import json_error, json_response, read_json
from bot.staff.operation import Operation, jsonable
from bot.staff.operations import OPERATIONS
from domain.errors import ErrorKind, StaffError
from storage.mongo import StoreUnavailable

log = structlog.get_logger(__name__)

PREFIX = "/admin/api/"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RETRY_AFTER = 5  # seconds a caller is told to wait while the database is unreachable

STATUS = {
    ErrorKind.INVALID: 400,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.FORBIDDEN: 403,
}


async def nurseries(request: web.Request) -> web.Response:
    """The nurseries this token may act on."""
    actor = await token_actor(request)
    config = request.app[BOT].config
    return json_response(
        [
            {"id": n.id, "name": n.name, "phone": n.phone}
            for n in config.nurseries
            if actor.city or actor.scope == n.id
        ]
    )


def route(op: Operation) -> web.RouteDef:
    """The admin API route of one declared operation."""
    assert op.http is not None
    method, path = op.http

    async def handler(request: web.Request) -> web.StreamResponse:
        actor = await token_actor(request)
        raw: dict[str, Any] = {}
        if method in ("GET", "DELETE"):
            raw.update(request.query)
        else:
            raw.update(await read_json(request, request.app[BOT].config.staff.messages))
        raw.update(request.match_info)
        key = request.headers.get("Idempotency-Key")
        if key is not None and "idempotency_key" in op.params.model_fields:
            raw.setdefault("idempotency_key", key)
        result = await request.app[BOT].operations.run(op, raw, actor)
        if op.output == "csv":
            name = f"bookings-{result.nursery}-{result.first}.csv"
            return csv_download(bookings_csv(result), name)
        return json_response(jsonable(result), status=201 if op.created else 200)

    handler.__doc__ = op.help
    return web.route(method, PREFIX + path, handler)


def routes() -> list[web.RouteDef]:
    out = [web.get(PREFIX + "nurseries", nurseries)]
    out += [route(op) for op in OPERATIONS.values() if op.http]
    return out


@web.middleware
async def staff_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refused operations on admin routes become JSON errors with their kind's status; the
    database out of reach a 503 the caller may retry, not a 500."""
    if not request.path.startswith(PREFIX):
        return await handler(request)
    try:
        return await handler(request)
    except StaffError as e:
        return json_error(STATUS[e.kind], str(e))
    except web.HTTPException as e:  # aiohttp's own: no such route, method, body too large
        if e.content_type == "application/json":
            raise
        words = request.app[BOT].config.staff.messages
        said = {404: words.api_not_found, 413: words.api_too_large}.get(e.status)
        if e.status == 405:
            said = words.api_method.format(method=request.method)
        if said is None:
            raise
        response = json_error(e.status, said)
        if "Allow" in e.headers:  # a 405 names the methods the route takes
            response.headers["Allow"] = e.headers["Allow"]
        return response
    except StoreUnavailable as e:
        log.error("admin_api_store_unavailable", error=type(e).__name__, path=request.path)
        response = json_error(503, request.app[BOT].config.staff.messages.store_unavailable)
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response


def setup_admin(app: web.Application) -> None:
    """Mount the admin API under /admin/api/."""
    app.middlewares.append(staff_errors)
    app.router.add_routes(routes())
