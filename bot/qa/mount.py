"""Routes the QA side adds to a server started for replays (`BOT_TEST_CLOCK=1`)."""

from __future__ import annotations

from aiohttp import web

from bot.context import Bot
from bot.qa.clock_api import add_clock_route


def mount_test_routes(app: web.Application, bot: Bot) -> None:
    add_clock_route(app, bot)
