"""LINE's Messaging API as the browser chat sees it: a stand-in the bot's LINE client sends to.

The bot's real `LineClient` (line-bot-sdk) posts its replies and pushes here over
loopback HTTP, so the page gets the exact JSON the renderer made for LINE. The
socket is bound when the sink is made, before the bot is built, so the client's
base URL is known; the server on it starts with the app. Requests for users who
are not the chat's (a channel is configured and `BOT_WEBCHAT=1`) are passed on
to LINE's real API unchanged.

The chat's rich menus (`install`) are in the stand-in's `richmenus` under their aliases,
each with an image, the city's the account's default, as `python -m bot richmenu` and the
city leave them; the bot links a parent's menu by its alias (`bot/line/user_menus.py`)
and the stand-in keeps the link, with LINE's checks, and tells the chat (`on_link`).
With a channel, an alias is read from LINE, and the menu it names stands in under its id.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from qa.standin import LineStandIn
from qa.webchat.menus import Menus


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
        self.on_link: Callable[[str], None] = lambda user: None  # a chat user's link changed
        self._menus = Menus()

    def install(self, menus: Menus) -> None:
        """The chat's menus in the stand-in: each with an image and its alias; the one a new
        user starts on is the account's default."""
        self._menus = menus
        rich = self.standin.richmenus
        for alias, view in menus.views().items():
            self._stand_in(alias, f"richmenu-webchat-{alias}", view)
            rich.aliases[alias] = f"richmenu-webchat-{alias}"
        rich.default = rich.aliases.get(menus.start or "")

    def _stand_in(self, alias: str, rid: str, view: dict[str, Any]) -> None:
        self.standin.richmenus.menus[rid] = {**view, "richMenuId": rid}
        self.standin.richmenus.images[rid] = b"the chat draws it"

    def menu_for(self, user: str) -> str | None:
        """The alias of the menu LINE shows `user`: linked to them, else the default."""
        rid = self.standin.richmenus.menu_for(user)
        return self.standin.richmenus.menus.get(rid or "", {}).get("alias")

    def app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/v2/bot/message/reply", self._reply)
        app.router.add_post("/v2/bot/message/push", self._push)
        app.router.add_get("/v2/bot/profile/{user}", self._profile)
        app.router.add_get("/v2/bot/richmenu/alias/{alias}", self._alias)
        app.router.add_post("/v2/bot/user/{user}/richmenu/{id}", self._link)
        app.router.add_delete("/v2/bot/user/{user}/richmenu", self._link)
        app.router.add_post("/v2/bot/chat/loading/start", self._loading)
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

    async def _alias(self, request: web.Request) -> web.StreamResponse:
        """The menu a rich menu alias names: the chat's; with a channel, LINE's (the chat's
        menu of that alias standing in for it, so a chat user can be linked to it)."""
        if self.upstream is None:
            return await self.standin.richmenus._get_alias(request)
        answer = await self._pass_on(request)
        alias = request.match_info["alias"]
        if answer.status == 200 and alias in self._menus.by_alias:
            rid = str(json.loads(answer.body)["richMenuId"])  # type: ignore[arg-type]
            self._stand_in(alias, rid, self._menus.views()[alias])
        return answer

    async def _link(self, request: web.Request) -> web.StreamResponse:
        """A chat user's menu linked (POST) or unlinked (DELETE), as LINE checks it."""
        user = request.match_info["user"]
        if user not in self.users:
            return await self._pass_on(request)
        rich = self.standin.richmenus
        before = rich.links.get(user)
        answer = await (rich._link if request.method == "POST" else rich._unlink)(request)
        if rich.links.get(user) != before:
            self.on_link(user)
        return answer

    async def _loading(self, request: web.Request) -> web.StreamResponse:
        """LINE's loading animation: the chat's users' is taken as LINE takes it."""
        body = await request.json()
        if body.get("chatId") in self.users:
            return await self.standin._loading(request)
        return await self._pass_on(request)

    async def _pass_on(self, request: web.Request) -> web.Response:
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
