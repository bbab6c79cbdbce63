"""Composition root of the server: the product app plus what a deployment switches on.

`bot.app` builds the product (webhook, health check, staff surfaces) and never
imports the QA side; this module adds the QA side when a setting asks for it
(`BOT_TEST_CLOCK=1`: the shared test clock and the test routes, for replays
against this server), and is the entry point of `python -m bot serve` and of
the Procfile's gunicorn workers.
"""

from __future__ import annotations

import os
from typing import Any

from aiohttp import web

from bot.app import build, create_app
from bot.context import Bot, Settings
from flows.config import load_config
from storage.mongo import connect


def make_bot(settings: Settings, **parts: Any) -> Bot:
    """The bot `bot.app.build` makes; with the test clock on, its clock is the QA side's
    shared test clock, kept in the bot's database so every worker shows one time."""
    if settings.test_clock and parts.get("clock") is None:
        from bot.qa.shared_clock import SharedClock

        config = parts.get("config") or load_config(settings.config_path)
        store = parts.get("store") or connect(settings.mongodb_uri)
        parts.update(config=config, store=store, clock=SharedClock(store.db, config.zone()))
    return build(settings, **parts)


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
    return make_app(make_bot(Settings.from_env()))
