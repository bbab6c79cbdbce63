"""今日・日別 (who comes on a day, printable, and the day's キャンセル待ち) and カレンダー
(days x hours; seats, open, close)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from bot.context import BOT
from bot.staff.console import ops, refusals
from bot.staff.console.forms import Form, Refused
from bot.staff.console.pages import (
    NURSERY,
    action,
    check_version,
    form_of,
    nursery_url,
    page_error,
    render,
    today,
    version,
)
from bot.staff.console.views_calls import open_calls
from bot.staff.console.views_closing import closing_url
from bot.staff.console.views_waiting_list import line, offered_in
from bot.staff.params import SeatsDaysParams, bounds
from domain.calendar import holiday

routes = web.RouteTableDef()


def _hour(label: str) -> int:
    return int(label.split(":")[0])


@routes.get("/n/{nursery}/day")
async def day_page(request: web.Request) -> web.StreamResponse:
    n = request[NURSERY]
    try:
        day = form_of(request, request.query).date("date", today(request))
    except Refused as e:
        return await page_error(request, 400, e.text)
    seats = await ops.run(request, "seats", {"nursery": n.id, "date": day})
    rows = await ops.run(request, "roster", {"nursery": n.id, "date": day})
    rows = sorted(rows, key=lambda r: (_hour(r["start"]), r["kana"] or r["child"]))
    waiting = await line(request, day)
    hours = []
    for h in seats["hours"]:
        hour = _hour(h["hour"])
        here = [r for r in rows if _hour(r["start"]) <= hour < _hour(r["end"])]
        hours.append({**h, "children": here, "offered": offered_in(waiting, hour)})
    return await render(
        "day.html",
        request,
        {
            "day": day,
            "is_today": day == today(request),
            "holiday": holiday(day),
            "prev": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "seats": seats,
            "rows": rows,
            "hours": hours,
            "questions": [q.label for q in n.questions],
            "calls": await open_calls(request),
            "line": waiting,
            "line_shown": bool(seats["open"]) and day >= today(request),
        },
    )


async def _days(request: web.Request, first: dt.date, count: int) -> list[dict[str, Any]]:
    n = request[NURSERY]
    out = []
    for i in range(count):
        day = first + dt.timedelta(days=i)
        out.append(await ops.run(request, "seats", {"nursery": n.id, "date": day}))
    return out


def _seats_only(days: list[dict[str, Any]]) -> list[Any]:
    """What a calendar form depends on: each day's seats per hour (not the bookings)."""
    return [[d["date"], [h["seats"] for h in d["hours"]]] for d in days]


@routes.get("/n/{nursery}/calendar")
async def calendar_page(request: web.Request) -> web.StreamResponse:
    n = request[NURSERY]
    shown = request.app[BOT].config.console.days_shown
    try:
        first = form_of(request, request.query).date("from", today(request))
    except Refused as e:
        return await page_error(request, 400, e.text)
    days = await _days(request, first, shown)
    for d in days:
        d["version"] = version(_seats_only([d]))
        date = dt.date.fromisoformat(d["date"])
        d["weekday"] = date.weekday()
        d["holiday"] = holiday(date)
        d["past"] = date < today(request)
    return await render(
        "calendar.html",
        request,
        {
            "first": first,
            "prev": first - dt.timedelta(days=shown),
            "next": first + dt.timedelta(days=shown),
            "days": days,
            "hour_labels": [f"{h}:00" for h in n.hours.range()],
            "hour_numbers": [*n.hours.range(), n.hours.close],
            "version": version(_seats_only(days)),
            "default_seats": n.seats_per_hour,
            "seats_range": bounds(SeatsDaysParams, "seats"),
        },
    )


def _check_day(form: Form, request: web.Request, day: dt.date) -> None:
    if day < today(request):
        raise Refused(form.messages.past_date.format(date=day.isoformat()))


@routes.post("/n/{nursery}/calendar/seats")
async def set_seats(request: web.Request) -> web.StreamResponse:
    """Seats per hour for a day or a range of days (some hours, or all): one operation,
    which checks every day before it changes any."""
    n = request[NURSERY]

    async def run(form: Form) -> str:
        msg = form.messages
        first = form.date("first")
        last = form.date("last", first)
        seats = form.number("seats", *bounds(SeatsDaysParams, "seats"))
        _check_day(form, request, first)
        hours = None
        if form.text("start", required=False) or form.text("end", required=False):
            start = form.number("start", n.hours.open, n.hours.close - 1)
            end = form.number("end", n.hours.open + 1, n.hours.close)
            if end <= start:
                raise Refused(msg.hours_order)
            hours = list(range(start, end))
        view_from = form.date("view_from", first)
        shown = request.app[BOT].config.console.days_shown
        check_version(form, _seats_only(await _days(request, view_from, shown)))
        if last == first:  # one day named: that day, with the operation of a day
            day = {"nursery": n.id, "date": first, "seats": seats, "hours": hours}
            await refusals.run(request, "set-seats", day)
            return msg.seats_set.format(first=first, last=last, days=1, seats=seats)
        params = {
            "nursery": n.id,
            "first": first,
            "last": last,
            "seats": seats,
            "hours": hours,
            "keep_closed": form.flag("keep_closed"),
        }
        done = await refusals.run(request, "set-seats-days", params)
        return msg.seats_set.format(
            first=done["first"], last=done["last"], days=done["days"], seats=seats
        )

    return await action(request, nursery_url(request, "calendar"), run)


@routes.post("/n/{nursery}/calendar/day")
async def open_or_close(request: web.Request) -> web.StreamResponse:
    """休みにする (0 seats all day) or 開所する (the nursery's usual seats)."""
    n = request[NURSERY]

    async def run(form: Form) -> str:
        day = form.date("date")
        _check_day(form, request, day)
        [seats_now] = await _days(request, day, 1)
        check_version(form, _seats_only([seats_now]))
        opening = form.data.get("do") == "open"
        if not opening and any(h["booked"] for h in seats_now["hours"]):
            raise web.HTTPSeeOther(closing_url(request, day))  # 臨時休園: confirmed first
        seats = n.seats_per_hour if opening else 0
        params = {"nursery": n.id, "date": day, "seats": seats, "hours": None}
        await refusals.run(request, "set-seats", params)
        if opening:
            return form.messages.day_opened.format(date=day.isoformat(), seats=seats)
        return form.messages.day_closed.format(date=day.isoformat())

    return await action(request, nursery_url(request, "calendar"), run)
