"""A local stand-in for LINE's Messaging API that records what the bot sends.

Used by the console chat, the replay runner, the tests and the benchmark: the
real line-bot-sdk client talks to it over HTTP. Like LINE, a reply token works
once, and a push repeated with the same `X-Line-Retry-Key` is accepted once
(409 the next time). It also records loading animations (`loading`) and keeps rich
menus (`richmenus`, qa/standin_richmenu.py) and the channel's bot info and webhook
(`channel`, qa/standin_channel.py). Faults can be injected:
`fail_next(status, n)` refuses the next requests, `lose_next(status, n)` carries them
out but answers an error, `garble_next(n)` carries them out and answers 200 with a body
nobody can read. `calls` records every request as (endpoint, retry key), failed ones too.

Every body is read with line-bot-sdk's request models (`ReplyMessageRequest`,
`PushMessageRequest`) and must come back from them with nothing dropped or changed (the SDK adds its
defaults, such as `notificationDisabled`); one that does not is
refused with 400 as LINE refuses a malformed message, and kept in `invalid`. So every
test, replay and benchmark run checks the renderer's JSON against the SDK's models,
and the bot itself sends its JSON without building them per request.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from linebot.v3.messaging import PushMessageRequest, ReplyMessageRequest

from qa.standin_channel import Channel
from qa.standin_richmenu import RichMenus


@dataclass
class Sent:
    user: str
    via: str  # "reply" or "push"
    messages: list[dict[str, Any]]
    retry_key: str | None = None


@dataclass
class LineStandIn:
    tokens: dict[str, str] = field(default_factory=dict)  # reply token -> user
    sent: list[Sent] = field(default_factory=list)
    by_user: dict[str, list[Sent]] = field(default_factory=lambda: defaultdict(list))
    retry_keys: set[str] = field(default_factory=set)
    failures: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)  # taken, but the answer is this error
    garbled: int = 0  # taken, answered 200 with an unreadable body
    hung: int = 0  # taken, never answered (the caller dies waiting)
    calls: list[tuple[str, str | None]] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # bodies the SDK's models do not take
    validate: bool = True
    requests: int = 0
    on_sent: Any = None  # optional callback(Sent)
    on_refused: Any = None  # optional callback(Sent) for a body refused as malformed
    loading: list[tuple[str, int]] = field(default_factory=list)  # (chat, seconds) started
    richmenus: RichMenus = field(default_factory=RichMenus)
    channel: Channel = field(default_factory=Channel)  # bot info and webhook (preflight)
    # each user's LINE language, as their profile gives it (`default_language` otherwise;
    # None: the profile gives none)
    languages: dict[str, str] = field(default_factory=dict)
    default_language: str | None = "ja"
    profiles_read: list[str] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)  # ends the hung requests
    url: str = ""

    def issue_token(self, token: str, user: str) -> None:
        self.tokens[token] = user

    def fail_next(self, status: int, times: int = 1) -> None:
        self.failures.extend([status] * times)

    def lose_next(self, status: int = 504, times: int = 1) -> None:
        """The next requests are carried out, but the bot is told `status` (an answer lost on
        the way back, a gateway timing out)."""
        self.lost.extend([status] * times)

    def garble_next(self, times: int = 1) -> None:
        """The next requests are carried out and answered 200, with a body that is not the
        JSON LINE documents (a proxy's page, a truncated answer)."""
        self.garbled += times

    def hang_next(self, times: int = 1) -> None:
        """The next requests are carried out and never answered: the bot is left waiting
        (until the stand-in stops), as when it is killed before LINE's answer arrives."""
        self.hung += times

    def _record(self, s: Sent) -> None:
        self.sent.append(s)
        self.by_user[s.user].append(s)
        if self.on_sent is not None:
            self.on_sent(s)

    async def _reply(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.calls.append(("reply", None))
        if self.failures:
            return _error(self.failures.pop(0))
        body = await request.json()
        if self.validate and not self._valid(ReplyMessageRequest, body):
            self._refused(self.tokens.get(body.get("replyToken", "")), "reply", body)
            return _error(400, "The request body has 1 error(s)")
        user = self.tokens.pop(body.get("replyToken", ""), None)
        if user is None:
            return _error(400, "Invalid reply token")
        self._record(Sent(user, "reply", body["messages"]))
        return await self._answer(body["messages"])

    async def _push(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.calls.append(("push", request.headers.get("X-Line-Retry-Key")))
        if self.failures:
            return _error(self.failures.pop(0))
        body = await request.json()
        if self.validate and not self._valid(PushMessageRequest, body):
            self._refused(body.get("to"), "push", body)
            return _error(400, "The request body has 1 error(s)")
        key = request.headers.get("X-Line-Retry-Key")
        if key:
            if key in self.retry_keys:
                return _error(409, "The retry key is already accepted")
            self.retry_keys.add(key)
        self._record(Sent(body["to"], "push", body["messages"], key))
        return await self._answer(body["messages"])

    def _refused(self, user: str | None, via: str, body: dict[str, Any]) -> None:
        messages = body.get("messages")
        if self.on_refused is not None and user and isinstance(messages, list):
            self.on_refused(Sent(user, via, messages))

    def _valid(self, model: Any, body: dict[str, Any]) -> bool:
        """The body as the SDK's model reads it and writes it back: the same JSON."""
        try:
            again = model.from_dict(body).to_dict()
        except Exception as e:
            self.invalid.append(f"{model.__name__}: {type(e).__name__}: {e}"[:500])
            return False
        if not _kept(body, again):
            self.invalid.append(f"{model.__name__}: {body} != {again}"[:2000])
            return False
        return True

    async def _loading(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.failures:
            return _error(self.failures.pop(0))
        body = await request.json()
        seconds = body.get("loadingSeconds", 20)
        chat = body.get("chatId")
        if not isinstance(chat, str) or not chat.startswith("U"):
            return _error(400, "chatId must be a user ID")
        if not isinstance(seconds, int) or not 5 <= seconds <= 60 or seconds % 5:
            return _error(400, "loadingSeconds must be a multiple of 5 from 5 to 60")
        self.loading.append((chat, seconds))
        return web.json_response({}, status=202)

    async def _answer(self, messages: list[dict[str, Any]]) -> web.Response:
        if self.hung:
            self.hung -= 1
            await self._stopping.wait()
            return _error(503, "the LINE stand-in stopped")
        if self.lost:
            return _error(self.lost.pop(0))
        if self.garbled:
            self.garbled -= 1
            return web.Response(status=200, text="<html>OK</html>", content_type="text/html")
        return web.json_response(_sent_ids(messages))

    async def _profile(self, request: web.Request) -> web.Response:
        """LINE's profile of a user: their LINE's language among the rest."""
        self.requests += 1
        user = request.match_info["user"]
        self.profiles_read.append(user)
        body: dict[str, Any] = {"userId": user, "displayName": "LINE user"}
        said = self.languages.get(user, self.default_language)
        if said:
            body["language"] = said
        return web.json_response(body)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v2/bot/message/reply", self._reply)
        app.router.add_post("/v2/bot/message/push", self._push)
        app.router.add_post("/v2/bot/chat/loading/start", self._loading)
        app.router.add_get("/v2/bot/profile/{user}", self._profile)
        app.router.add_routes(self.richmenus.routes())
        app.router.add_routes(self.channel.routes())
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._stopping.clear()
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.url = f"http://{host}:{self._runner.addresses[0][1]}"
        return self.url

    async def stop(self) -> None:
        """Stops serving; a request left hung is answered 503 first, so stopping does not
        wait out aiohttp's shutdown timeout for it."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def take(self, user: str) -> list[Sent]:
        """What `user` received since the last take."""
        got = self.by_user.pop(user, [])
        return got


def _kept(sent: Any, read: Any) -> bool:
    """Everything in `sent` is in `read`, unchanged (`read` may add keys)."""
    if isinstance(sent, dict):
        return isinstance(read, dict) and all(
            k in read and _kept(v, read[k]) for k, v in sent.items()
        )
    if isinstance(sent, list):
        return (
            isinstance(read, list)
            and len(read) == len(sent)
            and all(_kept(a, b) for a, b in zip(sent, read, strict=True))
        )
    return sent == read and type(sent) is type(read)


def _sent_ids(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {"sentMessages": [{"id": str(i), "quoteToken": "q"} for i, _ in enumerate(messages)]}


def _error(status: int, message: str = "error") -> web.Response:
    return web.json_response({"message": message}, status=status)
