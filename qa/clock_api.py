"""Test-only routes of a server started for replays (`BOT_TEST_CLOCK=1`, never in production).

`POST /admin/api/test/clock {"at": ISO}` sets the shared test clock of every worker;
`POST /admin/api/test/reset` empties the store, so each replay script starts from nothing
an earlier one left; `POST /admin/api/test/settle {"within": s}` answers once no event
is pending in the store (every worker has handled what it was sent: the replies are out).
All answer only on loopback (403 elsewhere) and only to a city token sent as
`Authorization: Bearer TOKEN`, checked as the admin API checks it (401 without or with
an unknown token, 403 with a nursery's).
Moving the clock then runs one background maintenance pass before answering, as the
server's timer would once that time came: the reminders due by then are pushed when
the replay's `clock:`/`advance:` step ends.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress

from aiohttp import web

from bot import json_body
from bot.context import Bot
from bot.staff.auth import token_scope
from bot.staff.json_api import json_error, json_response
from qa.shared_clock import COLLECTION as CLOCK_COLLECTION
from qa.shared_clock import SharedClock
from storage.tokens import CITY

KEPT = {CLOCK_COLLECTION, "staff_tokens"}  # a reset keeps the clock and the staff's API tokens


def from_loopback(request: web.Request) -> bool:
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:  # a Unix socket or no peer address: not loopback
        return False


async def guard(request: web.Request) -> web.Response | None:
    """None if the request may use a test route, else the refusal."""
    if not from_loopback(request):
        return json_error(403, "test routes answer on loopback only")
    if await token_scope(request) != CITY:  # 401 without a valid bearer token
        return json_error(403, "test routes need a city token")
    return None


def add_test_routes(app: web.Application, bot: Bot, clock: SharedClock) -> None:
    async def set_clock(request: web.Request) -> web.Response:
        refused = await guard(request)
        if refused is not None:
            return refused
        try:
            body = json_body.loads(await request.read())
            at = dt.datetime.fromisoformat(str(body["at"]))
        except (ValueError, KeyError, TypeError):
            return json_error(400, 'send {"at": "2024-04-20T09:00+09:00"}')
        await clock.set(at)
        await asyncio.wait_for(bot.maintenance.run_once(), 10)
        return json_response({"now": clock.now().isoformat()})

    async def settled(within: float) -> bool:
        loop = asyncio.get_running_loop()
        until = loop.time() + within
        # Queued events live in the users' documents: settled when no user has one queued.
        queued = bot.store.db["sessions"]
        await bot.dispatcher.idle()  # this worker's own events first: most often all of them
        pause = 0.001  # then another worker's: a step takes milliseconds, so look often at first
        while await queued.count_documents({"queue.0": {"$exists": True}}):
            if loop.time() >= until:
                return False
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.02)
        await bot.dispatcher.idle()
        return True

    async def settle(request: web.Request) -> web.Response:
        refused = await guard(request)
        if refused is not None:
            return refused
        try:
            body = json_body.loads(await request.read())
            within = min(60.0, max(0.0, float(body["within"])))
        except (ValueError, KeyError, TypeError):
            return json_error(400, 'send {"within": 10}')
        return json_response({"settled": await settled(within)})

    async def reset(request: web.Request) -> web.Response:
        refused = await guard(request)
        if refused is not None:
            return refused
        await settled(10.0)
        db = bot.store.db
        emptied = []
        for name in sorted(await db.list_collection_names()):
            if name not in KEPT and not name.startswith("system."):
                await db[name].delete_many({})
                emptied.append(name)
        return json_response({"emptied": emptied})

    app.router.add_post("/admin/api/test/clock", set_clock)
    app.router.add_post("/admin/api/test/reset", reset)
    app.router.add_post("/admin/api/test/settle", settle)
