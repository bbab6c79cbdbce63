"""`python -m bot richmenu` in two languages: the English menu beside the Japanese one, drawn
with its own labels, set up with it all or nothing."""

from __future__ import annotations

import io
import json

from PIL import Image

from bot.cli import main
from bot.line import menu_image, richmenu
from domain.config import AppConfig
from domain.config_file import load_config
from qa.standin_richmenu import problems
from tests.test_richmenu import EN, colours, items_of, line, no_alias_names_a_deleted_menu, run

__all__ = ["line"]  # the fixture


def test_dry_run_writes_each_languages_menu_and_both_switch_actions(tmp_path, capsys):
    assert main(["richmenu", "--dry-run", "--out", str(tmp_path)]) == 0
    english = load_config().in_language("en")
    assert english.rich_menu is not None
    menu = json.loads((tmp_path / "richmenu-en.json").read_text(encoding="utf-8"))
    japanese = json.loads((tmp_path / "richmenu.json").read_text(encoding="utf-8"))
    assert problems(menu) == [] and menu["name"] != japanese["name"]
    assert menu["chatBarText"] == "Childcare menu"
    texts = [a["action"]["text"] for a in items_of(menu) if a["action"]["type"] == "message"]
    assert texts == ["Register a child", "Book childcare", "Cancel a booking", "City website"]
    assert all(t in english.keywords for t in texts)  # the bot knows each English button
    # the same layout as the Japanese menu, the back strip to the same city menu
    assert [a["bounds"] for a in menu["areas"]] == [a["bounds"] for a in japanese["areas"]]
    assert menu["areas"][0]["action"]["label"] == "Back to city menu"
    assert menu["areas"][0]["action"]["richMenuAliasId"] == "meguro-city-menu"
    switch = json.loads((tmp_path / "richmenu-switch-en.json").read_text(encoding="utf-8"))
    assert switch["richMenuAliasId"] == EN
    out = capsys.readouterr().out
    assert json.dumps(switch, ensure_ascii=False) in out.splitlines()
    assert "richmenu-en.png" in out


def test_the_english_image_has_its_labels_in_each_area(tmp_path):
    config = load_config()
    english = config.in_language("en")
    assert english.rich_menu is not None
    font = menu_image.find_font()
    png, japanese = menu_image.draw(english, font), menu_image.draw(config, font)
    assert png != japanese and len(png) <= 1024 * 1024
    image = Image.open(io.BytesIO(png))
    assert image.size == (2500, 1686)
    menu = json.loads(json.dumps(richmenu.menu_json(english)))
    for area, item in zip(items_of(menu), english.rich_menu.items, strict=True):
        b = area["bounds"]
        middle = dict(b, y=b["y"] + b["height"] // 3, height=b["height"] // 3)
        assert menu_image.rgb(item.text_color) in colours(image, middle)
        # nothing drawn beyond the area's own rounded box: its margins keep the background
        edge = dict(b, width=menu_image.GAP // 2)
        assert colours(image, edge) <= {menu_image.rgb(english.rich_menu.background)}


def test_english_labels_break_between_words():
    assert menu_image._choices("Register a child")[1] == ["Register", "a child"]
    assert menu_image._choices("Resume interview booking")[1] == ["Resume interview", "booking"]
    assert menu_image._choices("予約を取り消す")[1] == ["予約を取", "り消す"]


async def test_both_menus_are_set_up_each_under_its_alias(line, capsys):
    menus = line.richmenus
    assert await run("--link", "U1", "--link-language", "en") == 0
    ja, en = menus.aliases["meguro-ichiji-hoiku"], menus.aliases[EN]
    assert menus.menus[en]["name"] == "Temporary childcare menu (English)"
    assert menus.links == {"U1": en}  # --link-language picks the menu --link links
    assert menus.images[en] != menus.images[ja]
    out = capsys.readouterr().out
    assert f"alias {EN} now names {en} (created)" in out
    assert '"richMenuAliasId": "meguro-ichiji-hoiku-en"' in out


async def test_a_refused_english_menu_undoes_the_japanese_one_too(line, monkeypatch, capsys):
    menus = line.richmenus
    city = menus.add_city_menu()
    assert await run() == 0
    before, kept = dict(menus.aliases), set(menus.menus)
    small = io.BytesIO()
    Image.new("RGB", (2500, 843)).save(small, format="PNG")  # not the menu's size
    real = richmenu.draw

    def english_too_small(config: AppConfig, font) -> bytes:  # type: ignore[no-untyped-def]
        english = config.rich_menu is not None and config.rich_menu.alias == EN
        return small.getvalue() if english else real(config, font)

    monkeypatch.setattr(richmenu, "draw", english_too_small)
    assert await run("--default") == 1
    err = capsys.readouterr().err
    assert err.startswith("richmenu: LINE refused the image (en):")
    assert err.rstrip().endswith(f"were deleted, the default given back to {city}")
    # the Japanese alias, moved already, named its older menu again; nothing new is left
    assert menus.aliases == before and set(menus.menus) == kept
    assert menus.default == city and no_alias_names_a_deleted_menu(menus)


async def test_an_unknown_link_language_is_refused(line, capsys):
    assert await run("--link", "U1", "--link-language", "fr") == 1
    assert "--link-language fr: no menu in that language" in capsys.readouterr().err
    assert line.richmenus.menus == {}
