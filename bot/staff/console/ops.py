"""The one place the console runs staff operations: the declared operations' runner
(`bot/staff/operations.py`), the same the CLI and the admin API run, as the logged-in
account; changes are written to the operation log there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.context import BOT
from bot.staff.console.auth import ACCOUNT
from bot.staff.csv_export import bookings_csv
from bot.staff.operation import Actor, jsonable


def actor(request: web.Request) -> Actor:
    account = request[ACCOUNT]
    return Actor("account", account.id, account.scope)


async def run(request: web.Request, name: str, params: Mapping[str, Any]) -> Any:
    """Run operation `name` as the logged-in account; plain JSON data back, or StaffError."""
    result = await request.app[BOT].operations.run(name, dict(params), actor(request))
    return jsonable(result)


async def export_csv(request: web.Request, params: Mapping[str, Any]) -> str:
    """The bookings export as CSV text whose cells cannot run as spreadsheet formulas."""
    export = await request.app[BOT].operations.run("export", dict(params), actor(request))
    return bookings_csv(export)
