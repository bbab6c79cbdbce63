"""`python -m bot richmenu`: draws the 一時保育 rich menu, one per language of config (the
English one from config.en.yaml), and sets them up on LINE as sub-menus of the city's account.

The bot lives on the city's official account, whose own menu is the default for every
citizen; the parent reaches the Japanese menu from it (子育て → 一時保育の予約), through a
`richmenuswitch` action to that menu's alias (`rich_menu.alias`). Another language's menu
has its own alias (`meguro-ichiji-hoiku-en`): the bot links it to each parent reading that
language (bot/line/user_menus.py), and a page of the city's menu in that language may open
it. The command prints those actions for the city's LINE administrators; `--dry-run`
writes each language's image, menu JSON and action (richmenu.png, richmenu.json,
richmenu-switch.json; richmenu-en.png, ...) without calling LINE.

The layout and menu object are bot/line/menu_layout.py's, the image
bot/line/menu_image.py's.

On LINE: every menu is validated, then each is created and given its image (with
`--default`, for a test channel, the Japanese one is also made the default; with `--link
USER_ID` one is linked to that user to try it out) and its alias pointed at it (created if
missing); only when all are set up are the older menus of the same names deleted, so
running it twice leaves one menu per language and no alias names a deleted menu. (Deleting
the older English menu unlinks its parents: the bot links the new one at their next
session.) The account's default is never touched without `--default`: an older menu of
the same name that is the default, or that another alias names, is left in place and named
in the output. When a step fails, what was done is undone for every language (default and
aliases given back, the new menus deleted), so nothing is left half set up.
"""

from __future__ import annotations

import argparse
import json
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
from urllib3.exceptions import HTTPError

from bot.context import Settings
from bot.line.menu_image import draw, find_font
from bot.line.menu_layout import MenuError, menu_json, rich_menu, switch_action
from domain.config import AppConfig
from domain.config_file import load_config


# -- on LINE -------------------------------------------------------------------------------
@dataclass
class Menu:
    """One language's menu: the object LINE takes, its image, the alias that names it."""

    language: str
    menu: dict[str, Any]
    png: bytes
    alias: str


@dataclass
class Options:
    """Where the new menus go besides their aliases: `default` makes the first (the base
    language's) the account's default (a test channel only), `link` links the menu of
    `link_language` (the first's when None) to that one user; `back_alias` is the city's
    menu's alias (checked to be there)."""

    back_alias: str | None = None
    default: bool = False
    link: str | None = None
    link_language: str | None = None


@dataclass
class Done:
    """What was done for one menu, to be undone if a later step fails."""

    menu: Menu
    new_id: str
    alias_before: str | None = None  # the menu the alias named before
    alias_read: bool = False  # alias_before is known: the alias may have moved


def set_up(
    menus: list[Menu], token: str, api_base: str, data_base: str, options: Options
) -> dict[str, str]:
    """Validate each menu, create and upload them, point their aliases at them, then delete
    what they replace: all of them or none. The new menus' ids by language."""
    try:
        return _set_up(menus, token, api_base, data_base, options)
    except ApiException as e:
        raise MenuError(f"LINE answered {e.status}: {_why(e)}") from None
    except HTTPError as e:
        raise MenuError(f"LINE cannot be reached: {type(e).__name__}") from None


def _set_up(
    menus: list[Menu], token: str, api_base: str, data_base: str, options: Options
) -> dict[str, str]:
    def client(host: str) -> ApiClient:
        return ApiClient(Configuration(access_token=token, host=host.rstrip("/")))

    with client(api_base) as api_client, client(data_base) as blob_client:
        api, blob = MessagingApi(api_client), MessagingApiBlob(blob_client)
        for m in menus:
            try:
                api.validate_rich_menu_object(RichMenuRequest.from_dict(m.menu))
            except ApiException as e:
                raise MenuError(f"LINE refused the menu ({m.language}): {_why(e)}") from None
        previous = _default_id(api)
        if options.back_alias and _alias_target(api, options.back_alias) is None:
            print(
                f"warning: this channel has no rich menu alias {options.back_alias} "
                "(rich_menu.back.alias): the back strip opens nothing until the city's menu "
                "has it"
            )
        done: list[Done] = []
        step = "the menu"
        try:
            for i, m in enumerate(menus):
                step = f"the menu ({m.language})"
                d = Done(m, api.create_rich_menu(RichMenuRequest.from_dict(m.menu)).rich_menu_id)
                done.append(d)
                step = f"the image ({m.language})"
                blob.set_rich_menu_image(d.new_id, m.png, _headers={"Content-Type": "image/png"})
                if options.default and i == 0:
                    step = "the default"
                    api.set_default_rich_menu(d.new_id)
                if options.link and m.language == (options.link_language or menus[0].language):
                    step = f"the link to user {options.link}"
                    api.link_rich_menu_id_to_user(options.link, d.new_id)
                step = f"the alias {m.alias}"
                d.alias_before, d.alias_read = _alias_target(api, m.alias), True
                _point_alias(api, m.alias, d.new_id, d.alias_before)
        except (ApiException, HTTPError) as e:
            undone = _undo(api, done, options, previous)
            if isinstance(e, ApiException):
                raise MenuError(f"LINE refused {step}: {_why(e)}; {undone}") from None
            why = f"LINE could not be reached for {step}: {type(e).__name__}"
            raise MenuError(f"{why}; {undone}") from None
        for d in done:
            print(f"rich menu {d.new_id} ({d.menu.language}) created with its image")
            was = f" (it named {d.alias_before})" if d.alias_before else " (created)"
            print(f"alias {d.menu.alias} now names {d.new_id}{was}")
        if options.default:
            print(f"rich menu {done[0].new_id} is the account's default (--default)")
        else:
            print("the account's default rich menu is left as it was")
        if options.link:
            print(f"linked to user {options.link} only (--link)")
        _delete_replaced(api, {d.menu.menu["name"]: d.new_id for d in done}, options, previous)
        return {d.menu.language: d.new_id for d in done}


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


