"""`python -m bot staff ...`: the staff operations from a terminal, on the bot's database.

Uses MONGODB_URI (and LINE_CHANNEL_ACCESS_TOKEN for the cleared notice) like
the server. Each declared staff operation (bot/staff/operations.py) is a
sub-command; changes are written to the operation log as done by the OS user.
Results are printed as JSON; a refused request prints `error: ...`
on stderr and exits with 1. `staff token SCOPE` prints a new admin API token
once; only its hash is stored.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from bot.app import build
from bot.context import Settings
from bot.logs import configure
from bot.staff.cli_accounts import account, cli_actor, record, register_accounts
from bot.staff.csv_export import bookings_csv, csv_bytes
from bot.staff.operation import Operation, jsonable, plain_types
from bot.staff.operations import OPERATIONS
from domain import lookup
from domain.errors import Invalid, StaffError
from storage.mongo import StoreUnavailable
from storage.tokens import CITY

log = structlog.get_logger(__name__)

Command = Callable[[Any, argparse.Namespace], Awaitable[Any]]


async def _token(bot: Any, a: argparse.Namespace) -> str:
    scope = a.scope
    if scope != CITY:
        scope = lookup.nursery(bot.services, scope).id
    token: str = await bot.repos.tokens.create(scope, bot.services.now())
    await record(bot, "add-token", {"scope": scope}, None if scope == CITY else scope)
    print(f"a new admin API token for {scope} (shown once, keep it safe):", file=sys.stderr)
    return token


async def _tokens(bot: Any, a: argparse.Namespace) -> list[dict[str, str]]:
    docs = await bot.repos.tokens.all()
    return [
        {"id": d.short(), "scope": d.scope, "created_at": d.created_at.isoformat()} for d in docs
    ]


async def _revoke(bot: Any, a: argparse.Namespace) -> dict[str, str]:
    found = await bot.repos.tokens.matching(a.id)
    if len(found) != 1:
        raise Invalid(f"{len(found)} tokens have an id starting {a.id}: give exactly one")
    await bot.repos.tokens.delete(found[0].id)
    scope = found[0].scope
    params = {"scope": scope, "id": found[0].short()}
    await record(bot, "revoke-token", params, None if scope == CITY else scope)
    return {"revoked": found[0].short(), "scope": found[0].scope}


# commands about API tokens, not about a nursery's data (so not staff operations)
TOKEN_COMMANDS: dict[str, Command] = {"token": _token, "tokens": _tokens, "revoke": _revoke}
TOKEN_COMMANDS["account"] = account  # staff console accounts (bot/staff/cli_accounts.py)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("staff", help="staff operations: interview slots, clearance, seats, tokens")
    ops = p.add_subparsers(dest="op", required=True)
    t = ops.add_parser("token", help="create an admin API token for a nursery (id or name) or city")
    t.add_argument("scope")
    ops.add_parser("tokens", help="list admin API tokens (hash prefix and scope)")
    t = ops.add_parser("revoke", help="delete the admin API token whose id starts with ID")
    t.add_argument("id")
    for op in OPERATIONS.values():
        _operation_parser(ops, op)
    register_accounts(ops)
    p.set_defaults(func=main)


def _operation_parser(ops: argparse._SubParsersAction, op: Operation) -> None:  # type: ignore[type-arg]
    """The sub-command of a declared operation: positionals in order, other fields as options."""
    t = ops.add_parser(op.name, help=op.help)
    fields = op.params.model_fields
    positional = [name.rstrip("?") for name in op.positionals]
    for name in op.positionals:
        field = fields[name.rstrip("?")]
        kw = _argument(field.annotation)
        if name.endswith("?"):
            kw.update(nargs="?", default=None)
        t.add_argument(name.rstrip("?"), help=field.description, **kw)
    for name, field in fields.items():
        if name not in positional:
            flag = "--" + name.replace("_", "-")
            t.add_argument(flag, dest=name, help=field.description, **_argument(field.annotation))
    t.set_defaults(operation=op.name)


def _argument(annotation: Any) -> dict[str, Any]:
    """argparse settings for a parameter's type: whole numbers as int, lists as several."""
    kw: dict[str, Any] = {}
    kinds = plain_types(annotation)
    if bool in kinds:
        return {"action": "store_true", "default": None}
    if list in kinds:
        kw["nargs"] = "+"
    if int in kinds:
        kw["type"] = _whole
    return kw


def _whole(value: str) -> int:
    """A whole number; hours may be written 9:00."""
    text = value.strip().removesuffix(":00")
    if not text.lstrip("-").isdigit():
        raise argparse.ArgumentTypeError(f"{value} is not a whole number")
    return int(text)


def main(args: argparse.Namespace) -> int:
    configure(os.environ.get("LOG_LEVEL", "WARNING"))
    bot = build(Settings.from_env())
    if bot.store.kind == "memory":
        print(
            "warning: MONGODB_URI is not set, so this command works on an empty in-memory "
            "store of its own that is gone when it ends; to act on a running bot without "
            "MongoDB, use its admin API (/admin/api/).",
            file=sys.stderr,
        )
    return asyncio.run(_with_bot(bot, args))


async def _with_bot(bot: Any, args: argparse.Namespace) -> int:
    """Run the command; a database that cannot be reached is said in one line (exit 1), as
    a refusal is (a change cut off midway may be partly made: look before doing it again)."""
    try:
        await bot.repos.ensure_indexes()
        await bot.line.start()
        try:
            return await run(bot, args)
        finally:
            await bot.line.close()
    except StoreUnavailable as e:
        log.error("store_unavailable", during="staff_command", error=type(e).__name__)
        print(f"error: {bot.config.staff.messages.store_unavailable}", file=sys.stderr)
        return 1


async def run(bot: Any, args: argparse.Namespace) -> int:
    """Do one staff command on `bot`; print the result. 0 done, 1 refused."""
    try:
        if args.op in TOKEN_COMMANDS:
            result = await TOKEN_COMMANDS[args.op](bot, args)
        else:
            op = OPERATIONS[args.operation]
            raw = {k: v for k in op.params.model_fields if (v := getattr(args, k)) is not None}
            result = await bot.operations.run(op, raw, cli_actor())
            if op.output == "csv":  # the same file the admin API sends: UTF-8 with a BOM
                result = csv_bytes(bookings_csv(result))
    except StaffError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if isinstance(result, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(result)
        sys.stdout.buffer.flush()
    elif isinstance(result, str):
        print(result)
    else:
        print(json.dumps(jsonable(result), ensure_ascii=False, indent=2))
    return 0
