"""`python -m bot richmenu`: draws the 一時保育 rich menu from config.yaml and sets it up on
LINE as a sub-menu of the city's account.

The bot lives on the city's official account, whose own menu is the default for every
citizen; the parent reaches this menu from it (子育て → 一時保育の予約), through a
`richmenuswitch` action to this menu's alias (`rich_menu.alias`). The command prints that
action for the city's LINE administrators to put on their menu; `--dry-run` writes the
image, the menu JSON and that action (richmenu-switch.json) without calling LINE.

The image is drawn with Pillow in a Japanese font found on this machine
(fontconfig's `fc-list :lang=ja`; Debian's fonts-noto-cjk or fonts-ipafont),
2500×1686 (two rows) or 2500×843 (one row), one coloured area per menu item
with its label. With `rich_menu.back`, a strip across the top in its colour, with
its label after a back arrow, switches back to the city's menu (`back.alias`);
the items tile the rest.

On LINE: the menu is validated, created and given its image (with `--default`, for a
test channel, it is also made the default; with `--link USER_ID` it is linked to
that one user to try it out); then the alias is pointed at it (created if missing),
and only then are the older menus of the same name deleted, so running it twice
leaves one menu and the alias never names a deleted menu. The account's default is
never touched without `--default`: an older menu of the same name that is the
default, or that another alias names, is left in place and named in the output.
When a step fails after the menu was created, what was done is undone and the new
menu deleted, so nothing is left half set up.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    CreateRichMenuAliasRequest,
    MessagingApi,
    MessagingApiBlob,
    RichMenuRequest,
    UpdateRichMenuAliasRequest,
)
from linebot.v3.messaging.exceptions import ApiException
from PIL import Image, ImageDraw, ImageFont
from urllib3.exceptions import HTTPError

from bot.context import Settings
from domain.config import AppConfig, MenuBack, RichMenu, load_config

WIDTH = 2500
HEIGHTS = {"large": 1686, "compact": 843}
MAX_IMAGE_BYTES = 1024 * 1024
MAX_ACTION_LABEL = 20
GAP = 16  # pixels between areas, and around them
# the back strip's height: a sixth of a large menu; a quarter of a compact one, so that its
# label is drawn as large as on a large menu (a phone shows both 2500 pixels wide)
STRIP = {"large": 1686 // 6, "compact": 843 // 4}
SWITCH_DATA = "richmenu-switch:"  # postback data of a switch (the bot ignores it)
FONT_DIR = Path("/usr/share/fonts")
FONT_GLOBS = ("NotoSansCJK-Bold.ttc", "NotoSansCJK*.ttc", "NotoSansJP*", "ipag*.ttf", "ipa*.ttf")


class MenuError(Exception):
    """The menu cannot be made or set up; the message says why in one line."""


@dataclass
class Area:
    x: int
    y: int
    width: int
    height: int


# -- layout and JSON -----------------------------------------------------------------------
def back_strip(menu: RichMenu) -> Area | None:
    """The strip across the top that switches back to the city's menu (None without
    `back`)."""
    return Area(0, 0, WIDTH, STRIP[menu.size]) if menu.back else None


def layout(menu: RichMenu) -> list[Area]:
    """One area per item, under the back strip if there is one: one row (compact) or two
    (large), each row split evenly."""
    strip = back_strip(menu)
    start = strip.height if strip else 0
    height = HEIGHTS[menu.size] - start
    rows = 1 if menu.size == "compact" or len(menu.items) == 1 else 2
    per_row = math.ceil(len(menu.items) / rows)
    counts = [per_row] * (rows - 1) + [len(menu.items) - per_row * (rows - 1)]
    areas = []
    for r, count in enumerate(counts):
        top, bottom = start + r * height // rows, start + (r + 1) * height // rows
        for c in range(count):
            left, right = c * WIDTH // count, (c + 1) * WIDTH // count
            areas.append(Area(left, top, right - left, bottom - top))
    return areas


def switch_action(alias: str, label: str | None = None) -> dict[str, Any]:
    """A `richmenuswitch` action opening the menu that `alias` names."""
    action: dict[str, Any] = {"type": "richmenuswitch", "richMenuAliasId": alias}
    action["data"] = SWITCH_DATA + alias
    if label is not None:
        action["label"] = label[:MAX_ACTION_LABEL]
    return action


def city_switch_action(config: AppConfig) -> dict[str, Any]:
    """The action the city's own menu needs on its 子育て → 一時保育の予約 area."""
    return switch_action(_menu(config).alias)


