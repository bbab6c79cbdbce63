"""The LINE stand-in's rich menu endpoints, with LINE's checks.

Like LINE: a menu is validated (size, at most 20 areas inside the image, chat
bar text of at most 14 characters, each action's required fields), gets one
image (PNG or JPEG, at most 1 MB, the menu's size), can be made the default or
linked to a user only once it has its image, and deleting the default menu
leaves no default (and unlinks the users linked to it).

Rich menu aliases (`aliases`: alias id -> menu id), as LINE keeps them: an alias
id is 1-32 characters of a-z, 0-9, `_` and `-`, unique per channel, and names an
existing menu that has its image. LINE's reference documents no refusal to
delete a menu an alias names (`deleteRichMenu` answers 200 only), so deleting
one leaves the alias naming a menu that is gone, as on LINE: callers must move
the alias first. `links` holds per-user menus (user id -> menu id).

`add_city_menu()` puts a stand-in for the city's own menu in place (image,
alias, default) with the area that opens the 一時保育 menu by its alias.
"""

from __future__ import annotations

import io
import itertools
import re
import struct
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from PIL import Image, ImageDraw, ImageFont

from bot.line.menu_image import find_font
from bot.line.menu_layout import MenuError

ACTIONS = {"message", "postback", "uri", "datetimepicker", "richmenuswitch", "camera", "location"}
MAX_IMAGE = 1024 * 1024
MAX_ALIASES = 1000
ALIAS_ID = re.compile(r"[a-z0-9_-]{1,32}")
CITY_SITE = "https://www.city.meguro.tokyo.jp/"
CITY_SPLIT = 1650  # the stand-in city menu: the 一時保育 area left of it, the city's site right


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
        elif action["type"] == "richmenuswitch":
            out.extend(f"areas[{i}].action.{p}" for p in _switch_problems(action))
        label = action.get("label")
        if label is not None and not (isinstance(label, str) and len(label) <= 20):
            out.append(f"areas[{i}].action.label must be at most 20 characters")
    return out


