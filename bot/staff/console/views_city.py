"""City staff only: the operation log (list and CSV) and the list of console accounts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from aiohttp import web

from bot.context import BOT
from bot.staff.console import auth
from bot.staff.console.auth import ACCOUNT
from bot.staff.console.forms import Form, Refused
from bot.staff.console.notices import messages
from bot.staff.console.pages import page_error, render, today
from bot.staff.csv_export import cell, csv_download

routes = web.RouteTableDef()
LOG_ROWS = 500


def _city_only(request: web.Request) -> None:
    if not auth.is_city(request[ACCOUNT]):
        raise Refused(messages(request).forbidden)


async def _entries(request: web.Request) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    bot = request.app[BOT]
    form = Form(request.query, messages(request))
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
    names = {n.id: n.name for n in bot.config.nurseries}
    rows = []
    for e in found:
        at = e.at if e.at.tzinfo else e.at.replace(tzinfo=dt.UTC)
        rows.append(
            {
                "at": at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                "actor": e.actor,
                "actor_kind": e.actor_kind,
                "nursery": names.get(e.nursery or "", e.nursery or ""),
                "operation": e.operation,
                "params": _compact(e.params),
                "before": _compact(e.before),
                "after": _compact(e.after),
                "shown": {k: _fields(getattr(e, k)) for k in ("params", "before", "after")},
            }
        )
    query = {"first": first, "last": last, "nursery": nursery}
    return query, rows


HIDDEN = {"nursery", "notice", "notified", "hour", "free"}


def _fields(value: Any) -> list[tuple[str, str]]:
    """A logged value as (field, text) pairs for people; the template names the fields."""
    if not isinstance(value, dict):
        return [] if value in (None, [], "") else [("value", _compact(value))]
    out = []
    for key, v in value.items():
        if key in HIDDEN or v is None:
            continue
        if key == "hours" and isinstance(v, list) and v and isinstance(v[0], dict):
            out.append(("seats_by_hour", _hour_ranges(v, "seats")))
            if any(h.get("booked") for h in v):
                out.append(("booked_by_hour", _hour_ranges(v, "booked")))
        elif isinstance(v, list):
            out.append((key, ", ".join(str(x) for x in v)))
        else:
            out.append((key, str(v)))
    return out


def _hour_ranges(hours: list[dict[str, Any]], field: str) -> str:
    """`8:00–17:00 3` for runs of hours with the same number."""
    runs: list[list[Any]] = []
    for h in hours:
        start = int(str(h["hour"]).split(":")[0])
        if runs and runs[-1][2] == h.get(field) and runs[-1][1] == start:
            runs[-1][1] = start + 1
        else:
            runs.append([start, start + 1, h.get(field)])
    return ", ".join(f"{a}:00–{b}:00 {n}" for a, b, n in runs)


def _compact(value: Any) -> str:
    if value in (None, {}, []):
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


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
    columns = ["at", "actor", "actor_kind", "nursery", "operation", "params", "before", "after"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([cell(r[c]) for c in columns])
    name = f"operation-log-{query['first'].isoformat()}-{query['last'].isoformat()}.csv"
    return csv_download(out.getvalue(), name)


@routes.get("/accounts")
async def accounts_page(request: web.Request) -> web.StreamResponse:
    try:
        _city_only(request)
    except Refused as e:
        return await page_error(request, 403, e.text)
    bot = request.app[BOT]
    now = bot.services.now()
    names = {n.id: n.name for n in bot.config.nurseries}
    rows = [
        {
            "login": a.id,
            "name": a.name,
            "scope": names.get(a.scope, a.scope),
            "city": auth.is_city(a),
            "disabled": a.disabled,
            "locked": a.locked(now),
        }
        for a in await bot.repos.accounts.all()
    ]
    return await render("accounts.html", request, {"rows": rows})