def menu_json(config: AppConfig) -> dict[str, Any]:
    """The rich menu object LINE takes (`RichMenuRequest`): the back strip first, if any,
    then the items."""
    menu = _menu(config)
    areas = []
    strip = back_strip(menu)
    if strip is not None and menu.back is not None:
        action = switch_action(menu.back.alias, menu.back.label)
        areas.append({"bounds": _bounds(strip), "action": action})
    for item, a in zip(menu.items, layout(menu), strict=True):
        label = item.label[:MAX_ACTION_LABEL]
        if item.link == "website":
            action = {"type": "uri", "label": label, "uri": config.website_url}
        else:
            action = {"type": "message", "label": label, "text": item.label}
        areas.append({"bounds": _bounds(a), "action": action})
    return {
        "size": {"width": WIDTH, "height": HEIGHTS[menu.size]},
        "selected": True,
        "name": menu.name,
        "chatBarText": menu.chat_bar_text,
        "areas": areas,
    }


def _bounds(a: Area) -> dict[str, int]:
    return {"x": a.x, "y": a.y, "width": a.width, "height": a.height}


def _menu(config: AppConfig) -> RichMenu:
    if config.rich_menu is None:
        raise MenuError("config.yaml has no rich_menu section")
    return config.rich_menu


# -- the image -----------------------------------------------------------------------------
def find_font(explicit: str | None = None) -> Path:
    """A font file with Japanese glyphs: `explicit`, else fontconfig's choice, else a known
    Debian path. MenuError naming the package to install when there is none."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise MenuError(f"font {explicit} does not exist")
        return path
    found = _fontconfig_japanese()
    if not found:
        for pattern in FONT_GLOBS:
            found = sorted(str(p) for p in FONT_DIR.rglob(pattern))
            if found:
                break
    if not found:
        raise MenuError(
            "no Japanese font found: install fonts-noto-cjk (apt-get install fonts-noto-cjk, "
            "as scripts/_browser.sh does) or fonts-ipafont, or pass --font FILE"
        )
    return Path(found[0])


def _fontconfig_japanese() -> list[str]:
    """Files of fonts covering Japanese, bold sans ones first."""
    if shutil.which("fc-list") is None:
        return []
    try:
        out = subprocess.run(
            ["fc-list", ":lang=ja", "file", "style"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = {line.split(":")[0].strip(): line for line in out.splitlines() if line.strip()}

    def rank(path: str) -> tuple[int, int, str]:
        name, style = Path(path).name.lower(), files[path].lower()
        sans = 0 if ("sans" in name or "gothic" in name or name.startswith("ipag")) else 1
        return (sans, 0 if "bold" in style or "bold" in name else 1, path)

    return sorted((f for f in files if Path(f).is_file()), key=rank)


def _wrap(text: str, lines: int) -> list[str]:
    """`text` cut into `lines` pieces of nearly equal length."""
    size = math.ceil(len(text) / lines)
    return [text[i : i + size] for i in range(0, len(text), size)]


def _choices(text: str) -> list[list[str]]:
    """Ways to break `text` into lines: as written when it has line breaks, else evenly."""
    if "\n" in text:
        return [text.split("\n")]
    return [_wrap(text, n) for n in range(1, 5)]


def _fits(pen: ImageDraw.ImageDraw, font: Any, lines: list[str], box: tuple[int, int]) -> bool:
    widest = max(pen.textlength(line, font=font) for line in lines)
    return widest <= box[0] and len(lines) * font.size * 1.3 <= box[1]


def _lines_at(
    pen: ImageDraw.ImageDraw, font: Any, text: str, box: tuple[int, int]
) -> list[str] | None:
    """The fewest lines `text` fits the box in at this font size; None if it does not fit."""
    return next((ls for ls in _choices(text) if _fits(pen, font, ls, box)), None)


def _rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def draw(config: AppConfig, font_path: Path) -> bytes:
    """The menu image as PNG bytes: the back strip, if any, then the items, every item label
    in one font size, the largest at which all fit (MenuError if the image is over LINE's
    1 MB)."""
    menu = _menu(config)
    image = Image.new("RGB", (WIDTH, HEIGHTS[menu.size]), _rgb(menu.background))
    pen = ImageDraw.Draw(image)
    areas = layout(menu)
    boxes = [(int((a.width - 2 * GAP) * 0.86), int((a.height - 2 * GAP) * 0.8)) for a in areas]
    texts = [item.image_text or item.label for item in menu.items]
    for size in range(160, 19, -4):
        font = ImageFont.truetype(str(font_path), size)
        wrapped = [_lines_at(pen, font, t, box) for t, box in zip(texts, boxes, strict=True)]
        if all(w is not None for w in wrapped):
            break
    else:
        raise MenuError("a menu label is too long to be drawn legibly; shorten it")
    for item, a, lines in zip(menu.items, areas, wrapped, strict=True):
        box = (a.x + GAP, a.y + GAP, a.x + a.width - GAP - 1, a.y + a.height - GAP - 1)
        pen.rounded_rectangle(box, radius=40, fill=_rgb(item.color))
        pen.multiline_text(
            (a.x + a.width / 2, a.y + a.height / 2),
            "\n".join(lines or []),
            font=font,
            fill=_rgb(item.text_color),
            anchor="mm",
            align="center",
            spacing=int(size * 0.3),
        )
    strip = back_strip(menu)
    if strip is not None and menu.back is not None:
        _draw_back(pen, strip, menu.back.label, menu.back, font_path)
    out = io.BytesIO()
    image.save(out, format="PNG")
    data = out.getvalue()
    if len(data) > MAX_IMAGE_BYTES:
        raise MenuError(f"the image is {len(data)} bytes, over LINE's 1 MB")
    return data


def _draw_back(
    pen: ImageDraw.ImageDraw, strip: Area, label: str, back: MenuBack, font_path: Path
) -> None:
    """The back strip: filled edge to edge in its colour, a left-pointing arrow and the label
    after it, at the left as a way back reads, in one line as large as fits."""
    pen.rectangle((strip.x, strip.y, strip.width - 1, strip.height - 1), fill=_rgb(back.color))
    margin = strip.height // 3
    for size in range(int(strip.height * 0.4), 19, -2):
        font = ImageFont.truetype(str(font_path), size)
        arrow = int(size * 0.6)  # width of the arrow; a gap of half a character after it
        if margin + arrow + size // 2 + pen.textlength(label, font=font) <= strip.width - margin:
            break
    else:
        raise MenuError("rich_menu.back.label is too long to be drawn legibly; shorten it")
    middle = strip.y + strip.height / 2
    left = strip.x + margin
    half = size * 0.38
    pen.polygon(
        [(left, middle), (left + arrow, middle - half), (left + arrow, middle + half)],
        fill=_rgb(back.text_color),
    )
    pen.text(
        (left + arrow + size // 2, middle),
        label,
        font=font,
        fill=_rgb(back.text_color),
        anchor="lm",
    )


# -- on LINE -------------------------------------------------------------------------------
@dataclass
class Options:
    """Where the new menu goes besides the alias: `default` makes it the account's default
    (a test channel only), `link` links it to that one user; `back_alias` is the city's
    menu's alias (checked to be there)."""

    alias: str
    back_alias: str | None = None
    default: bool = False
    link: str | None = None


