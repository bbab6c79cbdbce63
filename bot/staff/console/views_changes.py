"""登録の詳細: one registration, and the changes staff make to it, each confirmed first.

面談の取消, 面談日時の変更, 面談欠席の記録 and 登録の取消 push to the parent (and a
removal cannot be undone), so the form leads to a confirmation page that says what
will happen, and only its button runs the operation. Plain forms: it works the same
with and without JavaScript.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.context import BOT
from bot.staff.console import ops, refusals
from bot.staff.console.auth import check_csrf
from bot.staff.console.forms import Form, Refused
from bot.staff.console.notices import flash, messages
from bot.staff.console.pages import NURSERY, action, form_of, nursery_url, render
from bot.staff.console.views_interviews import at_label, delivery, told
from domain import labels
from domain.errors import StaffError

routes = web.RouteTableDef()

# the console's changes: the operation each runs, keyed by its field in staff.actions
CHANGES = {
    "cancel_interview": "cancel-interview",
    "move_interview": "move-interview",
    "missed_interview": "missed-interview",
    "remove_registration": "remove-registration",
    "correct_contact": "correct-contact",
}
CONTACT = ("parent_name", "postal_code", "address", "phone")
_IN_ROW = {"parent_name": "parent"}  # a detail's key in the registrations view
INTERVIEW_CHANGES = ("cancel_interview", "move_interview", "missed_interview")


async def _row(request: web.Request, reg: str) -> dict[str, Any]:
    rows = await ops.run(request, "registrations", {"nursery": request[NURSERY].id})
    found: dict[str, Any] | None = next((r for r in rows if r["registration"] == reg), None)
    if found is None:
        await flash(request, "error", messages(request).not_found)
        raise web.HTTPSeeOther(nursery_url(request, "registrations"))
    return found


async def _open_slots(request: web.Request, row: dict[str, Any]) -> list[dict[str, str]]:
    """Slots the interview may move to: ahead, with room, not its own."""
    slots = await ops.run(request, "slots", {"nursery": request[NURSERY].id})
    return [
        {"at": s["at"], "label": at_label(s["at"]), "free": str(s["capacity"] - s["booked"])}
        for s in slots
        if s["booked"] < s["capacity"] and s["at"] != row["interview_at"]
    ]


def _page(request: web.Request, reg: str) -> str:
    return nursery_url(request, f"registration/{reg}")


@routes.get("/n/{nursery}/registration/{reg}")
async def registration_page(request: web.Request) -> web.StreamResponse:
    reg = request.match_info["reg"]
    row = await _row(request, reg)
    row["interview_label"] = at_label(row["interview_at"]) if row["interview_at"] else ""
    row["shown"] = {k: _shown(k, row[_IN_ROW.get(k, k)]) for k in CONTACT}
    booked = row["state"] == "interview_booked"
    try:
        removal = await ops.run(request, "removal", {"nursery": request[NURSERY].id, "child": reg})
    except StaffError:
        removal = None
    return await render(
        "registration.html",
        request,
        {
            "r": row,
            "booked": booked,
            "slots": await _open_slots(request, row) if booked else [],
            "removal": removal,
            "actions": request.app[BOT].config.staff.actions,
            "fields": request.app[BOT].config.staff.contact_fields,
        },
    )


@routes.post("/n/{nursery}/registration/{reg}/confirm")
async def confirm_page(request: web.Request) -> web.StreamResponse:
    """The change asked for, said in full, with the button that makes it."""
    reg = request.match_info["reg"]
    data = await request.post()
    await check_csrf(request, data)
    form = form_of(request, data)
    change = form.text("change", required=False)
    if change not in CHANGES:
        await flash(request, "error", form.messages.change_unknown)
        raise web.HTTPSeeOther(_page(request, reg))
    row = await _row(request, reg)
    removal = None
    if change == "remove_registration":
        params = {"nursery": request[NURSERY].id, "child": reg}
        try:
            removal = await refusals.run(request, "removal", params)
        except Refused as e:
            await flash(request, "error", e.text)
            raise web.HTTPSeeOther(_page(request, reg)) from None
    to = form.text("to", required=False)
    contact = {k: " ".join(form.text(k, required=False).split()) for k in CONTACT}
    fields = request.app[BOT].config.staff.contact_fields
    diffs = [
        (fields[k], _shown(k, row[_IN_ROW.get(k, k)]), v)
        for k, v in contact.items()
        if v and v != _shown(k, row[_IN_ROW.get(k, k)])
    ]
    return await render(
        "confirm_change.html",
        request,
        {
            "r": row,
            "change": change,
            "action": getattr(request.app[BOT].config.staff.actions, change),
            "interview": at_label(row["interview_at"]) if row["interview_at"] else "",
            "to": to,
            "to_label": at_label(to) if to else "",
            "reason": " ".join(form.text("reason", required=False).split()),
            "removal": removal,
            "contact": contact,
            "diffs": diffs,
        },
    )


def _shown(field: str, value: str) -> str:
    """A stored detail as the page shows it (and staff type it)."""
    if field == "phone":
        return labels.phone(value)
    if field == "postal_code":
        return labels.postal_code(value)
    return value


@routes.post("/n/{nursery}/registration/{reg}/change")
async def change(request: web.Request) -> web.StreamResponse:
    """Make the confirmed change; back to the registration (to the list after a removal)."""
    reg = request.match_info["reg"]
    n = request[NURSERY]
    data = await request.post()
    name = str(data.get("change", ""))
    back = _page(request, reg)
    if name == "remove_registration":
        back = nursery_url(request, "registrations")

    async def run(form: Form) -> tuple[str, str]:
        if name not in CHANGES:
            raise Refused(form.messages.change_unknown)
        params: dict[str, Any] = {"nursery": n.id, "child": reg}
        reason = " ".join(form.text("reason", required=False).split())
        if reason:
            params["reason"] = reason
        if name == "move_interview":
            params["to"] = form.text("to")
        if name == "correct_contact":
            params.update({k: form.text(k, required=False) or None for k in CONTACT})
        result = await refusals.run(request, CHANGES[name], params)
        kind, notice = told(
            form.messages, delivery(result), form.text("parent_phone", required=False)
        )
        act = getattr(request.app[BOT].config.staff.actions, name)
        return kind, form.messages.change_done.format(child=result["child"], action=act) + (
            "\n" + notice
        )

    return await action(request, back, run)
