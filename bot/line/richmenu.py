"""`python -m bot richmenu`: draws the rich menu from config.yaml and sets it up on LINE.

The image is drawn with Pillow in a Japanese font found on this machine
(fontconfig's `fc-list :lang=ja`; Debian's fonts-noto-cjk or fonts-ipafont),
2500×1686 (two rows) or 2500×843 (one row), one coloured area per menu item
with its label. On LINE: the menu is validated, created, given its image and
made the default for every user; then the menus it replaces are deleted (the
previous default and any left-over menu of the same name), so running it twice
leaves one menu. A previous default with another name (a menu the city made by
other means) is left in place, no longer default, and named in the output.
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
    MessagingApi,
    MessagingApiBlob,
    RichMenuRequest,
)
from linebot.v3.messaging.exceptions import ApiException
from PIL import Image, ImageDraw, ImageFont
from urllib3.exceptions import HTTPError

from bot.context import Settings
from domain.config import AppConfig, RichMenu, load_config

WIDTH = 2500
HEIGHTS = {"large": 1686, "compact": 843}
MAX_IMAGE_BYTES = 1024 * 1024
MAX_ACTION_LABEL = 20
GAP = 16  # pixels between areas, and around them
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
def layout(menu: RichMenu) -> list[Area]:
    """One area per item: one row (compact) or two (large), each row split evenly."""
    height = HEIGHTS[menu.size]
    rows = 1 if menu.size == "compact" or len(menu.items) == 1 else 2
    per_row = math.ceil(len(menu.items) / rows)
    counts = [per_row] * (rows - 1) + [len(menu.items) - per_row * (rows - 1)]
    areas = []
    for r, count in enumerate(counts):
        top, bottom = r * height // rows, (r + 1) * height // rows
        for c in range(count):
            left, right = c * WIDTH // count, (c + 1) * WIDTH // count
            areas.append(Area(left, top, right - left, bottom - top))
    return areas


def menu_json(config: AppConfig) -> dict[str, Any]:
    """The rich menu object LINE takes (`RichMenuRequest`)."""
    menu = _menu(config)
    areas = []
    for item, a in zip(menu.items, layout(menu), strict=True):
        label = item.label[:MAX_ACTION_LABEL]
        action: dict[str, Any]
        if item.link == "website":
            action = {"type": "uri", "label": label, "uri": config.website_url}
        else:
            action = {"type": "message", "label": label, "text": item.label}
        bounds = {"x": a.x, "y": a.y, "width": a.width, "height": a.height}
        areas.append({"bounds": bounds, "action": action})
    return {
        "size": {"width": WIDTH, "height": HEIGHTS[menu.size]},
        "selected": True,
        "name": menu.name,
        "chatBarText": menu.chat_bar_text,
        "areas": areas,
    }


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
    """The menu image as PNG bytes, every label in one font size, the largest at which all
    fit (MenuError if the image is over LINE's 1 MB)."""
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
    out = io.BytesIO()
    image.save(out, format="PNG")
    data = out.getvalue()
    if len(data) > MAX_IMAGE_BYTES:
        raise MenuError(f"the image is {len(data)} bytes, over LINE's 1 MB")
    return data


# -- on LINE -------------------------------------------------------------------------------
def set_up(menu: dict[str, Any], png: bytes, token: str, api_base: str, data_base: str) -> str:
    """Validate, create, upload, make default, delete what it replaces; the new menu's id."""
    try:
        return _set_up(menu, png, token, api_base, data_base)
    except ApiException as e:
        raise MenuError(f"LINE answered {e.status}: {_why(e)}") from None
    except HTTPError as e:
        raise MenuError(f"LINE cannot be reached: {type(e).__name__}") from None


def _set_up(menu: dict[str, Any], png: bytes, token: str, api_base: str, data_base: str) -> str:
    def client(host: str) -> ApiClient:
        return ApiClient(Configuration(access_token=token, host=host.rstrip("/")))

    with client(api_base) as api_client, client(data_base) as blob_client:
        api, blob = MessagingApi(api_client), MessagingApiBlob(blob_client)
        request = RichMenuRequest.from_dict(menu)
        try:
            api.validate_rich_menu_object(request)
        except ApiException as e:
            raise MenuError(f"LINE refused the menu: {_why(e)}") from None
        try:
            previous: str | None = api.get_default_rich_menu_id().rich_menu_id
        except ApiException as e:
            if e.status != 404:
                raise MenuError(f"LINE answered {e.status}: {_why(e)}") from None
            previous = None
        new_id: str = api.create_rich_menu(request).rich_menu_id
        try:
            blob.set_rich_menu_image(new_id, png, _headers={"Content-Type": "image/png"})
            api.set_default_rich_menu(new_id)
        except ApiException as e:
            api.delete_rich_menu(new_id)  # leave nothing half set up
            raise MenuError(f"LINE refused the image or default: {_why(e)}") from None
        print(f"rich menu {new_id} is the default")
        for old in api.get_rich_menu_list().richmenus:
            if old.rich_menu_id != new_id and old.name == menu["name"]:
                api.delete_rich_menu(old.rich_menu_id)
                print(f"deleted the menu it replaces: {old.rich_menu_id}")
            elif old.rich_menu_id == previous:
                print(
                    f"the previous default {previous} ({old.name}) has another name: "
                    "left in place, no longer the default"
                )
        return new_id


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
        if args.dry_run:
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            (out / "richmenu.png").write_bytes(png)
            text = json.dumps(menu, ensure_ascii=False, indent=2)
            (out / "richmenu.json").write_text(text + "\n", encoding="utf-8")
            print(f"wrote {out / 'richmenu.png'} ({len(png)} bytes) and {out / 'richmenu.json'}")
            return 0
        if not settings.access_token:
            raise MenuError("LINE_CHANNEL_ACCESS_TOKEN is not set")
        set_up(menu, png, settings.access_token, settings.line_api_base, settings.data_api_base())
    except MenuError as e:
        print(f"richmenu: {e}", file=sys.stderr)
        return 1
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("richmenu", help="draw the rich menu from config.yaml and set it on LINE")
    p.add_argument("--dry-run", action="store_true", help="write the PNG and JSON only")
    p.add_argument("--out", default=".", help="folder for --dry-run's files (default: here)")
    p.add_argument("--font", help="a font file with Japanese glyphs (default: found by fc-list)")
    p.set_defaults(func=run)
