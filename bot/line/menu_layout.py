"""The 一時保育 rich menu's layout and the menu object LINE takes, from config.yaml.

2500×1686 (two rows of items) or 2500×843 (one row). With `rich_menu.back`, a strip across
the top switches back to the city's menu (a `richmenuswitch` action to `back.alias`); the
items tile the rest. The browser chat shows the same areas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from domain.config import AppConfig, RichMenu

WIDTH = 2500
HEIGHTS = {"large": 1686, "compact": 843}
MAX_ACTION_LABEL = 20
# the back strip's height: a sixth of a large menu; a quarter of a compact one, so that its
# label is drawn as large as on a large menu (a phone shows both 2500 pixels wide)
STRIP = {"large": 1686 // 6, "compact": 843 // 4}
SWITCH_DATA = "richmenu-switch:"  # postback data of a switch (the bot ignores it)


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
    return switch_action(rich_menu(config).alias)


def menu_json(config: AppConfig) -> dict[str, Any]:
    """The rich menu object LINE takes (`RichMenuRequest`): the back strip first, if any,
    then the items."""
    menu = rich_menu(config)
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


def rich_menu(config: AppConfig) -> RichMenu:
    if config.rich_menu is None:
        raise MenuError("config.yaml has no rich_menu section")
    return config.rich_menu
