"""`POST /admin/api/test/clock {"at": ISO}`: sets a server's frozen clock for replays.

Moving the clock then runs one background maintenance pass before answering, as the
server's timer would once that time came: the reminders due by then are pushed when
the replay's `clock:`/`advance:` step ends.

Mounted only when the server runs with `BOT_TEST_CLOCK=1` (never in production);
when ADMIN_TOKENS is set, the request needs one of them as a bearer token.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from storage.clock import FrozenClock


def add_clock_route(app: web.Application, bot: Any) -> None:
    async def set_clock(request: web.Request) -> web.Response:
        tokens = bot.settings.admin_tokens
        auth = request.headers.get("Authorization", "")
        if tokens and auth.removeprefix("Bearer ") not in tokens:
            return web.json_response({"error": "a valid admin token is needed"}, status=401)
        clock = bot.services.clock
        if not isinstance(clock, FrozenClock):
            return web.json_response({"error": "this server's clock is not frozen"}, status=409)
        try:
            body = await request.json()
            at = dt.datetime.fromisoformat(str(body["at"]))
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": 'send {"at": "2024-04-20T09:00+09:00"}'}, status=400)
        clock.set(at)
        await bot.maintenance.run_once()
        return web.json_response({"now": clock.now().isoformat()})

    app.router.add_post("/admin/api/test/clock", set_clock)
