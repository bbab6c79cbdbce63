"""`python -m bot chat`: the real flows in a terminal, as one LINE user.

Replies are printed; the buttons of the bot's latest answer are numbered and a
number taps one (as on a phone, older buttons are no longer offered: a number
with no such button on screen is sent as text). Each step echoes what went to
the bot. `/staff ...` runs the staff CLI's commands on the console's own
store (open interview slots and seats, clear a child), `/help` lists the
commands. It runs on the store the environment configures (in memory without
MONGODB_URI).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import shlex
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.context import Settings
from bot.staff import cli as staff_cli
from qa.harness import Harness
from qa.replay.record import Recorder
from qa.screen import ScreenButton, buttons, describe
from storage.mongo import connect

Reader = Callable[[str], Awaitable[str | None]]

HELP = """commands:
  a number           tap that button of the bot's latest answer
  any other text     sent to the bot as typed
  /staff COMMAND     a staff operation on this console's store, e.g.
                       /staff add-slot futaba {slot}      open an interview slot
                       /staff set-seats futaba {day} 3          seats per hour that day
                       /staff complete futaba "目黒 太郎"            interview done: clear the child
                     (/staff -h lists them all, /staff add-slot -h explains one)
  /help              this list
  Ctrl-D             end (with --record, staff commands are not recorded)"""


def help_text(today: dt.date) -> str:
    """The commands, their examples dated a few days ahead (a past date is refused)."""
    ahead = today + dt.timedelta(days=3)
    return HELP.format(slot=f"{ahead.isoformat()}T10:00", day=ahead.isoformat())


async def _input(prompt: str) -> str | None:
    try:
        return await asyncio.to_thread(input, prompt)
    except EOFError:
        return None


async def run_console(
    user: str, record: str | None = None, read: Reader | None = None, language: str = "ja"
) -> int:
    """Chat as `user`, whose LINE is set to `language` (as a replay script's `language:`)."""
    read = read or _input
    settings = Settings.from_env()
    recorder = None
    if record:
        recorder = Recorder()
        recorder.language = language
    async with Harness(store=connect(settings.mongodb_uri)) as h:
        assert h.bot is not None
        h.line.languages[user] = language
        print(
            f"(chatting on the {h.bot.store.kind} store as {user}; type a number to tap a "
            "button, /help for commands; Ctrl-D ends)"
        )
        sent = await h.send(user, h.follow(user))
        if recorder:
            recorder.step({"follow": None}, sent)
        on_screen = _show(sent)
        while True:
            line = await read("> ")
            if line is None:
                break
            line = line.strip()
            if not line:
                continue
            if line.startswith("/"):
                await _command(h, user, line)
                pushed = h.line.take(user)  # e.g. the parent told the child is cleared
                if pushed:
                    on_screen = _show(pushed)
                continue
            step: dict[str, object]
            if line.isdigit() and 1 <= int(line) <= len(on_screen):
                b = on_screen[int(line) - 1]
                event, step = await _tap(h, user, b, read)
                if event is None:
                    continue
                print(f"→ button {line} [{b.label}]: {_sent(event)}")
            else:
                event, step = h.text(user, line), {"say": line}
                print(f"→ {_sent(event)}")
            sent = await h.send(user, event)
            if recorder:
                recorder.step(step, sent)
            if sent:  # no answer leaves the screen as it was
                on_screen = _show(sent)
    if recorder and record:
        recorder.save(record)
        print(f"saved {record}", file=sys.stderr)
    return 0


async def _tap(h: Harness, user: str, b: ScreenButton, read: Reader | None = None):  # type: ignore[no-untyped-def]
    a = b.action
    tap = {"tap": {"label": b.label, "in": b.context}}  # the recorder tells apart equal labels
    if a.get("type") == "message":
        return h.text(user, a["text"]), tap
    if a.get("type") == "postback":
        return h.postback(user, a["data"]), tap
    if a.get("type") == "datetimepicker":
        date = await (read or _input)("date (YYYY-MM-DD): ")
        if not date:
            return None, {}
        return h.postback(user, a["data"], date.strip()), {"pick_date": date.strip()}
    print(a.get("uri", ""))
    return None, {}


def _sent(event: dict[str, Any]) -> str:
    """What goes to the bot, as it goes: typed (or tapped) text, or a button's data."""
    if event["type"] == "postback":
        pb = event["postback"]
        date = (pb.get("params") or {}).get("date")
        return f"postback {pb['data']}" + (f" date {date}" if date else "")
    return f"text 「{event['message']['text']}」"


def _show(sent) -> list[ScreenButton]:  # type: ignore[no-untyped-def]
    """Print what came; the buttons now on screen (numbered)."""
    shown: list[ScreenButton] = []
    for s in sent:
        for line in describe(s.messages):
            if line.startswith("[") and line.endswith("]"):
                continue
            print(("[push] " if s.via == "push" else "") + line)
        shown.extend(buttons(s.messages))
    for i, b in enumerate(shown, 1):
        print(f"  {i}. {b.label}")
    return shown


def _staff_parser() -> argparse.ArgumentParser:
    """The staff CLI's own command line (`python -m bot staff ...`), under `/`."""
    parser = argparse.ArgumentParser(prog="/", add_help=False)
    staff_cli.register(parser.add_subparsers(dest="command", required=True))
    return parser


async def _command(h: Harness, user: str, line: str) -> None:
    try:
        words = shlex.split(line[1:])
    except ValueError as e:
        print(f"error: {e}")
        return
    if not words or words[0] != "staff":
        assert h.bot is not None  # the chat runs on a started harness
        print(help_text(h.bot.services.today()))
        return
    try:
        args = _staff_parser().parse_args(words)
    except SystemExit:  # argparse printed the usage or the mistake
        return
    try:
        await staff_cli.run(h.bot, args)
    except Exception as e:  # a console keeps going whatever a command does
        print(f"error: {type(e).__name__}: {e}")
    await h.settle()
