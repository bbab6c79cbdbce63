"""`python -m bot richmenu`: draws the 一時保育 rich menu from config.yaml and sets it up on
LINE as a sub-menu of the city's account.

The bot lives on the city's official account, whose own menu is the default for every
citizen; the parent reaches this menu from it (子育て → 一時保育の予約), through a
`richmenuswitch` action to this menu's alias (`rich_menu.alias`). The command prints that
action for the city's LINE administrators to put on their menu; `--dry-run` writes the
image, the menu JSON and that action (richmenu-switch.json) without calling LINE.

The layout and menu object are bot/line/menu_layout.py's, the image
bot/line/menu_image.py's.

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
from bot.line.menu_layout import MenuError, city_switch_action, menu_json, rich_menu
from domain.config_file import load_config


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
            wanted = rich_menu(config)
            options = Options(
                alias=wanted.alias,
                back_alias=wanted.back.alias if wanted.back else None,
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
    print("The city's menu opens this menu with this action on its 子育て → 一時保育の予約 area:")
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
