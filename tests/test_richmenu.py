"""`python -m bot richmenu`: the image and menu LINE gets, set up against the LINE stand-in."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
import yaml
from PIL import Image

from bot.cli import main
from bot.line import richmenu
from domain.config import AppConfig, ConfigError, load_config
from qa.standin import LineStandIn
from qa.standin_richmenu import problems


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


def raw_config() -> dict[str, Any]:
    return yaml.safe_load(open("config.yaml", encoding="utf-8"))


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
    texts = [a["action"]["text"] for a in menu["areas"]]
    assert texts == ["児童の登録", "予約をする", "予約を取り消す", "区ウェブサイトで概要を確認する"]
    assert all(t in config.keywords for t in texts)
    # the areas tile the image, and each shows its item's colour where it is tapped
    assert sum(a["bounds"]["width"] * a["bounds"]["height"] for a in menu["areas"]) == 2500 * 1686
    for area, item in zip(menu["areas"], config.rich_menu.items, strict=True):
        b = area["bounds"]
        at = (b["x"] + b["width"] // 10, b["y"] + b["height"] // 2)
        assert image.convert("RGB").getpixel(at) == richmenu._rgb(item.color)
    # the labels are drawn: light text pixels in the middle of each area
    for area, item in zip(menu["areas"], config.rich_menu.items, strict=True):
        b = area["bounds"]
        middle = image.crop(
            (b["x"], b["y"] + b["height"] // 3, b["x"] + b["width"], b["y"] + 2 * b["height"] // 3)
        )
        colours = {c for _, c in middle.convert("RGB").getcolors(1 << 20)}
        assert richmenu._rgb(item.text_color) in colours
    assert "richmenu.png" in capsys.readouterr().out


def test_a_compact_menu_is_one_row_and_a_website_item_may_open_the_page():
    raw = raw_config()
    raw["rich_menu"]["size"] = "compact"
    raw["rich_menu"]["items"][3]["link"] = "website"
    config = AppConfig.model_validate(raw)
    menu = richmenu.menu_json(config)
    assert menu["size"] == {"width": 2500, "height": 843}
    assert [a["bounds"]["y"] for a in menu["areas"]] == [0, 0, 0, 0]
    assert [a["bounds"]["width"] for a in menu["areas"]] == [625, 625, 625, 625]
    assert menu["areas"][3]["action"] == {
        "type": "uri",
        "label": "区ウェブサイトで概要を確認する",
        "uri": config.website_url,
    }
    png = richmenu.draw(config, richmenu.find_font())
    assert Image.open(io.BytesIO(png)).size == (2500, 843)


def test_config_refuses_a_menu_line_would_refuse(tmp_path):
    for change, key in [
        (lambda m: m.update(chat_bar_text="一時保育の予約はこちらのメニュー"), "chat_bar_text"),
        (lambda m: m["items"].extend([m["items"][0]] * 17), "items"),
        (lambda m: m["items"][0].update(label="こんにちは"), "rich_menu"),
        (lambda m: m["items"][0].update(color="orange"), "color"),
    ]:
        raw = raw_config()
        change(raw["rich_menu"])
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        with pytest.raises(ConfigError, match=key):
            load_config(path)


def test_no_japanese_font_is_a_clear_message(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(richmenu, "_fontconfig_japanese", lambda: [])
    monkeypatch.setattr(richmenu, "FONT_DIR", tmp_path)
    assert main(["richmenu", "--dry-run", "--out", str(tmp_path)]) == 1
    assert "no Japanese font found: install fonts-noto-cjk" in capsys.readouterr().err
    assert not (tmp_path / "richmenu.png").exists()


async def test_set_up_twice_leaves_one_default_menu_with_its_image(line, capsys):
    assert await asyncio.to_thread(main, ["richmenu"]) == 0
    menus = line.richmenus
    first = menus.default
    assert first is not None and list(menus.menus) == [first]
    assert Image.open(io.BytesIO(menus.images[first])).size == (2500, 1686)
    assert await asyncio.to_thread(main, ["richmenu"]) == 0
    assert menus.default not in (None, first)
    assert list(menus.menus) == [menus.default]  # the one it replaced is gone
    assert menus.validated == 2
    assert menus.menus[menus.default]["chatBarText"] == "一時保育メニュー"
    assert f"deleted the menu it replaces: {first}" in capsys.readouterr().out


async def test_a_default_menu_made_otherwise_is_kept(line, capsys):
    other = {
        "size": {"width": 2500, "height": 843},
        "selected": False,
        "name": "目黒区メインメニュー",
        "chatBarText": "メニュー",
        "areas": [
            {
                "bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                "action": {"type": "message", "text": "子育て"},
            }
        ],
    }
    line.richmenus.menus["richmenu-city"] = {**other, "richMenuId": "richmenu-city"}
    line.richmenus.images["richmenu-city"] = b"png"
    line.richmenus.default = "richmenu-city"
    assert await asyncio.to_thread(main, ["richmenu"]) == 0
    assert line.richmenus.default != "richmenu-city"
    assert set(line.richmenus.menus) == {"richmenu-city", line.richmenus.default}
    assert "left in place, no longer the default" in capsys.readouterr().out


async def test_a_menu_line_refuses_is_not_created(line, monkeypatch, capsys):
    real = richmenu.menu_json

    def too_wide(config: AppConfig) -> dict[str, Any]:
        menu = real(config)
        menu["areas"][1]["bounds"]["width"] += 10  # beyond the image's right edge
        return menu

    monkeypatch.setattr(richmenu, "menu_json", too_wide)
    assert await asyncio.to_thread(main, ["richmenu"]) == 1
    assert "LINE refused the menu" in capsys.readouterr().err
    assert line.richmenus.menus == {} and line.richmenus.default is None


def test_the_stand_in_checks_what_line_checks():
    menu = richmenu.menu_json(load_config())
    assert problems(menu) == []
    assert problems({**menu, "chatBarText": "あ" * 15}) == [
        "chatBarText must be 1 to 14 characters"
    ]
    assert problems({**menu, "areas": menu["areas"] * 6}) == ["areas must hold 1 to 20 areas"]
    assert problems({**menu, "size": {"width": 2500, "height": 2000}})
