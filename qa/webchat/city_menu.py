"""A STAND-IN of 目黒区's own rich menu on @meguro_city, for the browser chat only.

The bot does not own the account's menu: the city's menu is the account's default,
and a parent reaches the 一時保育 menu through it (manual p. 1: 子育て, then
「一時保育の予約」). The city's real menu is not known here, so this module makes
up one that works the way it must: a top page of city services and a 子育て page,
its 「一時保育の予約」 a `richmenuswitch` area to the bot's menu alias
(`rich_menu.alias`), its top page reached by the alias the bot's back strip names
(`rich_menu.back.alias`); its switches are the actions `python -m bot richmenu`
prints for the city (`switch_action`). Its Japanese labels are the stand-in's, not product text;
only 子育て → 一時保育の予約 leads anywhere, the other areas are marked `inert` and the
page answers them with a toast.

Each menu is a LINE rich menu object (what `POST /v2/bot/richmenu` takes) whose
areas also carry how they are drawn (`text`, `color`, `text_color`), and `decor`:
what the image shows outside any area (a title).
"""

from __future__ import annotations

from typing import Any

from bot.line.menu_layout import switch_action
from domain.config import RichMenu

WIDTH, HEIGHT = 2500, 1686
TITLE = 300  # the band across the top of both pages
KOSODATE_ALIAS = "meguro-city-kosodate"  # made up: the 子育て page of the stand-in
CITY_SITE = "https://www.city.meguro.tokyo.jp/"
INERT = "Stand-in city menu: in this demo only 子育て → 一時保育の予約 opens."

TOP_TILES = [  # (drawn text, colour): the top page, two rows of three; 子育て is the way in
    ("防災・安全", "#C8453C"),
    ("子育て", "#E8708A"),
    ("ごみ・\nリサイクル", "#3E9B5F"),
    ("健康・福祉", "#2A8C9D"),
    ("各種手続き", "#6C63B5"),
    ("区からの\nお知らせ", "#5A6B7B"),
]
KOSODATE_TILES = [  # the 子育て page, two rows of two; 一時保育の予約 opens the bot's menu
    ("一時保育の\n予約", "#F08C3C"),
    ("保育園・\n幼稚園", "#8C9AA8"),
    ("児童手当・\n医療証", "#8C9AA8"),
    ("子育ての\n相談", "#8C9AA8"),
]


def _bounds(x: int, y: int, w: int, h: int) -> dict[str, int]:
    return {"x": x, "y": y, "width": w, "height": h}


def _grid(cols: int, rows: int) -> list[dict[str, int]]:
    """Cells under the title band, row by row."""
    out = []
    for r in range(rows):
        top = TITLE + r * (HEIGHT - TITLE) // rows
        bottom = TITLE + (r + 1) * (HEIGHT - TITLE) // rows
        for c in range(cols):
            left, right = c * WIDTH // cols, (c + 1) * WIDTH // cols
            out.append(_bounds(left, top, right - left, bottom - top))
    return out


def _inert(label: str) -> dict[str, Any]:
    """An area the stand-in does not follow (the real one would open a city page)."""
    return {"type": "uri", "label": label[:20], "uri": CITY_SITE}


def _area(
    bounds: dict[str, int], action: dict[str, Any], text: str, color: str, inert: bool = False
) -> dict[str, Any]:
    area = {"bounds": bounds, "action": action, "text": text, "color": color}
    return area | {"text_color": "#FFFFFF"} | ({"inert": True} if inert else {})


def city_menus(rich_menu: RichMenu, top_alias: str) -> dict[str, dict[str, Any]]:
    """The stand-in's two pages by alias: the top page (`top_alias`, the alias the bot's
    back strip switches to) and its 子育て page, which opens `rich_menu.alias`."""
    top = []
    for (text, color), bounds in zip(TOP_TILES, _grid(3, 2), strict=True):
        label = text.replace("\n", "")
        if label == "子育て":
            top.append(_area(bounds, switch_action(KOSODATE_ALIAS, label), text, color))
        else:
            top.append(_area(bounds, _inert(label), text, color, inert=True))
    back = _area(
        _bounds(0, 0, 760, TITLE),
        switch_action(top_alias, "戻る"),
        "‹ 戻る",
        "#1B3F6E",
    )
    kosodate = [back]
    for (text, color), bounds in zip(KOSODATE_TILES, _grid(2, 2), strict=True):
        label = text.replace("\n", "")
        if label == "一時保育の予約":
            kosodate.append(_area(bounds, switch_action(rich_menu.alias, label), text, color))
        else:
            kosodate.append(_area(bounds, _inert(label), text, color, inert=True))
    return {
        top_alias: _menu("目黒区メニュー（代役）", "目黒区メニュー", top, "目黒区 公式LINE"),
        KOSODATE_ALIAS: _menu(
            "目黒区メニュー 子育て（代役）",
            "子育てメニュー",
            kosodate,
            "子育て",
            title_from=760,
        ),
    }


def _menu(
    name: str, chat_bar: str, areas: list[dict[str, Any]], title: str, title_from: int = 0
) -> dict[str, Any]:
    return {
        "size": {"width": WIDTH, "height": HEIGHT},
        "selected": True,
        "name": name,
        "chatBarText": chat_bar,
        "areas": areas,
        "background": "#FFFFFF",
        "decor": [
            {
                "bounds": _bounds(title_from, 0, WIDTH - title_from, TITLE),
                "text": title,
                "color": "#24508F",
                "text_color": "#FFFFFF",
            }
        ],
        "standin": True,
        "inert_note": INERT,
    }
