"""Composition root of the server: the product app plus what a deployment switches on.

`bot.app` builds the product (webhook, health check, staff surfaces) and never
imports the QA side; this module adds the QA side's routes when a setting asks
for them (the test clock for replays against a server; the browser chat at `/`
when no LINE channel is configured, or with `BOT_WEBCHAT=1`), and is the entry
point of `python -m bot serve` and of the Procfile's gunicorn workers.
"""

from __future__ import annotations

import os

from aiohttp import web

from bot.app import build, create_app
from bot.context import Bot, Settings


def make_app(bot: Bot) -> web.Application:
    app = create_app(bot)
    if bot.settings.test_clock:  # replays against this server (`python -m bot replay --target`)
        from bot.qa.mount import mount_test_routes

        mount_test_routes(app, bot)
    return app


def webchat_wanted(settings: Settings) -> bool:
    """The browser chat is on without a LINE channel, or when explicitly asked for."""
    return settings.webchat or not settings.channel_secret


def serve_app(settings: Settings) -> web.Application:
    """The app `serve` and gunicorn run: with the browser chat when `webchat_wanted`.

    The chat stands in for LINE: the bot's LINE client is pointed at the chat's
    stand-in of LINE's API (users of the chat only; others still reach LINE).
    """
    if not webchat_wanted(settings):
        return make_app(build(settings))
    from bot.qa.webchat import WebChat

    chat = WebChat(settings)
    bot = build(chat.settings)
    app = make_app(bot)
    chat.mount(app, bot)
    return app


async def gunicorn_app() -> web.Application:
    """Entry point of `gunicorn bot.serve:gunicorn_app` (aiohttp.GunicornWebWorker)."""
    from bot.logs import configure

    configure(os.environ.get("LOG_LEVEL", "INFO"))
    return serve_app(Settings.from_env())