def set_up(
    menu: dict[str, Any], png: bytes, token: str, api_base: str, data_base: str, options: Options
) -> str:
    """Validate, create, upload, point the alias at it, delete what it replaces; the new
    menu's id."""
    try:
        return _set_up(menu, png, token, api_base, data_base, options)
    except ApiException as e:
        raise MenuError(f"LINE answered {e.status}: {_why(e)}") from None
    except HTTPError as e:
        raise MenuError(f"LINE cannot be reached: {type(e).__name__}") from None


def _set_up(
    menu: dict[str, Any], png: bytes, token: str, api_base: str, data_base: str, options: Options
) -> str:
    def client(host: str) -> ApiClient:
        return ApiClient(Configuration(access_token=token, host=host.rstrip("/")))

    with client(api_base) as api_client, client(data_base) as blob_client:
        api, blob = MessagingApi(api_client), MessagingApiBlob(blob_client)
        request = RichMenuRequest.from_dict(menu)
        try:
            api.validate_rich_menu_object(request)
        except ApiException as e:
            raise MenuError(f"LINE refused the menu: {_why(e)}") from None
        previous = _default_id(api)
        if options.back_alias and _alias_target(api, options.back_alias) is None:
            print(
                f"warning: this channel has no rich menu alias {options.back_alias} "
                "(rich_menu.back.alias): the back strip opens nothing until the city's menu "
                "has it"
            )
        new_id: str = api.create_rich_menu(request).rich_menu_id
        step = "the image"
        try:
            blob.set_rich_menu_image(new_id, png, _headers={"Content-Type": "image/png"})
            if options.default:
                step = "the default"
                api.set_default_rich_menu(new_id)
            if options.link:
                step = f"the link to user {options.link}"
                api.link_rich_menu_id_to_user(options.link, new_id)
            step = f"the alias {options.alias}"
            moved_from = _point_alias(api, options.alias, new_id)
        except (ApiException, HTTPError) as e:
            undone = _undo(api, new_id, options, previous)
            if isinstance(e, ApiException):
                raise MenuError(f"LINE refused {step}: {_why(e)}; {undone}") from None
            why = f"LINE could not be reached for {step}: {type(e).__name__}"
            raise MenuError(f"{why}; {undone}") from None
        print(f"rich menu {new_id} created with its image")
        was = f" (it named {moved_from})" if moved_from else " (created)"
        print(f"alias {options.alias} now names {new_id}{was}")
        if options.default:
            print(f"rich menu {new_id} is the account's default (--default)")
        else:
            print("the account's default rich menu is left as it was")
        if options.link:
            print(f"linked to user {options.link} only (--link)")
        _delete_replaced(api, menu["name"], new_id, options, previous)
        return new_id


