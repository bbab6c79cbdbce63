"""`python -m bot COMMAND`: serve, chat, replay, staff, diagram."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from flows.config import ConfigError


def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from bot.app import Settings, build, create_app
    from bot.logs import configure

    configure(os.environ.get("LOG_LEVEL", "INFO"))
    settings = Settings.from_env()
    if not settings.channel_secret:
        print(
            "LINE_CHANNEL_SECRET is not set: /callback refuses every request. "
            "Try the flows with `python -m bot chat`.",
            file=sys.stderr,
        )
    bot = build(settings)
    port = int(args.port or os.environ.get("PORT", "8080"))
    web.run_app(create_app(bot), host=args.host, port=port, access_log=None, print=None)
    return 0


def _chat(args: argparse.Namespace) -> int:
    from bot.console import run_console
    from bot.logs import configure

    # The conversation is on stdout; only warnings and errors are logged, on stderr.
    configure(os.environ.get("LOG_LEVEL", "WARNING"))

    return asyncio.run(run_console(args.user, args.record))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the webhook server")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=None, help="default: $PORT or 8080")
    p.set_defaults(func=_serve)

    p = sub.add_parser("chat", help="talk to the bot in this terminal as one LINE user")
    p.add_argument("--user", default="console-user", help="the LINE user to act as")
    p.add_argument("--record", metavar="FILE", help="save the conversation as a replay script")
    p.set_defaults(func=_chat)

    for register in _extensions():
        register(sub)

    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as e:
        print(f"configuration error: {e}", file=sys.stderr)
        return 2


def _extensions() -> list:  # type: ignore[type-arg]
    """Sub-commands that live in their own modules (replay, staff, diagram, bench)."""
    out = []
    for name in ("bot.replay.cli", "bot.staff_cli", "bot.diagram", "bot.bench"):
        try:
            module = __import__(name, fromlist=["register"])
        except ModuleNotFoundError as e:
            if e.name and name.startswith(e.name):
                continue
            raise
        out.append(module.register)
    return out
