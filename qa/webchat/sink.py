"""LINE's Messaging API as the browser chat sees it: a stand-in the bot's LINE client sends to.

The bot's real `LineClient` (line-bot-sdk) posts its replies and pushes here over
loopback HTTP, so the page gets the exact JSON the renderer made for LINE. The
socket is bound when the sink is made, before the bot is built, so the client's
base URL is known; the server on it starts with the app. Requests for users who
are not the chat's (a channel is configured and `BOT_WEBCHAT=1`) are passed on
to LINE's real API unchanged.
"""

from __future__ import annotations

import socket
from typing import Any

import aiohttp
from aiohttp import web

from qa.standin import LineStandIn


class Sink:
    def __init__(self, upstream: str | None) -> None:
        self.standin = LineStandIn()
        self.users: set[str] = set()  # the chat's LINE user IDs
        self.upstream = upstream.rstrip("/") if upstream else None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.standin.url = self.url
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/v2/bot/message/reply", self._reply)
        app.router.add_post("/v2/bot/message/push", self._push)
        app.router.add_get("/v2/bot/profile/{user}", self._profile)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, self._sock).start()

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _reply(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if body.get("replyToken") in self.standin.tokens:
            return await self.standin._reply(request)
        return await self._pass_on(request)

    async def _push(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if body.get("to") in self.users:
            return await self.standin._push(request)
        return await self._pass_on(request)

    async def _profile(self, request: web.Request) -> web.StreamResponse:
        """A chat user's LINE profile: their language as the page set it."""
        if request.match_info["user"] in self.users:
            return await self.standin._profile(request)
        return await self._pass_on(request)

    async def _pass_on(self, request: web.Request) -> web.StreamResponse:
        """A request for a real LINE user: sent on to LINE as it came."""
        if self.upstream is None:
            return web.json_response({"message": "Invalid reply token"}, status=400)
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        keep = ("Authorization", "Content-Type", "X-Line-Retry-Key")
        headers = {k: v for k in keep if (v := request.headers.get(k))}
        url = self.upstream + request.rel_url.path
        body = await request.read()
        async with self._session.request(request.method, url, data=body, headers=headers) as r:
            data: Any = await r.read()
            return web.Response(body=data, status=r.status, content_type=r.content_type)
