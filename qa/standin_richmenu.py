"""The LINE stand-in's rich menu endpoints, with LINE's checks.

Like LINE: a menu is validated (size, at most 20 areas inside the image, chat
bar text of at most 14 characters), gets one image (PNG or JPEG, at most 1 MB,
the menu's size), can be made the default only once it has its image, and
deleting the default menu leaves no default.
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

ACTIONS = {"message", "postback", "uri", "datetimepicker", "richmenuswitch", "camera", "location"}
MAX_IMAGE = 1024 * 1024


def problems(menu: Any) -> list[str]:
    """What LINE would refuse in a rich menu object (empty: valid)."""
    if not isinstance(menu, dict):
        return ["the body is not a rich menu object"]
    out = []
    size = menu.get("size") or {}
    w, h = size.get("width"), size.get("height")
    if not (isinstance(w, int) and isinstance(h, int)):
        return ["size.width and size.height are required"]
    if not (800 <= w <= 2500 and h >= 250 and w / h >= 1.45):
        out.append(f"size {w}x{h}: width 800-2500, height 250 or more, width/height 1.45 or more")
    bar = menu.get("chatBarText")
    if not isinstance(bar, str) or not 1 <= len(bar) <= 14:
        out.append("chatBarText must be 1 to 14 characters")
    if not isinstance(menu.get("name"), str) or not 1 <= len(menu["name"]) <= 300:
        out.append("name must be 1 to 300 characters")
    if not isinstance(menu.get("selected"), bool):
        out.append("selected must be true or false")
    areas = menu.get("areas")
    if not isinstance(areas, list) or not 1 <= len(areas) <= 20:
        return [*out, "areas must hold 1 to 20 areas"]
    for i, area in enumerate(areas):
        b = area.get("bounds") or {}
        x, y, aw, ah = (b.get(k) for k in ("x", "y", "width", "height"))
        if not (isinstance(x, int) and isinstance(y, int) and isinstance(aw, int)) or not (
            isinstance(ah, int)
        ):
            out.append(f"areas[{i}].bounds: x, y, width and height are required")
        elif x < 0 or y < 0 or aw <= 0 or ah <= 0 or x + aw > w or y + ah > h:
            out.append(f"areas[{i}].bounds lie outside the {w}x{h} image")
        action = area.get("action") or {}
        if action.get("type") not in ACTIONS:
            out.append(f"areas[{i}].action.type {action.get('type')!r} is unknown")
        elif action["type"] == "message" and not 1 <= len(action.get("text") or "") <= 300:
            out.append(f"areas[{i}].action.text must be 1 to 300 characters")
        elif action["type"] == "uri" and not str(action.get("uri", "")).startswith(
            ("https://", "http://", "tel:")
        ):
            out.append(f"areas[{i}].action.uri is not a link")
    return out


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG (None for anything else)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


@dataclass
class RichMenus:
    menus: dict[str, dict[str, Any]] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)
    default: str | None = None
    validated: int = 0
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v2/bot/richmenu/validate", self._validate),
            web.get("/v2/bot/richmenu/list", self._list),
            web.post("/v2/bot/richmenu", self._create),
            web.get("/v2/bot/richmenu/{id}", self._get),
            web.delete("/v2/bot/richmenu/{id}", self._delete),
            web.post("/v2/bot/richmenu/{id}/content", self._upload),
            web.get("/v2/bot/user/all/richmenu", self._get_default),
            web.post("/v2/bot/user/all/richmenu/{id}", self._set_default),
            web.delete("/v2/bot/user/all/richmenu", self._clear_default),
        ]

    async def _checked(self, request: web.Request) -> tuple[dict[str, Any] | None, web.Response]:
        try:
            menu = await request.json()
        except ValueError:
            return None, _error(400, "The request body has 1 error(s)")
        found = problems(menu)
        if found:
            return None, _error(400, "The request body has errors", found)
        return menu, web.json_response({})

    async def _validate(self, request: web.Request) -> web.Response:
        self.validated += 1
        return (await self._checked(request))[1]

    async def _create(self, request: web.Request) -> web.Response:
        menu, answer = await self._checked(request)
        if menu is None:
            return answer
        rid = f"richmenu-{next(self._ids):032x}"
        self.menus[rid] = {**menu, "richMenuId": rid}
        return web.json_response({"richMenuId": rid})

    async def _list(self, request: web.Request) -> web.Response:
        return web.json_response({"richmenus": list(self.menus.values())})

    async def _get(self, request: web.Request) -> web.Response:
        menu = self.menus.get(request.match_info["id"])
        return web.json_response(menu) if menu else _error(404, "Not found")

    async def _delete(self, request: web.Request) -> web.Response:
        rid = request.match_info["id"]
        if self.menus.pop(rid, None) is None:
            return _error(404, "Not found")
        self.images.pop(rid, None)
        if self.default == rid:
            self.default = None
        return web.json_response({})

    async def _upload(self, request: web.Request) -> web.Response:
        rid = request.match_info["id"]
        menu = self.menus.get(rid)
        if menu is None:
            return _error(404, "Not found")
        if rid in self.images:
            return _error(400, "An image has already been uploaded to the richmenu")
        if request.content_type not in ("image/png", "image/jpeg"):
            return _error(415, "Content-Type must be image/png or image/jpeg")
        data = await request.read()
        if len(data) > MAX_IMAGE:
            return _error(400, "The image is over 1 MB")
        size = image_size(data)
        want = (menu["size"]["width"], menu["size"]["height"])
        if request.content_type == "image/png" and size != want:
            return _error(400, f"The image is {size}, the rich menu {want}")
        self.images[rid] = data
        return web.json_response({})

    async def _get_default(self, request: web.Request) -> web.Response:
        if self.default is None:
            return _error(404, "no default richmenu")
        return web.json_response({"richMenuId": self.default})

    async def _set_default(self, request: web.Request) -> web.Response:
        rid = request.match_info["id"]
        if rid not in self.menus:
            return _error(404, "Not found")
        if rid not in self.images:
            return _error(400, "must upload richmenu image before applying it to user")
        self.default = rid
        return web.json_response({})

    async def _clear_default(self, request: web.Request) -> web.Response:
        self.default = None
        return web.json_response({})


def _error(status: int, message: str, details: list[str] | None = None) -> web.Response:
    body: dict[str, Any] = {"message": message}
    if details:
        body["details"] = [{"message": d, "property": ""} for d in details]
    return web.json_response(body, status=status)
