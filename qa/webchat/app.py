"""Mounting the browser chat on the app: by `bot/serve.py` when no LINE channel is
configured, or with `BOT_WEBCHAT=1`."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bot.context import Bot, Settings
from qa.webchat.demo import seed
from qa.webchat.room import Room
from qa.webchat.routes import add_routes

WEBCHAT = web.AppKey("webchat", Room)


class WebChat:
    """Made before the bot (its `settings` point the LINE client at the chat), mounted after."""

    def __init__(self, settings: Settings) -> None:
        self.room = Room(settings)
        self.settings = self.room.settings

    def mount(self, app: web.Application, bot: Bot) -> None:
        self.room.bot = bot
        app[WEBCHAT] = self.room
        add_routes(app, self.room)
        app.cleanup_ctx.append(self._lifecycle)  # after the bot's own start-up
        app.on_shutdown.append(self._end_streams)  # before the server waits for open requests

    async def _lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        room = self.room
        bot = room.bot
        assert bot is not None
        room.sink.install(room.menus)
        await room.sink.start()
        if bot.settings.demo and bot.store.kind == "memory":
            room.demo = await seed(bot)
        yield
        await room.sink.stop()

    async def _end_streams(self, app: web.Application) -> None:
        for q in list(self.room.streams):
            q.put_nowait(None)
