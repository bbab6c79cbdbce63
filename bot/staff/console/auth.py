"""Who is using the console: the encrypted session cookie, login checks, idle expiry, CSRF.

The session lives in a cookie encrypted and signed with Fernet (aiohttp-session's
EncryptedCookieStorage): HttpOnly, SameSite=Strict, path /staff/, and Secure when
the request came over https (directly or through a proxy saying so). It holds the
login name, the account's epoch, when it was last used (by the bot's clock, so
tests can move time), the CSRF token, and one flash message for the next page.
Each request reloads the account, so a disabled account is out at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web
from aiohttp_session import AbstractStorage, Session, get_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet

from bot.context import BOT
from bot.staff.console.notices import flash, messages
from storage.staff_accounts import AccountDoc
from storage.tokens import CITY

log = structlog.get_logger(__name__)

COOKIE = "staff_console"
ACCOUNT = web.RequestKey("account", AccountDoc)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC = ("/staff/login", "/staff/static/")
OWN_PASSWORD = ("/staff/password", "/staff/logout")  # open to a one-time password's holder


def session_key(configured: str) -> Fernet:
    """The Fernet key from STAFF_SESSION_KEY; without one a key is made (and logged as such)."""
    if configured:
        return Fernet(configured.encode())
    log.warning(
        "staff_session_key_generated",
        note="STAFF_SESSION_KEY is not set: console logins end when this process stops and "
        "are not shared by other processes; set it (Fernet key) for real use",
    )
    return Fernet(Fernet.generate_key())


def _over_https(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


class ConsoleCookies(AbstractStorage):
    """Encrypted cookie sessions, with the Secure flag when the request came over https."""

    def __init__(self, key: Fernet) -> None:
        params: dict[str, Any] = {"cookie_name": COOKIE, "path": "/staff/", "samesite": "Strict"}
        super().__init__(httponly=True, **params)
        self._plain = EncryptedCookieStorage(key, secure=False, httponly=True, **params)
        self._secure = EncryptedCookieStorage(key, secure=True, httponly=True, **params)

    async def load_session(self, request: web.Request) -> Session:
        return await self._plain.load_session(request)

    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        store = self._secure if _over_https(request) else self._plain
        await store.save_session(request, response, session)


async def csrf_token(request: web.Request) -> str:
    session = await get_session(request)
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


async def check_csrf(request: web.Request, form: Any) -> None:
    """A POST without this session's CSRF token (form field or X-CSRF-Token) is refused."""
    session = await get_session(request)
    want = str(session.get("csrf", ""))
    got = str(form.get("csrf", "") or request.headers.get("X-CSRF-Token", ""))
    if not want or not hmac.compare_digest(want.encode(), got.encode()):
        log.info("staff_console_csrf_refused", path=request.path)
        raise web.HTTPForbidden(text=messages(request).csrf_failed)


def _now(request: web.Request) -> dt.datetime:
    return request.app[BOT].services.now()


async def login(request: web.Request, name: str, password: str) -> str | None:
    """Check a login; on success start the session and return None, else say why."""
    bot = request.app[BOT]
    rules = bot.config.console
    msg = rules.messages
    accounts = bot.repos.accounts
    now = _now(request)
    account = await accounts.get(name)
    if account is not None and account.locked(now):
        return msg.login_locked.format(until=_local(request, account.locked_until))
    ok = await asyncio.to_thread(
        accounts.passwords.matches, account.password_hash if account else None, password
    )
    if account is None:
        log.info("staff_login_failed", known=False)
        return msg.login_failed
    if not ok:
        after = await accounts.login_failed(
            account.id, now, rules.lock_after, dt.timedelta(minutes=rules.lock_minutes)
        )
        log.info("staff_login_failed", known=True, locked=bool(after and after.locked(now)))
        if after is not None and after.locked(now):
            return msg.login_locked.format(until=_local(request, after.locked_until))
        return msg.login_failed
    if account.disabled:
        return msg.login_disabled
    await accounts.login_succeeded(account.id)
    session = await get_session(request)
    session.invalidate()  # a fresh session (and CSRF token) at each login
    session = await get_session(request)
    session["login"] = account.id
    session["epoch"] = account.epoch
    session["seen"] = now.timestamp()
    session["csrf"] = secrets.token_urlsafe(32)
    log.info("staff_login", scope=account.scope)
    return None


def _local(request: web.Request, at: dt.datetime | None) -> str:
    if at is None:
        return ""
    bot = request.app[BOT]
    if at.tzinfo is None:  # the store may hand back naive UTC
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(bot.config.zone()).strftime("%H:%M")


async def logout(request: web.Request) -> None:
    session = await get_session(request)
    session.invalidate()


def _to_login() -> web.HTTPException:
    """To the login page; an htmx request is told to load it as a whole page."""
    return web.HTTPSeeOther("/staff/login")


@web.middleware
async def require_login(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every console page but the login page needs a live session of an enabled account."""
    if request.path.startswith(PUBLIC):
        return await handler(request)
    try:
        return await _logged_in(request, handler)
    except web.HTTPSeeOther as e:
        if request.headers.get("HX-Request") == "true" and e.location == "/staff/login":
            return web.Response(headers={"HX-Redirect": "/staff/login"})
        raise


async def _logged_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    session = await get_session(request)
    login_name = session.get("login")
    if not login_name:
        raise _to_login()
    bot = request.app[BOT]
    now = _now(request)
    idle = dt.timedelta(minutes=bot.config.console.idle_minutes)
    seen = dt.datetime.fromtimestamp(float(session.get("seen", 0)), dt.UTC)
    account = await bot.repos.accounts.get(str(login_name))
    if now - seen > idle:
        session.invalidate()
        await flash(request, "error", messages(request).session_expired)
        raise _to_login()
    if account is None or account.disabled or account.epoch != session.get("epoch"):
        session.invalidate()
        raise _to_login()
    session["seen"] = now.timestamp()
    request[ACCOUNT] = account
    if account.must_change and not request.path.startswith(OWN_PASSWORD):
        await flash(request, "warn", messages(request).password_must_change)
        raise web.HTTPSeeOther("/staff/password")
    return await handler(request)


async def keep_session(request: web.Request, account: AccountDoc) -> None:
    """The session goes on after its own password change (which ended every other)."""
    session = await get_session(request)
    session["epoch"] = account.epoch


def is_city(account: AccountDoc) -> bool:
    return account.scope == CITY


def may_use(account: AccountDoc, nursery_id: str) -> bool:
    return account.scope in (CITY, nursery_id)
