"""The browser chat's HTTP side: the page, its static files, a JSON API and an event stream.

`GET /` is the phone page; `/webchat/static/` its CSS and JS (no inline code, so a
`default-src 'self'` Content-Security-Policy holds); `/webchat/api/` takes the
visitor's steps (rich menu switches among them) and the demo panel's actions;
`/webchat/api/stream` sends the page the menus and what each LINE user received, as
server-sent events.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from importlib import resources
from typing import Any

from aiohttp import web

from bot import json_body
from domain.errors import StaffError
from qa.webchat.demo import summary
from qa.webchat.replay import run_script
from qa.webchat.room import ChatError, Room
from qa.webchat.staff import waiting as waiting_at

STATIC = resources.files("qa.webchat") / "static"
KEEPALIVE = 15.0  # seconds between comments on an idle stream
MAX_SCRIPT = 256 * 1024  # bytes of an uploaded replay script


def add_routes(app: web.Application, room: Room) -> None:
    h = _Handlers(room)
    app.router.add_get("/", h.page)
    app.router.add_static("/webchat/static/", str(STATIC), append_version=False)
    api = "/webchat/api"
    app.router.add_get(f"{api}/stream", h.stream)
    app.router.add_post(f"{api}/users", h.add_user)
    app.router.add_post(f"{api}/users/{{name}}/say", h.say)
    app.router.add_post(f"{api}/users/{{name}}/tap", h.tap)
    app.router.add_post(f"{api}/users/{{name}}/date", h.date)
    app.router.add_post(f"{api}/users/{{name}}/switch", h.switch)
    app.router.add_post(f"{api}/users/{{name}}/follow", h.follow)
    app.router.add_post(f"{api}/users/{{name}}/unfollow", h.unfollow)
    app.router.add_post(f"{api}/users/{{name}}/reset", h.reset)
    app.router.add_post(f"{api}/users/{{name}}/language", h.language)
    app.router.add_get(f"{api}/replay.yaml", h.save_replay)
    app.router.add_post(f"{api}/replay", h.run_replay)
    app.router.add_get(f"{api}/demo", h.demo)
    app.router.add_post(f"{api}/demo/clear", h.clear)


async def _body(request: web.Request) -> dict[str, Any]:
    """The JSON object a step sends (UTF-8, nested at most `json_body.MAX_DEPTH` deep)."""
    try:
        body = json_body.loads(await request.read())
    except ValueError:
        raise web.HTTPBadRequest(text="a JSON body is needed") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="a JSON object is needed")
    return body


def _refused(reason: str, status: int = 400) -> web.Response:
    return web.json_response({"error": reason}, status=status)


class _Handlers:
    def __init__(self, room: Room) -> None:
        self.room = room

    async def page(self, request: web.Request) -> web.Response:
        html = (STATIC / "index.html").read_text(encoding="utf-8")
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def stream(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await resp.prepare(request)
        q: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.room.streams.add(q)
        try:
            await resp.write(_event(self.room.snapshot()))
            while True:
                try:
                    entry = await asyncio.wait_for(q.get(), KEEPALIVE)
                except TimeoutError:
                    await resp.write(b": keep-alive\n\n")
                    continue
                if entry is None:  # the server is stopping
                    break
                await resp.write(_event(entry))
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.room.streams.discard(q)
        return resp

    async def _run(self, coro: Any) -> web.Response:
        try:
            await coro
        except ChatError as e:
            return _refused(str(e))
        return web.json_response({"ok": True})

    async def add_user(self, request: web.Request) -> web.Response:
        body = await _body(request)
        try:
            self.room.add_user(str(body.get("name", "")))
        except ChatError as e:
            return _refused(str(e))
        return web.json_response({"ok": True})

    async def say(self, request: web.Request) -> web.Response:
        body = await _body(request)
        return await self._run(self.room.say(request.match_info["name"], str(body.get("text", ""))))

    async def tap(self, request: web.Request) -> web.Response:
        body = await _body(request)
        action = body.get("action")
        if not isinstance(action, dict):
            return _refused("the button's action is missing")
        return await self._run(self.room.tap(request.match_info["name"], action))

    async def switch(self, request: web.Request) -> web.Response:
        body = await _body(request)
        action = body.get("action")
        if not isinstance(action, dict):
            return _refused("the menu area's action is missing")
        return await self._run(self.room.switch_menu(request.match_info["name"], action))

    async def date(self, request: web.Request) -> web.Response:
        body = await _body(request)
        action = body.get("action")
        if not isinstance(action, dict):
            return _refused("the date picker's action is missing")
        name = request.match_info["name"]
        return await self._run(self.room.pick_date(name, action, str(body.get("date", ""))))

    async def follow(self, request: web.Request) -> web.Response:
        return await self._run(self.room.follow(request.match_info["name"]))

    async def unfollow(self, request: web.Request) -> web.Response:
        return await self._run(self.room.unfollow(request.match_info["name"]))

    async def language(self, request: web.Request) -> web.Response:
        body = await _body(request)
        language = str(body.get("language", ""))
        return await self._run(self.room.set_language(request.match_info["name"], language))

    async def reset(self, request: web.Request) -> web.Response:
        try:
            self.room.reset(request.match_info["name"])
        except ChatError as e:
            return _refused(str(e))
        return web.json_response({"ok": True})

    async def save_replay(self, request: web.Request) -> web.Response:
        try:
            text = self.room.replay_text()
        except ChatError as e:
            return _refused(str(e), 404)
        bot = self.room.bot  # the chat's clock, in the city's time zone, as the chat shows it
        now = bot.services.now() if bot is not None else dt.datetime.now()
        stamp = f"{now:%Y%m%d-%H%M}"
        return web.Response(
            text=text,
            content_type="application/x-yaml",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="webchat-{stamp}.yaml"'},
        )

    async def run_replay(self, request: web.Request) -> web.Response:
        data = await request.read()
        if len(data) > MAX_SCRIPT:
            return _refused("the script is too large")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return _refused("the script is not UTF-8 text")
        assert self.room.bot is not None
        name = request.query.get("name", "script.yaml")
        return web.json_response(await run_script(text, name, self.room.bot.config))

    async def _waiting(self) -> list[dict[str, Any]]:
        """Registrations of the page's own users waiting for the interview (never LINE's
        real users, whose data the page must not show when a channel is configured)."""
        bot = self.room.bot
        assert bot is not None
        waiting = []
        for n in bot.config.nurseries:
            for r in await waiting_at(bot, n.id):
                owner = self.room.by_uid.get(r["user"])
                if owner is None:
                    continue
                waiting.append(
                    {
                        "registration": r["registration"],
                        "nursery": n.name,
                        "child": r["child"],
                        "birth_date": r["birth_date"],
                        "interview_at": r["interview_at"],
                        "user": owner.script_name,
                    }
                )
        return waiting

    async def demo(self, request: web.Request) -> web.Response:
        waiting = await self._waiting()
        return web.json_response({"demo": summary(self.room.demo), "waiting": waiting})

    async def clear(self, request: web.Request) -> web.Response:
        """The demo panel's "interview done": only for a child the page's users registered."""
        body = await _body(request)
        key = (str(body.get("nursery", "")), str(body.get("child", "")), body.get("birth_date"))
        row = next(
            (
                w
                for w in await self._waiting()
                if (w["nursery"], w["child"], w["birth_date"]) == key
            ),
            None,
        )
        if row is None:
            return _refused("no child of this page's users waits for that interview", 404)
        params = {"nursery": row["nursery"], "child": row["child"]}
        try:  # by registration id: the very registration listed, whatever names others share
            result = await self.room.staff(
                "complete_interview", {**params, "child": row["registration"]}, params
            )
        except StaffError as e:
            return _refused(str(e), 409)
        return web.json_response({"ok": True, "result": result})


def _event(entry: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(entry, ensure_ascii=False)}\n\n".encode()
