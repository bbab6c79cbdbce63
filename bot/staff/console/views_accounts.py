"""アカウント (city staff): create a nursery's or the city's account, reissue a password,
stop, restart and unlock an account, log it out everywhere, lift an address's lock;
パスワードの変更 (everyone).

A new account and a reissued password get a one-time password, shown once on the page
that answers the request (never in a message kept in the session); its holder chooses
their own at the next login (`must_change`). Each change is in the operation log.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC
from typing import Any

from aiohttp import web

from bot.context import BOT
from bot.staff.console import auth
from bot.staff.console.auth import ACCOUNT, check_csrf
from bot.staff.console.forms import Form, Refused
from bot.staff.console.notices import flash, messages
from bot.staff.console.pages import Confirm, confirm_page, confirmed, page_error, render
from bot.staff.operation import Actor
from storage.staff_accounts import LOGIN, MIN_PASSWORD
from storage.tokens import CITY

routes = web.RouteTableDef()
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def one_time_password() -> str:
    """Twelve letters and digits in three groups, easy to read out over the phone."""
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(3))
    return "-".join(groups)


def _city_only(request: web.Request) -> None:
    if not auth.is_city(request[ACCOUNT]):
        raise web.HTTPForbidden(text=messages(request).forbidden)


async def _record(request: web.Request, operation: str, login: str, **changes: Any) -> None:
    """The change in the operation log (never a password)."""
    me = request[ACCOUNT]
    actor = Actor("account", me.id, me.scope)
    await request.app[BOT].operations.record(
        actor, operation, {"login": login}, after=changes or None
    )


@routes.get("/accounts")
async def accounts_page(request: web.Request) -> web.StreamResponse:
    if not auth.is_city(request[ACCOUNT]):
        return await page_error(request, 403, messages(request).forbidden)
    bot = request.app[BOT]
    rules, zone = bot.config.console, bot.config.zone()
    now = bot.services.now()
    locks = await bot.repos.login_attempts.locks(rules.lock_after, rules.address_limit, now)
    names = {n.id: n.name for n in bot.config.nurseries}
    locked = {d.login for d in locks if d.login}
    rows = [
        {
            "login": a.id,
            "name": a.name,
            "scope": names.get(a.scope, a.scope),
            "city": auth.is_city(a),
            "disabled": a.disabled,
            "locked": a.id in locked,
            "me": a.id == request[ACCOUNT].id,
            "must_change": a.must_change,
        }
        for a in await bot.repos.accounts.all()
    ]
    addresses = [
        {"address": d.address, "until": d.expires.replace(tzinfo=UTC).astimezone(zone)}
        for d in locks
        if not d.login
    ]
    context = {"rows": rows, "addresses": addresses, "all_nurseries": bot.config.nurseries}
    return await render("accounts.html", request, context)


async def _shown_once(request: web.Request, context: dict[str, Any]) -> web.StreamResponse:
    """The one-time password's page: not kept by the browser's cache or history."""
    response = await render("account_password.html", request, context)
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.post("/accounts/add")
async def add_account(request: web.Request) -> web.StreamResponse:
    _city_only(request)
    data = await request.post()
    await check_csrf(request, data)
    form = Form(data, messages(request))
    bot = request.app[BOT]
    try:
        login = form.text("login").lower()
        if not LOGIN.fullmatch(login):
            raise Refused(form.messages.login_rules)
        name = form.text("name")
        scope = form.text("scope")
        if scope != CITY and scope not in {n.id for n in bot.config.nurseries}:
            raise Refused(form.messages.scope_unknown)
    except Refused as e:
        await flash(request, "error", e.text, form.values())
        raise web.HTTPSeeOther("/staff/accounts") from None
    password = one_time_password()
    accounts = bot.repos.accounts
    doc = await accounts.add(login, scope, name, password, bot.services.now(), must_change=True)
    if doc is None:
        await flash(request, "error", form.messages.login_taken.format(login=login), form.values())
        raise web.HTTPSeeOther("/staff/accounts")
    names = {n.id: n.name for n in bot.config.nurseries}
    await _record(request, "add-account", login, name=name, scope=names.get(scope, scope))
    return await _shown_once(request, {"login": login, "name": name, "password": password})


@routes.post("/accounts/change")
async def change_account(request: web.Request) -> web.StreamResponse:
    """再発行 (confirmed first), 停止 (confirmed first), 再開, ロック解除."""
    _city_only(request)
    data = await request.post()
    await check_csrf(request, data)
    form = Form(data, messages(request))
    msg, bot = form.messages, request.app[BOT]
    accounts = bot.repos.accounts
    what = form.text("do", required=False)
    login = form.text("login", required=False)
    if what == "unlock-address":
        address = form.text("address", required=False)
        await bot.repos.login_attempts.lift(address=address)
        await _record(request, "unlock-address", "", client=address)
        await flash(request, "ok", msg.address_unlocked.format(address=address))
        raise web.HTTPSeeOther("/staff/accounts")
    doc = await accounts.get(login)
    if doc is None or what not in ("reset", "disable", "enable", "unlock", "logout"):
        await flash(request, "error", msg.change_unknown)
        raise web.HTTPSeeOther("/staff/accounts")
    if what == "disable" and doc.id == request[ACCOUNT].id:
        await flash(request, "error", msg.account_self)
        raise web.HTTPSeeOther("/staff/accounts")
    if what in ("reset", "disable") and not confirmed(form):
        text = msg.confirm_reset if what == "reset" else msg.confirm_disable
        button = msg.reset_button if what == "reset" else msg.disable_button
        actions = bot.config.staff.actions
        ask = Confirm(
            actions.reset_password if what == "reset" else actions.disable_account,
            [text.format(login=doc.id, name=doc.name)],
            button,
            danger=True,
        )
        return await confirm_page(request, form, "/staff/accounts", ask)
    if what == "reset":
        password = one_time_password()
        await accounts.set_password(doc.id, password, must_change=True)
        await bot.repos.login_attempts.lift(login=doc.id)
        await _record(request, "reset-password", doc.id)
        context = {"login": doc.id, "name": doc.name, "password": password, "reset": True}
        return await _shown_once(request, context)
    if what == "unlock":
        await bot.repos.login_attempts.lift(login=doc.id)
        await _record(request, "unlock-account", doc.id)
    elif what == "logout":
        await bot.repos.staff_sessions.end_all(doc.id)
        await _record(request, "logout-account", doc.id)
    else:
        await accounts.set_disabled(doc.id, what == "disable")  # its epoch ends sessions
        await _record(request, f"{what}-account", doc.id)
    done = {
        "disable": msg.account_disabled,
        "enable": msg.account_enabled,
        "logout": msg.account_logged_out,
    }.get(what, msg.account_unlocked)
    await flash(request, "ok", done.format(login=doc.id))
    raise web.HTTPSeeOther("/staff/accounts")


@routes.get("/password")
async def password_page(request: web.Request) -> web.StreamResponse:
    return await render("password.html", request, {"min_length": MIN_PASSWORD})


@routes.post("/password")
async def change_password(request: web.Request) -> web.StreamResponse:
    """Everyone's own password: the current one, a new one twice (the session goes on)."""
    data = await request.post()
    await check_csrf(request, data)
    msg, me = messages(request), request[ACCOUNT]
    accounts = request.app[BOT].repos.accounts
    current, new = str(data.get("current", "")), str(data.get("new", ""))
    ok = await asyncio.to_thread(accounts.passwords.matches, me.password_hash, current)
    why = None
    if not ok:
        why = msg.password_wrong
    elif len(new) < MIN_PASSWORD:
        why = msg.password_short.format(length=MIN_PASSWORD)
    elif new != str(data.get("again", "")):
        why = msg.password_mismatch
    elif new == current:
        why = msg.password_same
    if why is not None:
        await flash(request, "error", why)
        raise web.HTTPSeeOther("/staff/password")
    doc = await accounts.set_password(me.id, new)
    assert doc is not None
    await auth.keep_session(request, doc)
    await flash(request, "ok", msg.password_changed)
    raise web.HTTPSeeOther("/staff/")
