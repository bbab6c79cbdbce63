"""Who is using the console: server-side sessions, login checks, idle and absolute
expiry, CSRF.

A session is stored in MongoDB (storage/staff_sessions.py); the cookie carries only its
id, encrypted and signed with Fernet: HttpOnly, SameSite=Strict, path /staff/, and
Secure when the request came over https (directly or through a proxy saying so). The
session holds the login name, the account's epoch, when it began and was last used (by
the bot's clock, so tests can move time), the CSRF token, and one flash message for the
next page. Logout deletes it, so a copied cookie opens nothing afterwards. Each request
reloads the account, so a disabled account is out at once.

Logins are limited per account from one address and per address
(storage/login_attempts.py), counted before the password is checked; every refusal
reads and takes the same, whether the login is unknown, the password wrong or the
account locked from that address.
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
from aiohttp_session import AbstractStorage, Session, SessionData, get_session, new_session
from cryptography.fernet import Fernet, InvalidToken

from bot.context import BOT
from bot.staff.console.notices import flash, messages
from storage.login_attempts import account_key, address_key
from storage.staff_accounts import AccountDoc
from storage.tokens import CITY

log = structlog.get_logger(__name__)

COOKIE = "staff_console"
ACCOUNT = web.RequestKey("account", AccountDoc)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC = ("/staff/login", "/staff/static/")
OWN_PASSWORD = ("/staff/password", "/staff/logout")  # open to a one-time password's holder
ANONYMOUS_KEEP = dt.timedelta(hours=1)  # a session before login (its CSRF token only)
HSTS = "max-age=31536000"


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


def over_https(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def client_address(request: web.Request) -> str:
    """Who is asking: the socket's peer, or, behind `TRUSTED_PROXY_HOPS` proxies, the
    address the outermost trusted proxy put in X-Forwarded-For (what a client writes
    there itself comes before it and is not believed)."""
    hops = request.app[BOT].settings.proxy_hops
    if hops:
        forwarded = ",".join(request.headers.getall("X-Forwarded-For", []))
        chain = [a.strip() for a in forwarded.split(",") if a.strip()]
        if len(chain) >= hops:
            return chain[-hops]
    return request.remote or ""


class ConsoleSessions(AbstractStorage):
    """aiohttp-session's storage for the console: the data in MongoDB, the id in the cookie."""

    def __init__(self, key: Fernet) -> None:
        super().__init__(cookie_name=COOKIE, path="/staff/", samesite="Strict", httponly=True)
        self._fernet = key

    async def load_session(self, request: web.Request) -> Session:
        sid = self._session_id(request)
        doc = await request.app[BOT].repos.staff_sessions.get(sid) if sid else None
        if doc is None:
            return Session(None, data=None, new=True, max_age=None)
        created = doc.created if doc.created.tzinfo else doc.created.replace(tzinfo=dt.UTC)
        data = SessionData(created=int(created.timestamp()), session=doc.data)
        return Session(sid, data=data, new=False, max_age=None)

    def _session_id(self, request: web.Request) -> str | None:
        token = self.load_cookie(request)
        if not token:
            return None
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except (InvalidToken, UnicodeError):
            return None

    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        bot = request.app[BOT]
        store = bot.repos.staff_sessions
        if session.empty:
            if session.identity:
                await store.end(str(session.identity))
            response.del_cookie(COOKIE, path="/staff/")
            return
        if session.identity is None:
            session.set_new_identity(secrets.token_urlsafe(32))
        sid = str(session.identity)
        data = dict(session)
        keep = (
            dt.timedelta(hours=bot.config.console.session_hours)
            if data.get("login")
            else ANONYMOUS_KEEP
        )
        await store.save(sid, data, bot.services.now(), keep)
        response.set_cookie(
            COOKIE,
            self._fernet.encrypt(sid.encode()).decode(),
            path="/staff/",
            httponly=True,
            samesite="Strict",
            secure=over_https(request),
        )


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
    """Check a login; on success start a new session and return None, else say why.

    Both limits are counted first; over either, the password is still hashed (against a
    dummy) so that a refusal takes as long whatever its cause, and the answer is the same.
    """
    bot = request.app[BOT]
    rules = bot.config.console
    now = _now(request)
    window = dt.timedelta(minutes=rules.lock_minutes)
    address = client_address(request)
    attempts = bot.repos.login_attempts
    pair, from_address = account_key(name, address), address_key(address)
    tries = await attempts.count(pair, now, window, login=name, address=address)
    address_tries = await attempts.count(from_address, now, window, address=address)
    over = tries > rules.lock_after or address_tries > rules.address_limit
    accounts = bot.repos.accounts
    account = await accounts.get(name)
    stored = account.password_hash if account is not None and not over else None
    ok = await asyncio.to_thread(accounts.passwords.matches, stored, password)
    if not ok:
        log.info(
            "staff_login_failed",
            known=account is not None,
            over_account_limit=tries > rules.lock_after,
            over_address_limit=address_tries > rules.address_limit,
        )
        return rules.messages.login_failed.format(minutes=rules.lock_minutes)
    assert account is not None
    if account.disabled:
        return rules.messages.login_disabled
    await attempts.clear(pair, rules.lock_after)
    await attempts.give_back(from_address, rules.address_limit)
    old = await get_session(request)
    if old.identity:  # a fresh session id (and CSRF token) at each login
        await bot.repos.staff_sessions.end(str(old.identity))
    session = await new_session(request)
    session["login"] = account.id
    session["epoch"] = account.epoch
    session["started"] = session["seen"] = now.timestamp()
    session["csrf"] = secrets.token_urlsafe(32)
    log.info("staff_login", scope=account.scope)
    return None


async def logout(request: web.Request, everywhere: bool = False) -> None:
    """End this session (a new, empty one carries the next page's message);
    `everywhere`: every session of this account too."""
    await _end(request, everywhere)


async def _end(request: web.Request, everywhere: bool = False) -> Session:
    session = await get_session(request)
    store = request.app[BOT].repos.staff_sessions
    if everywhere and session.get("login"):
        await store.end_all(str(session["login"]))
    if session.identity:
        await store.end(str(session.identity))
    session.invalidate()
    return await new_session(request)


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
    rules = bot.config.console
    seen = dt.datetime.fromtimestamp(float(session.get("seen", 0)), dt.UTC)
    started = dt.datetime.fromtimestamp(float(session.get("started", 0)), dt.UTC)
    account = await bot.repos.accounts.get(str(login_name))
    if now - started > dt.timedelta(hours=rules.session_hours):
        await _end(request)
        text = messages(request).session_ended.format(hours=rules.session_hours)
        await flash(request, "error", text)
        raise _to_login()
    if now - seen > dt.timedelta(minutes=rules.idle_minutes):
        await _end(request)
        await flash(request, "error", messages(request).session_expired)
        raise _to_login()
    if account is None or account.disabled or account.epoch != session.get("epoch"):
        await _end(request)
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
