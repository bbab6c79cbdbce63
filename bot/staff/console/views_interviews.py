"""面談枠 (interview slots), 面談待ち (clear a child after the interview), 登録 (registrations)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from aiohttp import web

from bot.context import BOT
from bot.staff.console import ops, refusals
from bot.staff.console.auth import check_csrf
from bot.staff.console.forms import Form, Refused
from bot.staff.console.pages import (
    NURSERY,
    Confirm,
    action,
    check_version,
    confirm_page,
    confirmed,
    form_of,
    nursery_url,
    render,
    version,
)
from bot.staff.console.views_calls import open_calls
from bot.staff.params import AddSlotParams, bounds
from domain.views import said
from storage.names import name_key

routes = web.RouteTableDef()


def at_label(at: str) -> str:
    """`2024-04-23T10:00+09:00` -> `2024-04-23 10:00`."""
    return at[:16].replace("T", " ")


@routes.get("/n/{nursery}/slots")
async def slots_page(request: web.Request) -> web.StreamResponse:
    n = request[NURSERY]
    slots = await ops.run(request, "slots", {"nursery": n.id})
    for s in slots:
        s["version"] = version(_slot_version(s))
        s["label"] = at_label(s["at"])
    return await render(
        "slots.html",
        request,
        {
            "slots": slots,
            "default_capacity": n.interview_capacity,
            "capacity_range": bounds(AddSlotParams, "capacity"),
            "today": _today(request),
        },
    )


def _today(request: web.Request) -> dt.date:
    return request.app[BOT].services.today()


@routes.post("/n/{nursery}/slots/add")
async def add_slot(request: web.Request) -> web.StreamResponse:
    n = request[NURSERY]

    async def run(form: Form) -> str:
        day = form.date("date")
        time = form.time("time")
        capacity = form.number("capacity", *bounds(AddSlotParams, "capacity"))
        at = dt.datetime.combine(day, time, request.app[BOT].config.zone())
        label = at.strftime("%Y-%m-%d %H:%M")
        params = {"nursery": n.id, "at": at, "capacity": capacity}
        await refusals.run(request, "add-slot", params)
        return form.messages.slot_added.format(at=label)

    return await action(request, nursery_url(request, "slots"), run)


@routes.post("/n/{nursery}/slots/remove")
async def remove_slot(request: web.Request) -> web.StreamResponse:
    n = request[NURSERY]

    async def run(form: Form) -> str:
        at = form.text("at")
        label = at_label(at)
        now = {s["at"]: s for s in await ops.run(request, "slots", {"nursery": n.id})}
        if at not in now:
            raise Refused(form.messages.slot_gone.format(at=label))
        check_version(form, _slot_version(now[at]))
        try:
            when = dt.datetime.fromisoformat(at)
        except ValueError:
            raise Refused(form.messages.slot_gone.format(at=label)) from None
        await refusals.run(request, "remove-slot", {"nursery": n.id, "at": when})
        return form.messages.slot_removed.format(at=label)

    return await action(request, nursery_url(request, "slots"), run)


def _slot_version(slot: dict[str, Any]) -> dict[str, Any]:
    """What the remove button was shown for: the slot and who held it."""
    return {k: slot[k] for k in ("at", "capacity", "booked", "children")}


@routes.get("/n/{nursery}/waiting")
async def waiting_page(request: web.Request) -> web.StreamResponse:
    n = request[NURSERY]
    rows = await ops.run(request, "waiting", {"nursery": n.id})
    for r in rows:
        r["interview_label"] = at_label(r["interview_at"]) if r["interview_at"] else ""
    context = {"rows": rows, "waiting": len(rows), "calls": await open_calls(request)}
    return await render("waiting.html", request, context)


def delivery(result: dict[str, Any]) -> str:
    """sent, blocked, failed (or phone) from a staff result (a `domain.views.Notice`)."""
    return str(result["delivery"])


def told(msg: Any, how: str, phone: str) -> tuple[str, str]:
    """(kind, text): how the parent learns of a staff action, and, where staff must phone,
    the parent's number (from the row the action was taken on)."""
    text = said(how, msg)
    if how == "sent":
        return "ok", text
    return "warn", text + ("\n" + msg.parent_phone.format(phone=phone) if phone else "")


