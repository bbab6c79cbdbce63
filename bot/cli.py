"""`python -m bot COMMAND`: serve, chat, replay, staff, diagram, richmenu."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
from pathlib import Path

from domain.config import ConfigError


def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from bot.context import BOT, Settings
    from bot.logs import configure
    from bot.serve import freeze_startup_heap, serve_app, switch_on_from_env, webchat_wanted
    from bot.staff.cli_accounts import embedded_first_account

    configure(os.environ.get("LOG_LEVEL", "INFO"))
    settings = Settings.from_env()
    if args.no_demo:
        settings.demo = False
    port = int(args.port or os.environ.get("PORT", "8080"))
    if not settings.channel_secret:
        print("LINE_CHANNEL_SECRET is not set: /callback refuses every request.", file=sys.stderr)
    switch_on_from_env()
    app = serve_app(settings)
    bot = app[BOT]
    if webchat_wanted(settings):
        demo = settings.demo and not settings.mongodb_uri
        print(
            f"Open http://localhost:{port}/ in a browser to chat with the bot "
            "(a LINE stand-in; demo data "
            f"{'on, BOT_DEMO=0 or --no-demo switches it off' if demo else 'off'}).",
            file=sys.stderr,
            flush=True,
        )

    async def first_account(app: web.Application) -> None:
        password = await embedded_first_account(bot)
        if password:
            print(
                f"staff console: http://localhost:{port}/staff/ login `city`, password "
                f"{password} (embedded store only; with MongoDB create accounts with "
                "`python -m bot staff account add`)",
                file=sys.stderr,
            )

    app.on_startup.append(first_account)
    app.on_startup.append(freeze_startup_heap)
    web.run_app(app, host=args.host, port=port, access_log=None, print=None)
    return 0


def _chat(args: argparse.Namespace) -> int:
    from bot.logs import configure
    from bot.qa.chat import run_console

    # The conversation is on stdout; only warnings and errors are logged, on stderr.
    configure(os.environ.get("LOG_LEVEL", "WARNING"))

    return asyncio.run(run_console(args.user, args.record))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the webhook server")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=None, help="default: $PORT or 8080")
    p.add_argument("--no-demo", action="store_true", help="no demo data in the browser chat")
    p.set_defaults(func=_serve)

    p = sub.add_parser("chat", help="talk to the bot in this terminal as one LINE user")
    p.add_argument("--user", default="console-user", help="the LINE user to act as")
    p.add_argument("--record", metavar="FILE", help="save the conversation as a replay script")
    p.set_defaults(func=_chat)

    from bot.line.richmenu import register as register_richmenu
    from bot.qa.cli import register as register_qa
    from bot.staff.cli import register as register_staff

    register_qa(sub)
    register_staff(sub)
    register_richmenu(sub)
    _register_bench(sub)

    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as e:
        print(f"configuration error: {e}", file=sys.stderr)
        return 2


def _register_bench(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """`bench` lives in benchmarks/ (a checkout's, not the installed package's)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"
    if not path.exists():
        return
    spec = importlib.util.spec_from_file_location("benchmarks_bench", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.register(sub)