def _default_id(api: MessagingApi) -> str | None:
    try:
        rid: str = api.get_default_rich_menu_id().rich_menu_id
    except ApiException as e:
        if e.status != 404:
            raise
        return None
    return rid


def _alias_target(api: MessagingApi, alias: str) -> str | None:
    """The menu `alias` names; None when the channel has no such alias."""
    try:
        rid: str = api.get_rich_menu_alias(alias).rich_menu_id
    except ApiException as e:
        if e.status != 404:
            raise
        return None
    return rid


def _point_alias(api: MessagingApi, alias: str, rid: str) -> str | None:
    """Points `alias` at `rid`, creating it if missing; the menu it named before."""
    before = _alias_target(api, alias)
    if before is None:
        api.create_rich_menu_alias(
            CreateRichMenuAliasRequest(rich_menu_alias_id=alias, rich_menu_id=rid)
        )
    else:
        api.update_rich_menu_alias(alias, UpdateRichMenuAliasRequest(rich_menu_id=rid))
    return before


def _undo(api: MessagingApi, new_id: str, options: Options, previous: str | None) -> str:
    """Takes back what was done for `new_id` (the default, the alias if a lost answer left it
    naming the new menu) and deletes it; says what became of it."""
    given_back = ""
    try:
        if options.default and previous is not None:
            api.set_default_rich_menu(previous)
            given_back = f", the default given back to {previous}"
        if _alias_target(api, options.alias) == new_id:  # LINE did it, its answer was lost
            api.delete_rich_menu_alias(options.alias)
        api.delete_rich_menu(new_id)
    except (ApiException, HTTPError):
        return (
            f"the new menu {new_id} could not be deleted: delete it, and check the default "
            f"and the alias {options.alias}"
        )
    return f"the new menu {new_id} was deleted{given_back}"


