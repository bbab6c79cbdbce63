"""予約: bookings by day and child, phone bookings, cancelling (the parent is told), CSV."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from bot.context import BOT
from bot.staff.console import ops, refusals
from bot.staff.console.forms import Form, Refused
from bot.staff.console.pages import (
    NURSERY,
    Confirm,
    action,
    confirmed,
    form_of,
    nursery_url,
    page_error,
    render,
    today,
)
from bot.staff.console.views_interviews import delivery, told
from bot.staff.csv_export import csv_download
from domain import labels

routes = web.RouteTableDef()
UNREGISTERED = "unregistered"  # the phone form's choice of a child not registered on LINE
MAX_LIST_DAYS = 31
MAX_EXPORT_DAYS = 400


def _range(request: web.Request, form: Form, longest: int) -> tuple[dt.date, dt.date]:
    horizon = request.app[BOT].config.booking.horizon_days
    first = form.date("first", today(request))
    last = form.date("last", first + dt.timedelta(days=horizon))
    if last < first:
        raise Refused(form.messages.range_order)
    if (last - first).days >= longest:
        raise Refused(form.messages.range_too_long.format(days=longest))
    return first, last


async def _bookings(request: web.Request, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """The held bookings of the days, as the export has them (one operation for the range)."""
    params = {"nursery": request[NURSERY].id, "first": first, "last": last}
    return list((await ops.run(request, "export", params))["rows"])


@routes.get("/n/{nursery}/bookings")
async def bookings_page(request: web.Request) -> web.StreamResponse:
    n = request[NURSERY]
    form = form_of(request, request.query)
    try:
        first, last = _range(request, form, MAX_LIST_DAYS)
    except Refused as e:
        return await page_error(request, 400, e.text)
    child = form.text("child", required=False)
    find = form.text("find", required=False)
    found = await ops.run(request, "children", {"nursery": n.id, "q": find}) if find else []
    rows = await _bookings(request, first, last)
    if child:
        want = child.replace(" ", "")
        rows = [
            r
            for r in rows
            if want in r["child"].replace(" ", "") or want in r["kana"].replace(" ", "")
        ]
    return await render(
        "bookings.html",
        request,
        {
            "first": first,
            "last": last,
            "child": child,
            "find": find,
            "found": found,
            "rows": rows,
            "month_first": today(request).replace(day=1),
            "month_last": _month_end(today(request)),
            "starts": list(n.hours.range()),
            "ends": list(range(n.hours.open + 1, n.hours.close + 1)),
        },
    )


def _month_end(day: dt.date) -> dt.date:
    nxt = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


@routes.post("/n/{nursery}/bookings/phone")
async def phone_booking(request: web.Request) -> web.StreamResponse:
    n = request[NURSERY]

    async def run(form: Form) -> str:
        msg = form.messages
        day = form.date("date")
        start = form.number("start", n.hours.open, n.hours.close - 1)
        end = form.number("end", n.hours.open + 1, n.hours.close)
        who = form.text("who")
        if day < today(request):
            raise Refused(msg.past_date.format(date=day.isoformat()))
        if end <= start:
            raise Refused(msg.hours_order)
        params: dict[str, Any] = {"nursery": n.id, "date": day, "start": start, "end": end}
        if who == UNREGISTERED:
            params.update(
                child=form.text("new_child"), phone=form.text("new_phone"), unregistered=True
            )
        else:
            params["child"] = who
        booked = await refusals.run(request, "phone-booking", params)
        return msg.phone_booked.format(
            date=day.isoformat(), start=f"{start}:00", end=f"{end}:00", child=booked["child"]
        )

    return await action(request, nursery_url(request, "bookings"), run)


@routes.post("/n/{nursery}/bookings/cancel")
async def cancel_booking(request: web.Request) -> web.StreamResponse:
    n = request[NURSERY]

    async def run(form: Form) -> tuple[str, str]:
        msg = form.messages
        day = form.date("date")
        booking = form.text("booking")
        rows = [] if confirmed(form) else await _bookings(request, day, day)
        r = next((r for r in rows if r["booking"] == booking), None)
        if r is not None:  # (one gone already: the operation says so)
            words = {"date": r["date"], "start": r["start"], "end": r["end"]}
            how = (
                msg.confirm_call.format(phone=labels.phone(r["phone"]))
                if r["source"] == "phone"
                else msg.confirm_push
            )
            raise Confirm(
                request.app[BOT].config.staff.actions.cancel_booking,
                [msg.confirm_cancel.format(child=r["child"], **words), how],
                msg.confirm_cancel_button,
                danger=True,
            )
        params = {"nursery": n.id, "child": booking, "date": day}
        result = await refusals.run(request, "cancel-booking", params)
        how = delivery(result) if result.get("source") != "phone" else "phone"
        kind, notice = told(msg, how, form.text("phone", required=False))
        done = msg.booking_cancelled.format(
            date=result["date"], start=result["start"], end=result["end"], child=result["child"]
        )
        return kind, f"{done}\n{notice}"

    return await action(request, nursery_url(request, "bookings"), run)


@routes.get("/n/{nursery}/bookings.csv")
async def export(request: web.Request) -> web.StreamResponse:
    n = request[NURSERY]
    form = form_of(request, request.query)
    try:
        first, last = _range(request, form, MAX_EXPORT_DAYS)
    except Refused as e:
        return await page_error(request, 400, e.text)
    text = await ops.export_csv(request, {"nursery": n.id, "first": first, "last": last})
    name = f"bookings-{n.id}-{first.isoformat()}-{last.isoformat()}.csv"
    return csv_download(text, name)
