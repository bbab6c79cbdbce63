"""キャンセル待ち on the day page: the day's line in staff's words, and taking a child off it
(the parent is told, so it is confirmed first: a dialog, or a page without JavaScript)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from bot.context import BOT
from bot.staff.console import ops, refusals
from bot.staff.console.forms import Form
from bot.staff.console.pages import NURSERY, Confirm, action, confirmed, nursery_url
from bot.staff.console.views_interviews import delivery, told
from domain import labels
from domain.catalogue import ConsoleMessages

routes = web.RouteTableDef()


def _until(row: dict[str, Any]) -> str:
    """Until when an offer holds its seats: `9:30`."""
    at = dt.datetime.fromisoformat(row["offered_until"])
    return f"{at.hour}:{at.minute:02d}"


def confirm_lines(msg: ConsoleMessages, row: dict[str, Any], reason: str = "") -> list[str]:
    """What removing the child from the line does, said before it is done."""
    wm = msg.waiting
    band = {"date": row["date"], "start": row["start"], "end": row["end"]}
    lines = [wm.confirm_remove.format(child=row["child"], **band)]
    if row["status"] == "offered" and row["offered_until"]:
        lines.append(wm.confirm_offered.format(child=row["child"], until=_until(row)))
    if reason:
        lines.append(wm.confirm_reason.format(reason=reason))
    return [*lines, msg.confirm_push]


async def line(request: web.Request, day: dt.date) -> list[dict[str, Any]]:
    """The day's line for the day page: each row with its confirmation (the dialog's text)."""
    params = {"nursery": request[NURSERY].id, "date": day}
    rows = list(await ops.run(request, "waiting-list", params))
    msg = request.app[BOT].config.console.messages
    formats = request.app[BOT].services.msg.formats
    for r in rows:
        r["joined_label"] = labels.moment(dt.datetime.fromisoformat(r["joined_at"]), formats)
        r["confirm"] = "".join(confirm_lines(msg, r))
    return rows


def offered_in(rows: list[dict[str, Any]], hour: int) -> list[dict[str, Any]]:
    """The children whose offer holds a seat in `hour` (the seats count them as taken)."""
    return [
        r for r in rows if r["status"] == "offered" and _hour(r["start"]) <= hour < _hour(r["end"])
    ]


def _hour(label: str) -> int:
    return int(label.split(":")[0])


def _day_page(request: web.Request, date: Any) -> str:
    """The day page of the form's date (today's if it is not a date)."""
    try:
        return nursery_url(request, "day") + "?date=" + dt.date.fromisoformat(str(date)).isoformat()
    except ValueError:
        return nursery_url(request, "day")


@routes.post("/n/{nursery}/day/waiting/remove")
async def remove(request: web.Request) -> web.StreamResponse:
    """キャンセル待ちの取消: the child leaves the day's line, the parent is pushed a notice."""
    n = request[NURSERY]
    back = _day_page(request, (await request.post()).get("date"))

    async def run(form: Form) -> tuple[str, str]:
        msg = form.messages
        day = form.date("date")
        entry = form.text("entry")
        reason = " ".join(form.text("reason", required=False).split())
        if not confirmed(form):
            rows = await ops.run(request, "waiting-list", {"nursery": n.id, "date": day})
            row = next((r for r in rows if r["entry"] == entry), None)
            if row is not None:  # (one gone already: the operation says so)
                raise Confirm(
                    request.app[BOT].config.staff.actions.remove_waiting,
                    confirm_lines(msg, row, reason),
                    msg.waiting.confirm_button,
                    danger=True,
                )
        params: dict[str, Any] = {"nursery": n.id, "child": entry, "date": day}
        if reason:
            params["reason"] = reason
        result = await refusals.run(request, "remove-waiting", params)
        kind, notice = told(msg, delivery(result), form.text("phone", required=False))
        done = msg.waiting.removed.format(
            date=result["date"], start=result["start"], end=result["end"], child=result["child"]
        )
        return kind, f"{done}\n{notice}"

    return await action(request, back, run)