def _point_alias(api: MessagingApi, alias: str, rid: str, before: str | None) -> None:
    """Points `alias` at `rid`: created when it named nothing `before`, else moved."""
    if before is None:
        api.create_rich_menu_alias(
            CreateRichMenuAliasRequest(rich_menu_alias_id=alias, rich_menu_id=rid)
        )
    else:
        api.update_rich_menu_alias(alias, UpdateRichMenuAliasRequest(rich_menu_id=rid))


def _undo(api: MessagingApi, done: list[Done], options: Options, previous: str | None) -> str:
    """Takes back what was done for the new menus (the default; each alias that moved, or
    that a lost answer left naming a new menu, given back to the menu it named before) and
    deletes them; says what became of them."""
    given_back = ""
    ids = [d.new_id for d in done]
    try:
        if options.default and previous is not None and done:
            api.set_default_rich_menu(previous)
            given_back = f", the default given back to {previous}"
        for d in reversed(done):
            if d.alias_read and _alias_target(api, d.menu.alias) == d.new_id:
                if d.alias_before is None:
                    api.delete_rich_menu_alias(d.menu.alias)
                else:
                    _point_alias(api, d.menu.alias, d.alias_before, d.alias_before)
            api.delete_rich_menu(d.new_id)
    except (ApiException, HTTPError):
        aliases = " and ".join(d.menu.alias for d in done)
        return (
            f"the new menus {', '.join(ids)} could not all be deleted: delete them, and check "
            f"the default and the aliases {aliases}"
        )
    if len(ids) == 1:
        return f"the new menu {ids[0]} was deleted{given_back}"
    return f"the new menus {', '.join(ids)} were deleted{given_back}"


def _delete_replaced(
    api: MessagingApi, new: dict[str, str], options: Options, previous: str | None
) -> None:
    """Deletes the older menus of the new menus' names (`new`: name -> new id), once the
    aliases have moved off them; keeps one that is the account's default (unless --default
    made a new one default) or that another alias names."""
    named: dict[str, list[str]] = {}
    for a in api.get_rich_menu_alias_list().aliases:
        named.setdefault(a.rich_menu_id, []).append(a.rich_menu_alias_id)
    for old in api.get_rich_menu_list().richmenus:
        rid = old.rich_menu_id
        if rid in new.values():
            continue
        if old.name not in new:
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
def menus_of(config: AppConfig, font: Path) -> list[Menu]:
    """One menu per language of config (the base language's first), each drawn with its
    language's labels; a language whose menu has the base's alias has none of its own."""
    out: list[Menu] = []
    for lang in config.languages():
        worded = config.in_language(lang)
        alias = rich_menu(worded).alias
        if any(m.alias == alias for m in out):
            continue
        out.append(Menu(lang, menu_json(worded), draw(worded, font), alias))
    return out


def _suffix(m: Menu, menus: list[Menu]) -> str:
    """The dry run's file name suffix: none for the base language's menu."""
    return "" if m is menus[0] else f"-{m.language}"


def _write(out: Path, menus: list[Menu]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for m in menus:
        png, menu, switch = (
            out / f"richmenu{_suffix(m, menus)}.png",
            out / f"richmenu{_suffix(m, menus)}.json",
            out / f"richmenu-switch{_suffix(m, menus)}.json",
        )
        png.write_bytes(m.png)
        menu.write_text(json.dumps(m.menu, ensure_ascii=False, indent=2) + "\n", "utf-8")
        text = json.dumps(switch_action(m.alias), ensure_ascii=False, indent=2)
        switch.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {png} ({len(m.png)} bytes), {menu} and {switch} ({m.language})")


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    config = load_config(settings.config_path)
    try:
        menus = menus_of(config, find_font(args.font))
        if args.link_language and args.link_language not in [m.language for m in menus]:
            raise MenuError(f"--link-language {args.link_language}: no menu in that language")
        if args.dry_run:
            _write(Path(args.out), menus)
        else:
            if not settings.access_token:
                raise MenuError("LINE_CHANNEL_ACCESS_TOKEN is not set")
            wanted = rich_menu(config)
            options = Options(
                back_alias=wanted.back.alias if wanted.back else None,
                default=args.default,
                link=args.link,
                link_language=args.link_language,
            )
            set_up(
                menus,
                settings.access_token,
                settings.line_api_base,
                settings.data_api_base(),
                options,
            )
    except MenuError as e:
        print(f"richmenu: {e}", file=sys.stderr)
        return 1
    print("The city's menu opens this menu with this action on its 子育て → 一時保育の予約 area:")
    print(json.dumps(switch_action(menus[0].alias), ensure_ascii=False))
    for m in menus[1:]:
        print(
            f"The bot links the {m.language} menu to each parent reading {m.language} (their "
            "LINE's language or their choice); a page of the city's menu in that language "
            "opens it with:"
        )
        print(json.dumps(switch_action(m.alias), ensure_ascii=False))
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
    p.add_argument("--link", metavar="USER_ID", help="also link a menu to this one LINE user")
    p.add_argument(
        "--link-language",
        metavar="LANG",
        help="the language of the menu --link links (default: the base language's, ja)",
    )
    p.set_defaults(func=run)
