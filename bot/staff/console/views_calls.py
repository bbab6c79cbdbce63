"""電話連絡: parents staff must phone (a notice that did not reach them, a phone booking),
listed until staff mark the call made; the day page and 面談待ち show how many."""

from __future__ import annotations

from aiohttp import web

from bot.staff.console import ops, refusals
from bot.staff.console.forms import Form
from bot.staff.console.pages import NURSERY, action, nursery_url, render

routes = web.RouteTableDef()


async def open_calls(request: web.Request) -> int:
    """How many parents the nursery still has to phone (for the pages that show it)."""
    return len(await ops.run(request, "calls", {"nursery": request[NURSERY].id}))


@routes.get("/n/{nursery}/calls")
async def calls_page(request: web.Request) -> web.StreamResponse:
    rows = await ops.run(request, "calls", {"nursery": request[NURSERY].id})
    return await render("calls.html", request, {"rows": rows})


@routes.post("/n/{nursery}/calls/phoned")
async def phoned(request: web.Request) -> web.StreamResponse:
    n = request[NURSERY]

    async def run(form: Form) -> str:
        params = {"nursery": n.id, "call": form.text("call")}
        [done] = await refusals.run(request, "phoned", params)
        return form.messages.phoned.format(child=done["child"])

    return await action(request, nursery_url(request, "calls"), run)
