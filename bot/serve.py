"""Composition root of the server: the product app plus what a deployment switches on.

`bot.app` builds the product (webhook, health check, staff surfaces) and never
imports the QA side; this module adds the QA side's routes when a setting asks
for them (the test clock for replays against a server), and is the entry point
of `python -m bot serve` and of the Procfile's gunicorn workers.
"""

from __future__ import annotations

import os

from aiohttp import web

from bot.app import build, create_app
from bot.context import Bot, Settings


def switch_on_from_env() -> None:
    """What the environment asks for before the app is built: the benchmark's count of
    database commands (`BENCH_COMMAND_COUNTS`, bot/qa/commands.py)."""
    path = os.environ.get("BENCH_COMMAND_COUNTS")
    if path:
        from bot.qa.commands import install

        install(path)


def make_app(bot: Bot) -> web.Application:
    app = create_app(bot)
    if bot.settings.test_clock:  # replays against this server (`python -m bot replay --target`)
        from bot.qa.mount import mount_test_routes

        mount_test_routes(app, bot)
    return app


async def gunicorn_app() -> web.Application:
    """Entry point of `gunicorn bot.serve:gunicorn_app` (aiohttp.GunicornWebWorker)."""
    from bot.logs import configure

    configure(os.environ.get("LOG_LEVEL", "INFO"))
    switch_on_from_env()
    return make_app(build(Settings.from_env()))
