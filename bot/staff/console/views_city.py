"""City staff only: the operation log (list and CSV)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from aiohttp import web

from bot.context import BOT
from bot.staff.console import auth
from bot.staff.console.auth import ACCOUNT
from bot.staff.console.forms import Refused
from bot.staff.console.notices import messages
from bot.staff.console.pages import form_of, page_error, render, today
from bot.staff.csv_export import cell, csv_download
from bot.staff.log_view import LogRow, LogView

routes = web.RouteTableDef()
LOG_ROWS = 500


def _city_only(request: web.Request) -> None:
    if not auth.is_city(request[ACCOUNT]):
        raise Refused(messages(request).forbidden)


async def _entries(request: web.Request) -> tuple[dict[str, Any], list[LogRow]]:
    bot = request.app[BOT]
    form = form_of(request, request.query)
    last = form.date("last", today(request))
    first = form.date("first", last - dt.timedelta(days=30))
    if last < first:
        raise Refused(form.messages.range_order)
    nursery = form.text("nursery", required=False)
    zone = bot.config.zone()
    since = dt.datetime.combine(first, dt.time(0), zone)
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), zone)
    found = await bot.repos.audit.recent(
        nursery=nursery or None, since=since, until=until, limit=LOG_ROWS
    )
    view = _view(request)
    query = {"first": first, "last": last, "nursery": nursery}
    return query, [view.row(e) for e in found]


def _view(request: web.Request) -> LogView:
    config = request.app[BOT].config
    names = {n.id: n.name for n in config.nurseries}
    return LogView(config.console.log, config.staff.actions, config.zone(), names)


@routes.get("/log")
async def log_page(request: web.Request) -> web.StreamResponse:
    try:
        _city_only(request)
        query, rows = await _entries(request)
    except Refused as e:
        status = 403 if e.text == messages(request).forbidden else 400
        return await page_error(request, status, e.text)
    return await render(
        "log.html",
        request,
        {
            **query,
            "rows": rows,
            "columns": request.app[BOT].config.console.log.columns,
            "limit": LOG_ROWS,
            "all_nurseries": request.app[BOT].config.nurseries,
        },
    )


@routes.get("/log.csv")
async def log_csv(request: web.Request) -> web.StreamResponse:
    try:
        _city_only(request)
        query, rows = await _entries(request)
    except Refused as e:
        status = 403 if e.text == messages(request).forbidden else 400
        return await page_error(request, status, e.text)
    words = request.app[BOT].config.console.log
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(words.columns.values())
    for r in rows:
        cells = r.cells(words)
        writer.writerow([cell(cells[c]) for c in words.columns])
    name = f"operation-log-{query['first'].isoformat()}-{query['last'].isoformat()}.csv"
    return csv_download(out.getvalue(), name)
