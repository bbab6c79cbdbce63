"""What every console page shares: the nursery check, rendering, actions with their answer.

An action (a POST) checks the CSRF token, reads its form, runs, and answers with a
redirect to the page it came from, carrying a message: what was done, or why
nothing was (`Refused`, or a staff operation's refusal put into Japanese). An action
that pushes to a parent or cannot be undone is confirmed first (`Confirm`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.context import BOT
from bot.staff.console.auth import ACCOUNT, check_csrf, csrf_token, may_use
from bot.staff.console.forms import Form, Refused
from bot.staff.console.notices import flash, messages, take_flash
from domain import checks
from domain.config import Nursery
from domain.errors import StaffError
from storage.tokens import CITY

NURSERY = web.RequestKey("nursery", Nursery)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def nursery_scope(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Pages under /staff/n/{nursery}/: 404 for an unknown nursery, 403 for another's staff."""
    key = request.match_info.get("nursery")
    if key is None:
        return await handler(request)
    try:
        nursery = request.app[BOT].config.nursery(key)
    except KeyError:
        return await page_error(request, 404, messages(request).not_found)
    if not may_use(request[ACCOUNT], nursery.id):
        return await page_error(request, 403, messages(request).forbidden)
    request[NURSERY] = nursery
    try:
        return await handler(request)
    except Refused as e:  # a page (not an action) asked for something it cannot show
        return await page_error(request, 400, e.text)
    except StaffError as e:
        text = messages(request).refused.format(reason=str(e))
        return await page_error(request, 400, text)


# A page under another page's tab: a registration's detail under 登録, closing a day under
# 今日・日別 (its confirmation and the answers to forms are under their own section's tab).
TAB_OF = {"registration": "registrations", "closing": "day"}


def section(path: str) -> str:
    """The tab a console path belongs to: `/staff/n/futaba/registration/r1/change` is
    under `registrations`, `/staff/accounts/add` under `accounts`."""
    parts = path.strip("/").split("/")
    name = parts[3] if len(parts) > 3 and parts[1] == "n" else parts[1] if len(parts) > 1 else ""
    return TAB_OF.get(name, name)


async def render(
    template: str, request: web.Request, context: dict[str, Any], status: int = 200
) -> web.Response:
    """A page with what every template gets: the account, nursery, CSRF token, message."""
    bot = request.app[BOT]
    account = request.get(ACCOUNT)
    nurseries = [n for n in bot.config.nurseries if account and may_use(account, n.id)]
    base = {
        "account": account,
        "is_city": bool(account and account.scope == CITY),
        "nursery": request.get(NURSERY),
        "nurseries": nurseries,
        "csrf": await csrf_token(request),
        "flash": await take_flash(request),
        "path": request.path_qs,
        "page": section(request.path),
    }
    return aiohttp_jinja2.render_template(template, request, base | context, status=status)


async def page_error(request: web.Request, status: int, text: str) -> web.Response:
    """The page's refusal; a page opened with values it refused (a wrong date range) links
    back to itself as it opens without them."""
    retry = request.path if status == 400 and request.method == "GET" and request.query else None
    context = {"status": status, "message": text, "retry": retry}
    return await render("error.html", request, context, status)


def today(request: web.Request) -> dt.date:
    return request.app[BOT].services.today()


def form_of(request: web.Request, data: Any) -> Form:
    """A submitted form or a query, its dates kept to the staff's window (domain/checks.py):
    one outside it is `Refused` with the window named, as a wrong date is."""
    return Form(data, messages(request), checks.window(request.app[BOT].services))


def nursery_url(request: web.Request, page: str) -> str:
    return f"/staff/n/{request[NURSERY].id}/{page}"


def version(data: Any) -> str:
    """A short digest of what a form was built from; a different one on submit means stale."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_version(form: Form, current: Any) -> None:
    if form.data.get("version", "") != version(current):
        raise Refused(form.messages.stale)


def back_to(form: Form, default: str) -> str:
    """The page to return to: the form's `back` if it is a console page, else `default`."""
    back = str(form.data.get("back", ""))
    if back.startswith("/staff/") and "//" not in back and "\\" not in back:
        return back
    return default


class Confirm(Exception):
    """An action that pushes to a parent or cannot be undone, posted without `confirmed`:
    a page says what will happen, and its button posts the same form again, confirmed.
    With JavaScript the form's own dialog adds `confirmed` and the page is skipped."""

    def __init__(self, action: str, lines: list[str], button: str, danger: bool = False) -> None:
        super().__init__(action)  # the action in staff's words (staff.actions)
        self.action, self.lines, self.button, self.danger = action, lines, button, danger


def confirmed(form: Form) -> bool:
    return form.flag("confirmed")


async def confirm_page(request: web.Request, form: Form, back: str, ask: Confirm) -> web.Response:
    """The confirmation: what will happen, and the same form (every field but the token)."""
    fields = {k: str(v) for k, v in form.data.items() if k not in ("csrf", "confirmed")}
    title = form.messages.confirm_title.format(action=ask.action)
    context = {"ask": ask, "title": title, "fields": fields, "target": request.path, "back": back}
    return await render("confirm.html", request, context)


async def action(
    request: web.Request,
    default_back: str,
    run: Callable[[Form], Awaitable[str | tuple[str, str]]],
) -> web.StreamResponse:
    """Check CSRF, run the action on the form, go back to the page with what happened
    (`run` gives the message, or `(kind, message)`: `warn` when staff must still act; it
    raises `Confirm` to have the action confirmed first)."""
    data = await request.post()
    await check_csrf(request, data)
    form = form_of(request, data)
    back = back_to(form, default_back)
    try:
        done = await run(form)
    except Confirm as ask:
        return await confirm_page(request, form, back, ask)
    except Refused as e:
        await flash(request, "error", e.text, form.values())
        raise web.HTTPSeeOther(back) from None
    kind, text = done if isinstance(done, tuple) else ("ok", done)
    await flash(request, kind, text)
    raise web.HTTPSeeOther(back)
