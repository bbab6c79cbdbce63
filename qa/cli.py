"""The QA wing's commands: `chat`, `replay`, `diagram` and `bench` (bot/cli.py adds them)."""

from __future__ import annotations

import argparse
import asyncio
import os

from bot.logs import configure
from qa import diagram
from qa.bench import bench
from qa.chat import run_console
from qa.replay import cli as replay_cli
from qa.replay.script import LANGUAGES


def _chat(args: argparse.Namespace) -> int:
    # The conversation is on stdout; only warnings and errors are logged, on stderr.
    configure(os.environ.get("LOG_LEVEL", "WARNING"))
    return asyncio.run(run_console(args.user, args.record, language=args.language))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("chat", help="talk to the bot in this terminal as one LINE user")
    p.add_argument("--user", default="console-user", help="the LINE user to act as")
    p.add_argument("--record", metavar="FILE", help="save the conversation as a replay script")
    p.add_argument(
        "--language",
        choices=LANGUAGES,
        default="ja",
        help="the user's LINE language, recorded as the script's `language:` (default ja)",
    )
    p.set_defaults(func=_chat)
    replay_cli.register(sub)
    diagram.register(sub)
    bench.register(sub)
