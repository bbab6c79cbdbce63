"""`python -m bot richmenu`: the image and menu LINE gets, set up against the LINE stand-in as
a sub-menu of the city's menu (an alias both ways, the default left alone)."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import aiohttp
import pytest
import yaml
from PIL import Image

from bot.cli import main
from bot.line import menu_image, menu_layout, richmenu
from domain.config import AppConfig, ConfigError
from domain.config_file import load_config
from qa.standin import LineStandIn
from qa.standin_richmenu import MAX_ALIASES, RichMenus, problems
from tests.config_support import write_config


@pytest.fixture
async def line(monkeypatch):
    standin = LineStandIn()
    await standin.start()
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "test-token")
    monkeypatch.setenv("LINE_API_BASE_URL", standin.url)
    monkeypatch.delenv("LINE_API_DATA_BASE_URL", raising=False)
    monkeypatch.delenv("BOT_CONFIG", raising=False)
    yield standin
    await standin.stop()


EN = "meguro-ichiji-hoiku-en"  # the English menu's alias


def raw_config() -> dict[str, Any]:
    return yaml.safe_load(open("config.yaml", encoding="utf-8"))


def rich_menu():
    menu = load_config().rich_menu
    assert menu is not None and menu.back is not None
    return menu


def items_of(menu: dict[str, Any]) -> list[dict[str, Any]]:
    """The item areas (after the back strip)."""
    return [a for a in menu["areas"] if a["action"]["type"] != "richmenuswitch"]


def colours(image: Image.Image, b: dict[str, int]) -> set[tuple[int, int, int]]:
    box = (b["x"], b["y"], b["x"] + b["width"], b["y"] + b["height"])
    return {c for _, c in image.convert("RGB").crop(box).getcolors(1 << 20)}


def switch_target(menus: RichMenus, rid: str) -> str:
    """The menu a `richmenuswitch` area of menu `rid` opens (its alias resolved)."""
    [action] = [
        a["action"] for a in menus.menus[rid]["areas"] if a["action"]["type"] == "richmenuswitch"
    ]
    return menus.aliases[action["richMenuAliasId"]]


def no_alias_names_a_deleted_menu(menus: RichMenus) -> bool:
    return all(rid in menus.menus for rid in menus.aliases.values())


async def run(*args: str) -> int:
    return await asyncio.to_thread(main, ["richmenu", *args])


def printed_switch(out: str) -> dict[str, Any]:
    """The switch action the command prints for the city's menu (the line after the one
    naming the area)."""
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if "一時保育の予約" in line)
    return json.loads(lines[at + 1])


# -- the drawing and the JSON --------------------------------------------------------------
def test_dry_run_writes_an_image_within_lines_rules_matching_the_areas(tmp_path, capsys):
    assert main(["richmenu", "--dry-run", "--out", str(tmp_path)]) == 0
    png = (tmp_path / "richmenu.png").read_bytes()
    menu = json.loads((tmp_path / "richmenu.json").read_text(encoding="utf-8"))
    assert len(png) <= 1024 * 1024
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (2500, 1686)
    assert menu["size"] == {"width": 2500, "height": 1686}
    assert len(menu["chatBarText"]) <= 14 and problems(menu) == []
    config = load_config()
    assert config.rich_menu is not None
    texts = [a["action"]["text"] for a in items_of(menu)]
    assert texts == ["児童の登録", "予約をする", "予約を取り消す", "区ウェブサイトで概要を確認する"]
    assert all(t in config.keywords for t in texts)
    # the areas (back strip included) tile the image, none overlapping
    assert sum(a["bounds"]["width"] * a["bounds"]["height"] for a in menu["areas"]) == 2500 * 1686
    covered = Image.new("L", (2500, 1686))
    for a in menu["areas"]:
        b = a["bounds"]
        covered.paste(255, (b["x"], b["y"], b["x"] + b["width"], b["y"] + b["height"]))
    assert covered.getextrema() == (255, 255)
    # each item shows its colour where it is tapped, and its label in its text colour
    for area, item in zip(items_of(menu), config.rich_menu.items, strict=True):
        b = area["bounds"]
        at = (b["x"] + b["width"] // 10, b["y"] + b["height"] // 2)
        assert image.convert("RGB").getpixel(at) == menu_image.rgb(item.color)
        middle = dict(b, y=b["y"] + b["height"] // 3, height=b["height"] // 3)
        assert menu_image.rgb(item.text_color) in colours(image, middle)
    out = capsys.readouterr().out
    assert "richmenu.png" in out
    # the action the city's menu needs, printed and written beside the menu
    switch = json.loads((tmp_path / "richmenu-switch.json").read_text(encoding="utf-8"))
    assert (
        switch
        == printed_switch(out)
        == {
            "type": "richmenuswitch",
            "richMenuAliasId": "meguro-ichiji-hoiku",
            "data": "richmenu-switch:meguro-ichiji-hoiku",
        }
    )


@pytest.mark.parametrize("size", ["large", "compact"])
def test_the_back_strip_is_drawn_across_the_top_and_switches_to_the_citys_menu(size):
    raw = raw_config()
    raw["rich_menu"]["size"] = size
    config = AppConfig.model_validate(raw)
    back = rich_menu().back
    assert back is not None
    menu = menu_layout.menu_json(config)
    height = menu["size"]["height"]
    strip = menu["areas"][0]
    assert strip["action"] == {
        "type": "richmenuswitch",
        "richMenuAliasId": back.alias,
        "data": f"richmenu-switch:{back.alias}",
        "label": back.label,
    }
    b = strip["bounds"]
    assert (b["x"], b["y"], b["width"]) == (0, 0, 2500)
    assert height // 7 <= b["height"] <= height // 3
    # the items start under it and tile the rest
    assert min(a["bounds"]["y"] for a in items_of(menu)) == b["height"]
    image = Image.open(io.BytesIO(menu_image.draw(config, menu_image.find_font()))).convert("RGB")
    # back.color edge to edge (corners, and the far right past the label) ...
    for x, y in [(0, 0), (2499, 0), (0, b["height"] - 1), (2499, b["height"] - 1), (2400, 100)]:
        assert image.getpixel((x, y)) == menu_image.rgb(back.color)
    # ... with its label in back.text_color, as tall as a legible line on a phone
    ink = [
        (x, y)
        for y in range(b["height"])
        for x in range(0, 2500, 4)
        if image.getpixel((x, y)) == menu_image.rgb(back.text_color)
    ]
    assert ink, "the back strip has no label"
    assert max(y for _, y in ink) - min(y for _, y in ink) >= 70


def test_without_back_the_items_fill_the_menu():
    raw = raw_config()
    del raw["rich_menu"]["back"]
    raw["to_confirm"] = [k for k in raw.get("to_confirm", []) if not k.startswith("rich_menu.back")]
    menu = menu_layout.menu_json(AppConfig.model_validate(raw))
    assert [a["action"]["type"] for a in menu["areas"]] == ["message"] * 4
    assert [a["bounds"]["y"] for a in menu["areas"]] == [0, 0, 843, 843]


def test_a_compact_menu_is_one_row_and_a_website_item_may_open_the_page():
    raw = raw_config()
    raw["rich_menu"]["size"] = "compact"
    raw["rich_menu"]["items"][3]["link"] = "website"
    config = AppConfig.model_validate(raw)
    menu = menu_layout.menu_json(config)
    assert menu["size"] == {"width": 2500, "height": 843}
    strip = menu["areas"][0]["bounds"]["height"]
    assert [a["bounds"]["y"] for a in items_of(menu)] == [strip] * 4
    assert [a["bounds"]["width"] for a in items_of(menu)] == [625, 625, 625, 625]
    assert items_of(menu)[3]["action"] == {
        "type": "uri",
        "label": "区ウェブサイトで概要を確認する",
        "uri": config.website_url,
    }
    assert problems(menu) == []
    png = menu_image.draw(config, menu_image.find_font())
    assert Image.open(io.BytesIO(png)).size == (2500, 843)


def test_config_refuses_a_menu_line_would_refuse(tmp_path):
    for change, key in [
        (lambda m: m.update(chat_bar_text="一時保育の予約はこちらのメニュー"), "chat_bar_text"),
        (lambda m: m["items"].extend([m["items"][0]] * 16), "items"),
        (lambda m: m["items"][0].update(label="こんにちは"), "rich_menu"),
        (lambda m: m["items"][0].update(color="orange"), "color"),
        (lambda m: m.update(alias="Meguro Ichiji"), "alias"),
        (lambda m: m["back"].update(alias="x" * 33), "alias"),
    ]:
        raw = raw_config()
        change(raw["rich_menu"])
        path = write_config(tmp_path, raw)
        with pytest.raises(ConfigError, match=key):
            load_config(path)


def test_no_japanese_font_is_a_clear_message(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(menu_image, "_fontconfig_japanese", lambda: [])
    monkeypatch.setattr(menu_image, "FONT_DIR", tmp_path)
    assert main(["richmenu", "--dry-run", "--out", str(tmp_path)]) == 1
    assert "no Japanese font found: install fonts-noto-cjk" in capsys.readouterr().err
    assert not (tmp_path / "richmenu.png").exists()


# -- on LINE (the stand-in) ----------------------------------------------------------------
async def test_set_up_leaves_no_default_and_points_the_alias_at_the_new_menu(line, capsys):
    menus = line.richmenus
    assert await run() == 0
    first, first_en = menus.aliases["meguro-ichiji-hoiku"], menus.aliases[EN]
    assert set(menus.menus) == {first, first_en}  # one per language, each under its alias
    assert menus.default is None  # a sub-menu: never the account's default
    assert Image.open(io.BytesIO(menus.images[first])).size == (2500, 1686)
    out = capsys.readouterr().out
    assert "the account's default rich menu is left as it was" in out
    assert printed_switch(out)["richMenuAliasId"] == "meguro-ichiji-hoiku"
    # twice: one menu a language, the aliases on the newest, nothing naming a deleted menu
    assert await run() == 0
    second, second_en = menus.aliases["meguro-ichiji-hoiku"], menus.aliases[EN]
    assert set(menus.menus) == {second, second_en} and not {first, first_en} & set(menus.menus)
    assert menus.default is None and no_alias_names_a_deleted_menu(menus)
    assert menus.validated == 4
    assert menus.menus[second]["chatBarText"] == "一時保育メニュー"
    assert menus.menus[second_en]["chatBarText"] == "Childcare menu"
    out = capsys.readouterr().out
    assert f"alias meguro-ichiji-hoiku now names {second} (it named {first})" in out
    assert f"deleted the menu it replaces: {first}" in out
    assert f"deleted the menu it replaces: {first_en}" in out


async def test_the_citys_default_menu_is_kept_and_its_switch_opens_ours_and_back(line, capsys):
    menus, ours = line.richmenus, rich_menu()
    assert ours.back is not None
    city = menus.add_city_menu(alias=ours.back.alias, opens=ours.alias)
    assert menus.default == city and problems(menus.menus[city]) == []
    assert await run() == 0
    assert await run() == 0  # again: the city's menu is still not ours to delete
    new, new_en = menus.aliases[ours.alias], menus.aliases[EN]
    assert menus.default == city  # the city's menu stays every citizen's menu
    assert set(menus.menus) == {city, new, new_en}
    # the city's 一時保育の予約 area opens ours, and our back strips open the city's again
    assert switch_target(menus, city) == new
    assert switch_target(menus, new) == switch_target(menus, new_en) == city
    assert "warning" not in capsys.readouterr().out


async def test_a_missing_city_alias_is_warned_about(line, capsys):
    assert await run() == 0
    out = capsys.readouterr().out
    assert "warning: this channel has no rich menu alias meguro-city-menu" in out


async def test_default_makes_it_the_default_on_a_test_channel(line, capsys):
    menus = line.richmenus
    city = menus.add_city_menu()
    assert await run("--default") == 0
    new = menus.aliases["meguro-ichiji-hoiku"]
    assert menus.default == new  # the Japanese one
    # the city's menu is kept, no longer default
    assert set(menus.menus) == {city, new, menus.aliases[EN]}
    out = capsys.readouterr().out
    assert f"rich menu {new} is the account's default (--default)" in out
    assert "left in place, no longer the default" in out


async def test_an_older_menu_of_ours_that_is_the_default_stays_without_default(line, capsys):
    menus = line.richmenus
    assert await run("--default") == 0  # as an earlier version of the command did
    old = menus.default
    assert await run() == 0
    new = menus.aliases["meguro-ichiji-hoiku"]
    assert new != old and menus.default == old
    assert set(menus.menus) == {old, new, menus.aliases[EN]}
    assert f"left in place: the older menu {old} is the account's default" in (
        capsys.readouterr().out
    )


async def test_an_older_menu_another_alias_names_is_kept(line, capsys):
    menus = line.richmenus
    assert await run() == 0
    old = menus.aliases["meguro-ichiji-hoiku"]
    menus.aliases["ichiji-hoiku-old"] = old  # a renamed alias left behind
    assert await run() == 0
    assert len(menus.menus) == 3 and no_alias_names_a_deleted_menu(menus)
    assert "is named by alias ichiji-hoiku-old" in capsys.readouterr().out


async def test_link_links_it_to_that_user_only(line, capsys):
    menus = line.richmenus
    city = menus.add_city_menu()
    assert await run("--link", "U123") == 0
    new = menus.aliases["meguro-ichiji-hoiku"]
    assert menus.links == {"U123": new}
    assert menus.menu_for("U123") == new
    assert menus.menu_for("U999") == city == menus.default
    assert "linked to user U123 only (--link)" in capsys.readouterr().out


async def test_a_refused_alias_leaves_no_new_menu_behind(line, capsys):
    menus = line.richmenus
    city = menus.add_city_menu()
    for n in range(MAX_ALIASES - 1):  # the channel's aliases are all used up
        menus.aliases[f"other-{n}"] = city
    assert await run("--default", "--link", "U123") == 1
    err = capsys.readouterr().err
    assert err.startswith("richmenu: LINE refused the alias meguro-ichiji-hoiku:")
    assert err.rstrip().endswith(f"was deleted, the default given back to {city}")
    assert len(err.splitlines()) == 1
    assert set(menus.menus) == {city}
    assert menus.default == city  # the default --default had set is given back
    assert menus.links == {} and "meguro-ichiji-hoiku" not in menus.aliases


async def test_a_refused_image_leaves_no_new_menu_and_the_alias_where_it_was(
    line, monkeypatch, capsys
):
    menus = line.richmenus
    assert await run() == 0
    before = dict(menus.aliases)
    small = io.BytesIO()
    Image.new("RGB", (2500, 843)).save(small, format="PNG")  # not the menu's size
    monkeypatch.setattr(richmenu, "draw", lambda config, font: small.getvalue())
    assert await run() == 1
    err = capsys.readouterr().err
    assert err.startswith("richmenu: LINE refused the image (ja):") and "was deleted" in err
    assert set(menus.menus) == set(before.values()) and menus.aliases == before


async def test_a_menu_line_refuses_is_not_created(line, monkeypatch, capsys):
    real = menu_layout.menu_json

    def too_wide(config: AppConfig) -> dict[str, Any]:
        menu = real(config)
        menu["areas"][2]["bounds"]["width"] += 10  # beyond the image's right edge
        return menu

    monkeypatch.setattr(richmenu, "menu_json", too_wide)
    assert await run() == 1
    assert "LINE refused the menu" in capsys.readouterr().err
    assert line.richmenus.menus == {} and line.richmenus.default is None
    assert line.richmenus.aliases == {}


# -- the stand-in keeps LINE's rules -------------------------------------------------------
def test_the_stand_in_checks_what_line_checks():
    menu = menu_layout.menu_json(load_config())
    assert problems(menu) == []
    assert problems({**menu, "chatBarText": "あ" * 15}) == [
        "chatBarText must be 1 to 14 characters"
    ]
    assert problems({**menu, "areas": menu["areas"] * 6}) == ["areas must hold 1 to 20 areas"]
    assert problems({**menu, "size": {"width": 2500, "height": 2000}})
    strip = menu["areas"][0]
    for change, problem in [
        ({"richMenuAliasId": None}, "richMenuAliasId must be 1 to 32 characters"),
        ({"richMenuAliasId": "Meguro City"}, "richMenuAliasId must be 1 to 32 characters"),
        ({"data": None}, "data must be 1 to 300 characters"),
        ({"data": "d" * 301}, "data must be 1 to 300 characters"),
        ({"label": "あ" * 21}, "label must be at most 20 characters"),
    ]:
        action = {k: v for k, v in {**strip["action"], **change}.items() if v is not None}
        bad = {**menu, "areas": [{**strip, "action": action}, *menu["areas"][1:]]}
        [found] = problems(bad)
        assert found.startswith("areas[0].action.") and problem in found


async def test_the_stand_ins_alias_and_user_endpoints_answer_as_line_does(line):
    menus = line.richmenus
    city = menus.add_city_menu()
    bare = "richmenu-bare"
    menus.menus[bare] = {**menus.menus[city], "richMenuId": bare}  # no image yet
    headers = {"Authorization": "Bearer test-token"}
    async with aiohttp.ClientSession(line.url + "/v2/bot/", headers=headers) as http:

        async def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
            async with http.request(method, path, json=body) as r:
                return r.status, await r.json()

        assert await call("GET", "richmenu/alias/list") == (
            200,
            {"aliases": [{"richMenuAliasId": "meguro-city-menu", "richMenuId": city}]},
        )
        assert await call("GET", "richmenu/alias/meguro-city-menu") == (
            200,
            {"richMenuAliasId": "meguro-city-menu", "richMenuId": city},
        )
        assert (await call("GET", "richmenu/alias/nothing"))[0] == 404
        for body in [
            {"richMenuAliasId": "meguro-city-menu", "richMenuId": city},  # taken
            {"richMenuAliasId": "x" * 33, "richMenuId": city},
            {"richMenuAliasId": "Upper", "richMenuId": city},
            {"richMenuAliasId": "new", "richMenuId": "richmenu-unknown"},
            {"richMenuAliasId": "new", "richMenuId": bare},
        ]:
            assert (await call("POST", "richmenu/alias", body))[0] == 400, body
        assert await call(
            "POST", "richmenu/alias", {"richMenuAliasId": "content", "richMenuId": city}
        ) == (200, {})
        # "content" and "list" reach the alias routes, not a menu's
        assert (await call("POST", "richmenu/alias/content", {"richMenuId": city}))[0] == 200
        assert (await call("POST", "richmenu/alias/nothing", {"richMenuId": city}))[0] == 404
        assert (await call("POST", "richmenu/alias/content", {"richMenuId": bare}))[0] == 400
        assert await call("DELETE", "richmenu/alias/content") == (200, {})
        assert "content" not in menus.aliases
        # per-user menus
        assert (await call("GET", "user/U1/richmenu"))[0] == 404
        assert (await call("POST", f"user/U1/richmenu/{bare}"))[0] == 400
        assert (await call("POST", "user/U1/richmenu/richmenu-unknown"))[0] == 404
        assert await call("POST", f"user/U1/richmenu/{city}") == (200, {})
        assert await call("GET", "user/U1/richmenu") == (200, {"richMenuId": city})
        assert menus.links == {"U1": city} and menus.default == city
        assert await call("DELETE", "user/U1/richmenu") == (200, {})
        assert menus.links == {}
        # the default's routes are still the default's ("all" is not a user)
        assert await call("GET", "user/all/richmenu") == (200, {"richMenuId": city})
        # deleting a menu unlinks its users; an alias naming it is left naming nothing
        await call("POST", f"user/U1/richmenu/{city}")
        assert await call("DELETE", f"richmenu/{city}") == (200, {})
        assert menus.links == {} and menus.default is None
        assert not no_alias_names_a_deleted_menu(menus)
