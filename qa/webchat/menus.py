"""The rich menus the browser chat shows, by alias, and the one a new LINE user starts on.

The bot's menu is `menu_json(config)`, what `python -m bot richmenu` gives LINE,
each area drawn as the image draws it: an item's colours and its `image_text` (or
label), the back strip's colours and label. When config has a `back` strip, the
bot's menu is a sub-menu of the city's account, as it is on @meguro_city: a new
user starts on the city's menu (a stand-in, `city_menu.py`) and reaches the
bot's through 子育て → 一時保育の予約. Without a back strip (a test channel where
the bot's menu is the default) a user starts on the bot's menu.

Each other language's menu (`config.in_language(lang)`, under its own alias) is here too,
drawn the same way: LINE shows it to a user the bot links it to (`sink.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.line.menu_layout import MenuError, menu_json
from domain.config import AppConfig, RichMenu
from qa.webchat.city_menu import city_menus


@dataclass
class Menus:
    by_alias: dict[str, dict[str, Any]] = field(default_factory=dict)
    start: str | None = None  # the alias a new LINE user sees (None: no menu at all)

    def switch(self, alias: str | None, action: dict[str, Any]) -> str:
        """The alias a tap on `action` in the menu `alias` switches to; ValueError when that
        menu has no such switch area or it leads to no menu of the chat."""
        menu = self.by_alias.get(alias or "")
        if menu is None or not any(a["action"] == action for a in menu["areas"]):
            raise ValueError("the menu on screen has no such area")
        if action.get("type") != "richmenuswitch":
            raise ValueError(f"a {action.get('type')} area does not switch menus")
        target = str(action.get("richMenuAliasId", ""))
        if target not in self.by_alias:
            raise ValueError(f"no menu has the alias {target!r} in this chat")
        return target

    def views(self) -> dict[str, dict[str, Any]]:
        return {alias: {"alias": alias, **menu} for alias, menu in self.by_alias.items()}


def menus(config: AppConfig) -> Menus:
    rich = config.rich_menu
    if rich is None:
        return Menus()
    try:
        own = bot_menu(config, rich)
    except MenuError:
        return Menus()
    if rich.back is None:
        found = Menus({rich.alias: own}, rich.alias)
    else:
        found = Menus({**city_menus(rich, rich.back.alias), rich.alias: own}, rich.back.alias)
    for lang in config.languages():
        other = config.in_language(lang)
        if other.rich_menu is not None and other.rich_menu.alias not in found.by_alias:
            try:
                found.by_alias[other.rich_menu.alias] = bot_menu(other, other.rich_menu)
            except MenuError:
                continue
    return found


def bot_menu(config: AppConfig, rich: RichMenu) -> dict[str, Any]:
    """`menu_json(config)`, each area with how the image draws it."""
    menu = menu_json(config)
    areas = [{**a, **_look(rich, a["action"])} for a in menu["areas"]]
    return {**menu, "areas": areas, "background": rich.background, "decor": [], "standin": False}


def _look(rich: RichMenu, action: dict[str, Any]) -> dict[str, Any]:
    """An area's drawn text and colours: the back strip's (`strip`: drawn edge to edge, an
    arrow and its label at the left), or its item's (found by the text it sends, or by its
    label for a link), else its action's label on the first item's colours."""
    back = rich.back
    if action.get("type") == "richmenuswitch" and back is not None:
        look = {"text": back.label, "color": back.color, "text_color": back.text_color}
        return look | {"strip": True}
    for item in rich.items:
        sends = action.get("type") == "message" and action.get("text") == item.label
        opens = action.get("type") == "uri" and action.get("label") == item.label[:20]
        if sends or opens:
            text = item.image_text or item.label
            return {"text": text, "color": item.color, "text_color": item.text_color}
    first = rich.items[0]
    return {
        "text": str(action.get("label", "")),
        "color": first.color,
        "text_color": first.text_color,
    }
