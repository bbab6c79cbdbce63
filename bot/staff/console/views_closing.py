"""臨時休園: closing a day that has bookings, after a page listing every child it cancels.

休みにする on the calendar closes a day without bookings at once; a day with bookings
comes here first. The page names each child, their hours and how their parent will
learn of it (LINE, or a phone call from staff, with the number)."""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from bot.context import BOT
from bot.staff.console import refusals
from bot.staff.console.forms import Form, Refused
from bot.staff.console.notices import flash
from bot.staff.console.pages import NURSERY, action, form_of, nursery_url, render

routes = web.RouteTableDef()


def closing_url(request: web.Request, day: dt.date) -> str:
    return nursery_url(request, f"closing/{day.isoformat()}")


def _day(request: web.Request) -> dt.date:
    """The day in the path; not a date, or one outside the staff's window, is `Refused`
    (a 400 page saying why)."""
    return form_of(request, request.match_info).date("date")


@routes.get("/n/{nursery}/closing/{date}")
async def closing_page(request: web.Request) -> web.StreamResponse:
    day = _day(request)
    params = {"nursery": request[NURSERY].id, "date": day}
    try:
        preview = await refusals.run(request, "closing", params)
    except Refused as e:
        await flash(request, "error", e.text)
        raise web.HTTPSeeOther(nursery_url(request, "calendar")) from None
    return await render(
        "closing.html",
        request,
        {"day": day, "preview": preview, "action": request.app[BOT].config.staff.actions},
    )


@routes.post("/n/{nursery}/closing/{date}")
async def close_day(request: web.Request) -> web.StreamResponse:
    day = _day(request)

    async def run(form: Form) -> tuple[str, str]:
        params = {"nursery": request[NURSERY].id, "date": day}
        reason = " ".join(form.text("reason", required=False).split())
        if reason:
            params["reason"] = reason
        result = await refusals.run(request, "close-day", params)
        msg = form.messages
        lines = [msg.day_closed.format(date=day.isoformat())]
        to_call = [b for b in result["bookings"] if b["told"]["delivery"] != "sent"]
        lines += [
            msg.close_call.format(
                child=b["child"], start=b["start"], end=b["end"], phone=b["phone"] or "—"
            )
            for b in to_call
        ]
        return ("warn" if to_call else "ok"), "\n".join(lines)

    return await action(request, nursery_url(request, "calendar"), run)