@routes.post("/n/{nursery}/waiting/complete")
async def complete(request: web.Request) -> web.StreamResponse:
    """面談完了: the child is cleared and the parent pushed 利用可能, once confirmed. With
    htmx (its dialog confirms), the row is swapped for the result; without, a confirmation
    page comes first and the list comes back with the result as a message."""
    n = request[NURSERY]
    if request.headers.get("HX-Request") != "true":
        return await action(request, nursery_url(request, "waiting"), _complete(request, n))
    data = await request.post()
    form = form_of(request, data)
    try:
        await check_csrf(request, data)
        kind, text = await _complete(request, n)(form)
    except Confirm as ask:  # the dialog was not asked: the whole page asks instead
        page = await confirm_page(request, form, nursery_url(request, "waiting"), ask)
        page.headers.update({"HX-Retarget": "body", "HX-Reswap": "innerHTML"})
        return page
    except Refused as e:
        text, kind = e.text, "error"
    except web.HTTPForbidden as e:  # shown in the row: htmx does not show error pages
        text, kind = str(e.text), "error"
    return await render(
        "waiting_done.html",
        request,
        {
            "text": text,
            "kind": kind,
            "waiting": len(await ops.run(request, "waiting", {"nursery": n.id})),
            "calls": await open_calls(request),
        },
    )


def _complete(request: web.Request, n: Any) -> Any:
    async def run(form: Form) -> tuple[str, str]:
        reg = form.text("registration")
        rows = [] if confirmed(form) else await ops.run(request, "waiting", {"nursery": n.id})
        r = next((r for r in rows if r["registration"] == reg), None)
        if r is not None:  # (one not waiting: the operation says why)
            msg = form.messages
            raise Confirm(
                request.app[BOT].config.staff.actions.complete,
                [
                    msg.confirm_complete.format(child=r["child"], parent=r["parent"]),
                    msg.confirm_push,
                ],
                msg.confirm_complete_button,
            )
        result = await refusals.run(
            request, "complete", {"nursery": n.id, "child": reg, "birth_date": None}
        )
        kind, notice = told(form.messages, delivery(result), form.text("phone", required=False))
        return kind, form.messages.cleared.format(
            child=result["child"], expiry=result["expiry"]
        ) + ("\n" + notice)

    return run


def _matches(row: dict[str, Any], query: str) -> bool:
    """A registration found by part of the child's name or furigana or the parent's name, read
    as a person reads them (hiragana, katakana, half-width kana, spaces or none), or by
    the digits of a phone number."""
    want = name_key(query)
    if any(want in name_key(str(row[k])) for k in ("child", "kana", "parent")):
        return True
    digits = "".join(c for c in unicodedata.normalize("NFKC", query) if c.isdigit())
    return len(digits) >= 3 and digits in "".join(c for c in str(row["phone"]) if c.isdigit())


@routes.get("/n/{nursery}/registrations")
async def registrations_page(request: web.Request) -> web.StreamResponse:
    """Every registration, searched by name, kana, parent or phone; the duplicates report.
    An htmx search asks for the results table only."""
    n = request[NURSERY]
    q = " ".join(request.query.get("q", "").split())
    rows = await ops.run(request, "registrations", {"nursery": n.id})
    if q:
        rows = [r for r in rows if _matches(r, q)]
    context: dict[str, Any] = {"rows": rows, "q": q}
    if request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == "found":
        return await render("registrations_rows.html", request, context)
    context["duplicates"] = await ops.run(request, "duplicates", {"nursery": n.id})
    return await render("registrations.html", request, context)
