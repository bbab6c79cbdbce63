"""`python -m bot staff ...`: the staff operations from a terminal, on the bot's database.

Uses MONGODB_URI (and LINE_CHANNEL_ACCESS_TOKEN for the cleared notice) like
the server. Results are printed as JSON; a refused request prints `error: ...`
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

from bot.staff.cli_accounts import account, register_accounts
from flows.domain.errors import StaffError
from storage.tokens import CITY

Command = Callable[[Any, argparse.Namespace], Awaitable[Any]]


async def _token(bot: Any, a: argparse.Namespace) -> str:
    scope = a.scope
    if scope != CITY:
        scope = bot.staff.nursery(scope).id
    token = await bot.repos.tokens.create(scope, bot.services.now())
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
        raise StaffError(f"{len(found)} tokens have an id starting {a.id}: give exactly one")
    await bot.repos.tokens.delete(found[0].id)
    return {"revoked": found[0].short(), "scope": found[0].scope}


COMMANDS: dict[str, Command] = {
    "token": _token,
    "tokens": _tokens,
    "revoke": _revoke,
    "account": account,
    "slots": lambda bot, a: bot.staff.interview_slots(a.nursery),
    "add-slot": lambda bot, a: bot.staff.add_interview_slot(a.nursery, a.at, a.capacity),
    "remove-slot": lambda bot, a: bot.staff.remove_interview_slot(a.nursery, a.at),
    "waiting": lambda bot, a: bot.staff.waiting_interviews(a.nursery),
    "complete": lambda bot, a: bot.staff.complete_interview(a.nursery, a.child, a.birth_date),
    "registrations": lambda bot, a: bot.staff.registrations(a.nursery),
    "duplicates": lambda bot, a: bot.staff.duplicates(a.nursery),
    # childcare seats and bookings
    "seats": lambda bot, a: bot.staff.day_seats(a.nursery, a.date),
    "set-seats": lambda bot, a: bot.staff.set_capacity(a.nursery, a.date, a.seats, a.hours),
    "phone-booking": lambda bot, a: bot.staff.phone_booking(
        a.nursery, a.date, a.start, a.end, a.child
    ),
    "cancel-booking": lambda bot, a: bot.staff.cancel_booking(a.nursery, a.child, a.date),
    "roster": lambda bot, a: bot.staff.roster(a.nursery, a.date),
    "export": lambda bot, a: bot.staff.bookings_csv(a.nursery, a.first, a.last or a.first),
}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("staff", help="staff operations: interview slots, clearance, tokens")
    ops = p.add_subparsers(dest="op", required=True)
    t = ops.add_parser("token", help="create an admin API token for a nursery (id or name) or city")
    t.add_argument("scope")
    ops.add_parser("tokens", help="list admin API tokens (hash prefix and scope)")
    t = ops.add_parser("revoke", help="delete the admin API token whose id starts with ID")
    t.add_argument("id")
    for name, text in (
        ("slots", "interview slots from now on"),
        ("waiting", "registrations waiting for an interview"),
        ("registrations", "every registration"),
        ("duplicates", "children registered by more than one LINE account"),
    ):
        ops.add_parser(name, help=text).add_argument("nursery")
    t = ops.add_parser("add-slot", help="open an interview slot, e.g. 2024-04-23T10:00")
    t.add_argument("nursery")
    t.add_argument("at")
    t.add_argument("--capacity", type=int, default=None, help="default: the nursery's config")
    t = ops.add_parser("remove-slot", help="delete an interview slot nobody holds")
    t.add_argument("nursery")
    t.add_argument("at")
    t = ops.add_parser("complete", help="interview done: clear the child and tell the parent")
    t.add_argument("nursery")
    t.add_argument("child", help="the child's name (or registration id)")
    t.add_argument("--birth-date", default=None, help="YYYY-MM-DD, when names are shared")
    _booking_parsers(ops)
    register_accounts(ops)
    p.set_defaults(func=main)


def _booking_parsers(ops: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Childcare seats and bookings; DATE is YYYY-MM-DD, hours are whole hours like 9."""
    for name, text in (
        ("seats", "a day's seats, bookings and free seats per hour"),
        ("roster", "who comes on a day, with the answers to the booking questions"),
    ):
        t = ops.add_parser(name, help=text)
        t.add_argument("nursery")
        t.add_argument("date")
    t = ops.add_parser("set-seats", help="seats per hour on a day (0 closes; opens a closed day)")
    t.add_argument("nursery")
    t.add_argument("date")
    t.add_argument("seats", type=int)
    t.add_argument("--hours", type=int, nargs="+", default=None, help="default: all hours")
    t = ops.add_parser("phone-booking", help="a booking taken by phone, e.g. 2024-04-23 9 12")
    t.add_argument("nursery")
    t.add_argument("date")
    t.add_argument("start")
    t.add_argument("end")
    t.add_argument("--child", default="", help="the child's name")
    t = ops.add_parser("cancel-booking", help="cancel a child's booking; the parent is told")
    t.add_argument("nursery")
    t.add_argument("child", help="the child's name (or booking id)")
    t.add_argument("date")
    t = ops.add_parser("export", help="held bookings from FIRST to LAST (inclusive) as CSV")
    t.add_argument("nursery")
    t.add_argument("first")
    t.add_argument("last", nargs="?", default=None)


def main(args: argparse.Namespace) -> int:
    from bot.app import build
    from bot.context import Settings
    from bot.logs import configure

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
    await bot.repos.ensure_indexes()
    await bot.line.start()
    try:
        return await run(bot, args)
    finally:
        await bot.line.close()


async def run(bot: Any, args: argparse.Namespace) -> int:
    """Do one staff command on `bot`; print the result. 0 done, 1 refused."""
    try:
        result = await COMMANDS[args.op](bot, args)
    except StaffError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if isinstance(result, str):
        print(result)
    else:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0
