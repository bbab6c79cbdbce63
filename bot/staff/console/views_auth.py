"""Login, logout and the start page (a nursery's staff go straight to their day's roster)."""

from __future__ import annotations

from aiohttp import web

from bot.context import BOT
from bot.staff.console import auth
from bot.staff.console.auth import ACCOUNT, check_csrf
from bot.staff.console.notices import flash, messages
from bot.staff.console.pages import render
from storage.staff_accounts import LOGIN_MAX

routes = web.RouteTableDef()


@routes.get("/login")
async def login_page(request: web.Request) -> web.StreamResponse:
    rules = request.app[BOT].config.console
    return await render("login.html", request, {"lock_after": rules.lock_after})


@routes.post("/login")
async def login_submit(request: web.Request) -> web.StreamResponse:
    data = await request.post()
    await check_csrf(request, data)
    # A name longer than any login ID is cut one past it: it still fails (and is counted)
    # as an unknown login, but no request stores more than that of it.
    name = str(data.get("login", "")).strip()[: LOGIN_MAX + 1]
    why = await auth.login(request, name, str(data.get("password", "")))
    if why is not None:
        await flash(request, "error", why, {"login": name})
        raise web.HTTPSeeOther("/staff/login")
    raise web.HTTPSeeOther("/staff/")


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    data = await request.post()
    await check_csrf(request, data)
    everywhere = data.get("everywhere") == "1"
    await auth.logout(request, everywhere)
    msg = messages(request)
    await flash(request, "ok", msg.logged_out_everywhere if everywhere else msg.logged_out)
    raise web.HTTPSeeOther("/staff/login")


@routes.get("/")
async def home(request: web.Request) -> web.StreamResponse:
    account = request[ACCOUNT]
    go = request.query.get("go", "")
    if go.startswith("/staff/n/") and "//" not in go:  # the nursery switcher without script
        raise web.HTTPSeeOther(go)
    if not auth.is_city(account):
        raise web.HTTPSeeOther(f"/staff/n/{account.scope}/day")
    return await render("home.html", request, {"all_nurseries": request.app[BOT].config.nurseries})