def _delete_replaced(
    api: MessagingApi, name: str, new_id: str, options: Options, previous: str | None
) -> None:
    """Deletes the older menus of this name, once the alias has moved off them; keeps one
    that is the account's default (unless --default made the new one default) or that
    another alias names."""
    named: dict[str, list[str]] = {}
    for a in api.get_rich_menu_alias_list().aliases:
        named.setdefault(a.rich_menu_id, []).append(a.rich_menu_alias_id)
    for old in api.get_rich_menu_list().richmenus:
        rid = old.rich_menu_id
        if rid == new_id:
            continue
        if old.name != name:
            if options.default and rid == previous:
                print(
                    f"the previous default {previous} ({old.name}) has another name: "
                    "left in place, no longer the default"
                )
            continue
        if rid == previous and not options.default:
            print(
                f"left in place: the older menu {rid} is the account's default "
                "(it is changed only with --default)"
            )
        elif rid in named:
            print(f"left in place: the older menu {rid} is named by alias {', '.join(named[rid])}")
        else:
            api.delete_rich_menu(rid)
            print(f"deleted the menu it replaces: {rid}")


def _why(e: Exception) -> str:
    body = getattr(e, "body", None)
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        return str(body)[:300]
    details = "; ".join(d.get("message", "") for d in data.get("details", []))
    return f"{data.get('message', '')}{': ' + details if details else ''}"


# -- the command ---------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    config = load_config(settings.config_path)
    try:
        menu = menu_json(config)
        png = draw(config, find_font(args.font))
        switch = city_switch_action(config)
        if args.dry_run:
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            (out / "richmenu.png").write_bytes(png)
            text = json.dumps(menu, ensure_ascii=False, indent=2)
            (out / "richmenu.json").write_text(text + "\n", encoding="utf-8")
            text = json.dumps(switch, ensure_ascii=False, indent=2)
            (out / "richmenu-switch.json").write_text(text + "\n", encoding="utf-8")
            print(
                f"wrote {out / 'richmenu.png'} ({len(png)} bytes), {out / 'richmenu.json'} "
                f"and {out / 'richmenu-switch.json'}"
            )
        else:
            if not settings.access_token:
                raise MenuError("LINE_CHANNEL_ACCESS_TOKEN is not set")
            rich_menu = _menu(config)
            options = Options(
                alias=rich_menu.alias,
                back_alias=rich_menu.back.alias if rich_menu.back else None,
                default=args.default,
                link=args.link,
            )
            set_up(
                menu,
                png,
                settings.access_token,
                settings.line_api_base,
                settings.data_api_base(),
                options,
            )
    except MenuError as e:
        print(f"richmenu: {e}", file=sys.stderr)
        return 1
    print(
        "The city's menu opens this menu with this action on its 子育て → 一時保育の予約 area "
        "(市のメニューの「一時保育の予約」の領域に設定してください):"
    )
    print(json.dumps(switch, ensure_ascii=False))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "richmenu",
        help="draw the 一時保育 menu from config.yaml and set it up on LINE as a sub-menu "
        "of the city's menu (under its alias; the default is left alone)",
    )
    p.add_argument("--dry-run", action="store_true", help="write the PNG and JSON only")
    p.add_argument("--out", default=".", help="folder for --dry-run's files (default: here)")
    p.add_argument("--font", help="a font file with Japanese glyphs (default: found by fc-list)")
    p.add_argument(
        "--default",
        action="store_true",
        help="also make it the account's default menu (a test channel only: on the city's "
        "account it would replace the city's menu for everyone)",
    )
    p.add_argument("--link", metavar="USER_ID", help="also link it to this one LINE user")
    p.set_defaults(func=run)
