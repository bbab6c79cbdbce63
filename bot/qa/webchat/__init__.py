"""The browser chat: a LINE-like phone page at `/` that stands in for LINE (the QA wing).

Mounted by `bot/serve.py` when no LINE channel is configured, or with
`BOT_WEBCHAT=1`. See `room.py` for the path a visitor's step takes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bot.context import Bot, Settings
from bot.qa.webchat.room import Room

WEBCHAT = web.AppKey("webchat", Room)


class WebChat:
    """Made before the bot (its `settings` point the LINE client at the chat), mounted after."""

    def __init__(self, settings: Settings) -> None:
        self.room = Room(settings)
        self.settings = self.room.settings

    def mount(self, app: web.Application, bot: Bot) -> None:
        from bot.qa.webchat.routes import add_routes

        self.room.bot = bot
        app[WEBCHAT] = self.room
        add_routes(app, self.room)
        app.cleanup_ctx.append(self._lifecycle)  # after the bot's own start-up
        app.on_shutdown.append(self._end_streams)  # before the server waits for open requests

    async def _lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        room = self.room
        bot = room.bot
        assert bot is not None
        await room.sink.start()
        if bot.settings.demo and bot.store.kind == "memory":
            from bot.qa.webchat.demo import seed

            room.demo = await seed(bot)
        yield
        await room.sink.stop()

    async def _end_streams(self, app: web.Application) -> None:
        for q in list(self.room.streams):
            q.put_nowait(None)
