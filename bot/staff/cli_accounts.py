"""`python -m bot staff account ...`: staff console accounts (add, list, disable, enable,
unlock, password). Passwords are asked for without echo (or read from stdin with
`--password-stdin`) and only their argon2 hash is stored."""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
from typing import Any

from bot.staff.operation import Actor
from domain import lookup
from domain.errors import StaffError
from storage.staff_accounts import LOGIN, MIN_PASSWORD
from storage.tokens import CITY


def _password(a: argparse.Namespace, words: Any) -> str:
    """The new password, typed twice (or one line on stdin); refused in the console's words."""
    if a.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise StaffError(words.password_mismatch)
    if len(password) < MIN_PASSWORD:
        raise StaffError(words.password_short.format(length=MIN_PASSWORD))
    return password


def cli_actor() -> Actor:
    """The person at the terminal: city scope (they hold the database's credentials)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor("cli", name, CITY)


async def record(
    bot: Any, operation: str, params: dict[str, Any], nursery: str | None = None, **after: Any
) -> None:
    """A change made from the terminal in the operation log, as the console logs its own
    (`nursery`: the one it concerns, for the log's filter)."""
    actor = cli_actor()
    await bot.operations.record(actor, operation, params, nursery=nursery, after=after or None)


def _view(doc: Any, locked: set[str]) -> dict[str, Any]:
    return {
        "login": doc.id,
        "scope": doc.scope,
        "name": doc.name,
        "disabled": doc.disabled,
        "locked": doc.id in locked,
        "created_at": doc.created_at.isoformat(timespec="minutes"),
    }


async def account(bot: Any, a: argparse.Namespace) -> Any:
    accounts = bot.repos.accounts
    now = bot.services.now()
    rules = bot.config.console
    locks = await bot.repos.login_attempts.locks(rules.lock_after, rules.address_limit, now)
    locked = {d.login for d in locks if d.login}
    words = rules.messages
    if a.action == "list":
        return [_view(d, locked) for d in await accounts.all()]
    login = a.login.strip().lower()  # as the console's login reads it
    if a.action == "add":  # the console's rules for a login ID, so the account can log in
        if not LOGIN.fullmatch(login):
            raise StaffError(words.login_rules)
        scope = a.scope if a.scope == CITY else lookup.nursery(bot.services, a.scope).id
        doc = await accounts.add(login, scope, a.name or login, _password(a, words), now)
        if doc is None:
            raise StaffError(words.login_taken.format(login=login))
        names = {n.id: n.name for n in bot.config.nurseries}
        await record(
            bot, "add-account", {"login": login}, name=doc.name, scope=names.get(scope, scope)
        )
        return _view(doc, locked)
    if a.action == "password":
        doc = await accounts.set_password(login, _password(a, words))
    elif a.action == "unlock":
        await bot.repos.login_attempts.lift(login=login)
        doc = await accounts.get(login)
        locked.discard(login)
    else:
        doc = await accounts.set_disabled(login, a.action == "disable")
    if doc is None:
        raise StaffError(words.account_unknown.format(login=login))
    operation = {"password": "reset-password", "unlock": "unlock-account"}.get(
        a.action, f"{a.action}-account"
    )
    await record(bot, operation, {"login": doc.id})
    if a.action == "password":  # a new password lifts locks (its epoch ends sessions)
        await bot.repos.login_attempts.lift(login=login)
        locked.discard(login)
    return _view(doc, locked)


def register_accounts(ops: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = ops.add_parser("account", help="staff console accounts: add, list, disable, ...")
    acts = p.add_subparsers(dest="action", required=True)
    t = acts.add_parser("add", help="a new account for a nursery (id or name) or city")
    t.add_argument("login")
    t.add_argument("scope", help="a nursery's id or name, or `city`")
    t.add_argument("--name", default="", help="the person's name as the console shows it")
    t.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    acts.add_parser("list", help="every account (never the password)")
    for name, text in (
        ("disable", "the account can no longer log in; its open sessions end"),
        ("enable", "the account can log in again"),
        ("unlock", "lift a lock after too many wrong passwords"),
    ):
        acts.add_parser(name, help=text).add_argument("login")
    t = acts.add_parser("password", help="set a new password (open sessions end)")
    t.add_argument("login")
    t.add_argument("--password-stdin", action="store_true", help="read the password from stdin")


async def embedded_first_account(bot: Any) -> str | None:
    """On the embedded in-memory store, with no account yet: a city account `city` with a
    new password, returned to be shown once (its data is gone at exit anyway)."""
    if bot.store.kind != "memory" or await bot.repos.accounts.all():
        return None
    password = secrets.token_urlsafe(12)
    await bot.repos.accounts.add(CITY, CITY, "区 管理者", password, bot.services.now())
    return password
