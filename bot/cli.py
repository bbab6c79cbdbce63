"""`python -m bot COMMAND`: serve, chat, replay, staff, diagram, richmenu, preflight,
bench.

A composition root (with bot/serve.py): it assembles the product's commands and the QA
wing's (qa/cli.py).
"""

from __future__ import annotations

import argparse
import os
import sys

from aiohttp import web

from bot.context import BOT, Settings
from bot.line.richmenu import register as register_richmenu
from bot.logs import configure
from bot.preflight import register as register_preflight
from bot.serve import freeze_startup_heap, serve_app, switch_on_from_env, webchat_wanted
from bot.staff.cli import register as register_staff
from bot.staff.cli_accounts import embedded_first_account
from domain.config import ConfigError
from qa.cli import register as register_qa


def _serve(args: argparse.Namespace) -> int:
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
    first: list[str] = []  # the embedded store's first staff password, once made

    async def first_account(app: web.Application) -> None:
        password = await embedded_first_account(bot)
        if password:
            first.append(password)

    def banner(_: str) -> None:
        """Once the server listens: what a newcomer opens, as the last lines on the screen."""
        lines = ["", "=" * 72]
        if webchat_wanted(settings):
            demo = settings.demo and not settings.mongodb_uri
            lines.append(f"  Chat with the bot (a LINE stand-in):  http://localhost:{port}/")
            lines.append(
                "  demo data " + ("on (--no-demo or BOT_DEMO=0 for none)" if demo else "off")
            )
        lines.append(f"  Staff console:  http://localhost:{port}/staff/")
        if first:
            lines.append(f"  login `city`, password {first[0]}  (this run's embedded store only)")
        lines += ["=" * 72, ""]
        print("\n".join(lines), file=sys.stderr, flush=True)

    app.on_startup.append(first_account)
    app.on_startup.append(freeze_startup_heap)
    web.run_app(app, host=args.host, port=port, access_log=None, print=banner)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the webhook server")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=None, help="default: $PORT or 8080")
    p.add_argument("--no-demo", action="store_true", help="no demo data in the browser chat")
    p.set_defaults(func=_serve)

    register_qa(sub)
    register_staff(sub)
    register_richmenu(sub)
    register_preflight(sub)

    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as e:
        print(f"configuration error: {e}", file=sys.stderr)
        return 2
