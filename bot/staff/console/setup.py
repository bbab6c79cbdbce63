"""Mounting the staff console on the product app: its pages, static files, session cookie
and security headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import session_middleware

from bot.context import BOT, Bot
from bot.staff.console import auth
from bot.staff.console.pages import nursery_scope
from bot.staff.console.views_accounts import routes as account_routes
from bot.staff.console.views_auth import routes as auth_routes
from bot.staff.console.views_bookings import routes as booking_routes
from bot.staff.console.views_calls import routes as call_routes
from bot.staff.console.views_changes import routes as change_routes
from bot.staff.console.views_city import routes as city_routes
from bot.staff.console.views_closing import routes as closing_routes
from bot.staff.console.views_days import routes as day_routes
from bot.staff.console.views_interviews import routes as interview_routes
from domain import labels

HERE = Path(__file__).parent

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self'; script-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith("/staff/"):
        for k, v in SECURITY_HEADERS.items():
            if k == "Cache-Control" and request.path.startswith("/staff/static/"):
                continue
            response.headers.setdefault(k, v)


def setup_console(parent: web.Application, bot: Bot) -> None:
    """Mount the console at /staff/ on the product app (pages, static files, session cookie)."""
    app = web.Application()
    app[BOT] = bot
    app.middlewares.append(_session_middleware(bot))
    app.middlewares.append(auth.require_login)
    app.middlewares.append(nursery_scope)
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("bot.staff.console", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        filters={"phone": labels.phone, "postal_code": labels.postal_code},
    )
    for routes in (
        auth_routes,
        day_routes,
        closing_routes,
        interview_routes,
        change_routes,
        booking_routes,
        call_routes,
        city_routes,
        account_routes,
    ):
        app.router.add_routes(routes)
    app.router.add_static("/static/", HERE / "static", name="staff_static")
    app.on_response_prepare.append(_headers)
    parent.add_subapp("/staff", app)


def _session_middleware(bot: Bot) -> Any:
    return session_middleware(auth.ConsoleCookies(auth.session_key(bot.settings.staff_session_key)))
