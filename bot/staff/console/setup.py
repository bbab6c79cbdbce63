"""Mounting the staff console on the product app: its pages, static files, session cookie
and security headers."""

from __future__ import annotations

import functools
import html
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
import structlog
from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp_session import session_middleware

from bot.context import BOT, Bot
from bot.staff.console import auth
from bot.staff.console.dates import day_of
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
from bot.staff.console.views_waiting_list import routes as waiting_list_routes
from domain import labels
from storage.mongo import StoreUnavailable

log = structlog.get_logger(__name__)

HERE = Path(__file__).parent

RETRY_AFTER = 5  # seconds, on a page answered while the database cannot be reached
STORE_DOWN_PAGE = (
    '<!doctype html><html lang="ja"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>一時保育 職員画面</title></head><body><main><h1>一時保育 職員画面</h1>"
    '<p role="alert">{text}</p></main></body></html>'
)

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
        if auth.over_https(request):
            response.headers.setdefault("Strict-Transport-Security", auth.HSTS)


def compiled_templates() -> jinja2.BytecodeCache | None:
    """The templates compiled once per machine rather than once per worker start: jinja2
    keeps them in a directory of this user's own under the system's temporary one, each
    checked against its template's source. Without one, each worker compiles them itself."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError) as e:  # no writable temporary directory of our own
        log.warning("template_cache_unavailable", error=type(e).__name__)
        return None


def setup_console(parent: web.Application, bot: Bot) -> None:
    """Mount the console at /staff/ on the product app (pages, static files, session cookie)."""
    app = web.Application()
    app[BOT] = bot
    app.middlewares.append(_store_down)
    app.middlewares.append(_session_middleware(bot))
    app.middlewares.append(auth.require_login)
    app.middlewares.append(nursery_scope)
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("bot.staff.console", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        bytecode_cache=compiled_templates(),
        filters={"phone": labels.phone, "postal_code": labels.postal_code},
    )
    letters = bot.config.messages.formats.weekdays  # the base language's: staff read Japanese
    aiohttp_jinja2.get_env(app).globals["day_of"] = functools.partial(day_of, letters)
    for routes in (
        auth_routes,
        day_routes,
        waiting_list_routes,
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


@web.middleware
async def _store_down(request: web.Request, handler: Handler) -> web.StreamResponse:
    """While MongoDB cannot be reached (sessions live there too), every page says so in
    Japanese with a 503 and when to try again, instead of a bare 500."""
    try:
        return await handler(request)
    except StoreUnavailable as e:
        log.error("staff_console_store_unavailable", error=type(e).__name__)
        text = html.escape(request.app[BOT].config.console.messages.store_unavailable)
        page = STORE_DOWN_PAGE.format(text=text)
        headers = {"Retry-After": str(RETRY_AFTER), "HX-Retarget": "body"}
        return web.Response(status=503, text=page, content_type="text/html", headers=headers)


def _session_middleware(bot: Bot) -> Any:
    key = auth.session_key(bot.settings.staff_session_key)
    return session_middleware(auth.ConsoleSessions(key))