def _switch_problems(action: dict[str, Any]) -> list[str]:
    """A rich menu switch action: the alias to open and the postback data are required."""
    out = []
    alias = action.get("richMenuAliasId")
    if not isinstance(alias, str) or not ALIAS_ID.fullmatch(alias):
        out.append("richMenuAliasId must be 1 to 32 characters of a-z, 0-9, _ and -")
    data = action.get("data")
    if not isinstance(data, str) or not 1 <= len(data) <= 300:
        out.append("data must be 1 to 300 characters")
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
    aliases: dict[str, str] = field(default_factory=dict)  # alias id -> rich menu id
    links: dict[str, str] = field(default_factory=dict)  # user id -> rich menu id
    validated: int = 0
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def routes(self) -> list[web.RouteDef]:
        # the fixed paths (validate, list, alias, alias/list, user/all) come before the ones
        # with a {placeholder} they would match: aiohttp before 3.10 tries routes in the order
        # given; later ones try the longest fixed prefix first, then this order
        return [
            web.post("/v2/bot/richmenu/validate", self._validate),
            web.get("/v2/bot/richmenu/list", self._list),
            web.post("/v2/bot/richmenu", self._create),
            web.post("/v2/bot/richmenu/alias", self._create_alias),
            web.get("/v2/bot/richmenu/alias/list", self._list_aliases),
            web.get("/v2/bot/richmenu/alias/{alias}", self._get_alias),
            web.post("/v2/bot/richmenu/alias/{alias}", self._update_alias),
            web.delete("/v2/bot/richmenu/alias/{alias}", self._delete_alias),
            web.get("/v2/bot/richmenu/{id}", self._get),
            web.delete("/v2/bot/richmenu/{id}", self._delete),
            web.post("/v2/bot/richmenu/{id}/content", self._upload),
            web.get("/v2/bot/user/all/richmenu", self._get_default),
            web.post("/v2/bot/user/all/richmenu/{id}", self._set_default),
            web.delete("/v2/bot/user/all/richmenu", self._clear_default),
            web.get("/v2/bot/user/{user}/richmenu", self._get_link),
            web.post("/v2/bot/user/{user}/richmenu/{id}", self._link),
            web.delete("/v2/bot/user/{user}/richmenu", self._unlink),
        ]

    def menu_for(self, user: str) -> str | None:
        """The menu LINE shows `user`: the one linked to them, else the default."""
        return self.links.get(user) or self.default

    def add_city_menu(
        self,
        alias: str = "meguro-city-menu",
        opens: str = "meguro-ichiji-hoiku",
        *,
        default: bool = True,
    ) -> str:
        """A stand-in for the city's own menu on the shared account: a compact menu with its
        image, whose left area (子育て：一時保育の予約) is a `richmenuswitch` to the alias
        `opens` and whose right area opens the city's site; given the alias `alias` and, with
        `default`, made the account's default as the city's menu is. Its id."""
        switch = {"type": "richmenuswitch", "label": "一時保育の予約", "richMenuAliasId": opens}
        switch["data"] = f"richmenu-switch:{opens}"
        site = {"type": "uri", "label": "目黒区ホームページ", "uri": CITY_SITE}
        menu = {
            "size": {"width": 2500, "height": 843},
            "selected": True,
            "name": "目黒区メニュー（スタンドイン）",
            "chatBarText": "目黒区メニュー",
            "areas": [_area(0, CITY_SPLIT, switch), _area(CITY_SPLIT, 2500 - CITY_SPLIT, site)],
        }
        found = problems(menu)
        if found or not ALIAS_ID.fullmatch(alias) or alias in self.aliases:
            raise ValueError(f"LINE would refuse the stand-in city menu: {found or alias}")
        rid = f"richmenu-{next(self._ids):032x}"
        self.menus[rid] = {**menu, "richMenuId": rid}
        self.images[rid] = _city_image()
        self.aliases[alias] = rid
        if default:
            self.default = rid
        return rid

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
        for user in [u for u, linked in self.links.items() if linked == rid]:
            del self.links[user]
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

    # -- aliases ---------------------------------------------------------------------------
    def _target(self, rid: Any) -> web.Response | None:
        """Why an alias cannot name `rid` (None: it can)."""
        if not isinstance(rid, str) or rid not in self.menus:
            return _error(400, "richmenu not found")
        if rid not in self.images:
            return _error(400, "must upload richmenu image before setting it to an alias")
        return None

    async def _create_alias(self, request: web.Request) -> web.Response:
        body = await _body(request)
        alias = body.get("richMenuAliasId")
        if not isinstance(alias, str) or not ALIAS_ID.fullmatch(alias):
            return _error(400, "The request body has 1 error(s)", [_ALIAS_RULE])
        refused = self._target(body.get("richMenuId"))
        if refused is not None:
            return refused
        if alias in self.aliases:
            return _error(400, "conflict richmenu alias id")
        if len(self.aliases) >= MAX_ALIASES:
            return _error(400, f"the channel already has {MAX_ALIASES} rich menu aliases")
        self.aliases[alias] = body["richMenuId"]
        return web.json_response({})

    async def _update_alias(self, request: web.Request) -> web.Response:
        alias = request.match_info["alias"]
        if alias not in self.aliases:
            return _error(404, "richmenu alias not found")
        body = await _body(request)
        refused = self._target(body.get("richMenuId"))
        if refused is not None:
            return refused
        self.aliases[alias] = body["richMenuId"]
        return web.json_response({})

    async def _get_alias(self, request: web.Request) -> web.Response:
        alias = request.match_info["alias"]
        if alias not in self.aliases:
            return _error(404, "richmenu alias not found")
        return web.json_response({"richMenuAliasId": alias, "richMenuId": self.aliases[alias]})

    async def _list_aliases(self, request: web.Request) -> web.Response:
        aliases = [{"richMenuAliasId": a, "richMenuId": r} for a, r in self.aliases.items()]
        return web.json_response({"aliases": aliases})

    async def _delete_alias(self, request: web.Request) -> web.Response:
        if self.aliases.pop(request.match_info["alias"], None) is None:
            return _error(400, "richmenu alias not found")
        return web.json_response({})

    # -- per-user menus --------------------------------------------------------------------
    async def _link(self, request: web.Request) -> web.Response:
        rid = request.match_info["id"]
        if rid not in self.menus:
            return _error(404, "Not found")
        if rid not in self.images:
            return _error(400, "must upload richmenu image before applying it to user")
        self.links[request.match_info["user"]] = rid
        return web.json_response({})

    async def _get_link(self, request: web.Request) -> web.Response:
        rid = self.links.get(request.match_info["user"])
        if rid is None:
            return _error(404, "the user has no richmenu")
        return web.json_response({"richMenuId": rid})

    async def _unlink(self, request: web.Request) -> web.Response:
        self.links.pop(request.match_info["user"], None)
        return web.json_response({})


_ALIAS_RULE = "richMenuAliasId must be 1 to 32 characters of a-z, 0-9, _ and -"


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _area(x: int, width: int, action: dict[str, Any]) -> dict[str, Any]:
    return {"bounds": {"x": x, "y": 0, "width": width, "height": 843}, "action": action}


def _city_image() -> bytes:
    """The stand-in city menu's picture (2500x843): its two areas, labelled when a Japanese
    font is found (the same search as `python -m bot richmenu`), plain colours otherwise."""
    image = Image.new("RGB", (2500, 843), (0, 90, 160))
    pen = ImageDraw.Draw(image)
    pen.rectangle((CITY_SPLIT, 0, 2499, 842), fill=(90, 90, 90))
    try:
        font = ImageFont.truetype(str(find_font()), 110)
    except (MenuError, OSError):
        font = None
    labels = (
        (CITY_SPLIT / 2, "子育て\n一時保育の予約"),
        ((CITY_SPLIT + 2500) / 2, "目黒区\nホームページ"),
    )
    for x, text in labels if font is not None else ():
        pen.multiline_text(
            (x, 843 / 2),
            text,
            font=font,
            fill=(255, 255, 255),
            anchor="mm",
            align="center",
            spacing=30,
        )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _error(status: int, message: str, details: list[str] | None = None) -> web.Response:
    body: dict[str, Any] = {"message": message}
    if details:
        body["details"] = [{"message": d, "property": ""} for d in details]
    return web.json_response(body, status=status)
