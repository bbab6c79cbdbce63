"""The browser chat's LINE language: a user whose LINE is in English is answered in English
from the first event; changing it after that sends the switch word as a parent would; the
saved replay carries `language: en` and replays green. The bot links the English rich menu
to an English user, as on LINE, and unlinks it after `日本語`: the city's menu again."""

from __future__ import annotations

from typing import Any

import aiohttp
import yaml
from playwright.async_api import Browser, expect

from bot.context import Settings
from qa.webchat.app import WEBCHAT
from tests.webchat_support import (
    answered,
    choices,
    choose,
    groups,
    menu_area,
    open_page,
    running,
    say,
    shot,
    tap,
)

API = "/webchat/api"
EN_MENU = "meguro-ichiji-hoiku-en"


async def _post(s: aiohttp.ClientSession, url: str, path: str, body: dict[str, Any]) -> Any:
    async with s.post(url + API + path, json=body) as r:
        return r.status, await r.json()


def _texts(log: list[dict[str, Any]]) -> list[str]:
    """What the bot said: each text, and each flex message's alt text."""
    bot = [m for e in log if e["kind"] == "bot" for m in e["messages"]]
    return [m.get("text") or m.get("altText", "") for m in bot]


async def test_an_english_users_chat_is_in_english_and_its_replay_says_so() -> None:
    async with running(Settings()) as (url, app), aiohttp.ClientSession() as s:
        room = app[WEBCHAT]
        assert await _post(s, url, "/users/parent/language", {"language": "fr"}) == (
            400,
            {"error": "the LINE language is one of: ja, en"},
        )
        assert (await _post(s, url, "/users/parent/language", {"language": "en"}))[0] == 200
        assert room.user("parent").language == "en"
        start = room.menus.start
        assert start is not None and room.menu_of(room.user("parent")) == start
        await _post(s, url, "/users/parent/say", {"text": "Register a child"})
        assert any("Please choose the nursery" in t for t in _texts(room.user("parent").log))
        # the bot linked the English menu to the parent, through the LINE stand-in
        assert room.menu_of(room.user("parent")) == EN_MENU
        assert room.menu_of(room.user("spouse")) == start  # others keep the account's
        labels = [a["text"] for a in room.menus.by_alias[EN_MENU]["areas"]]
        assert labels[1:4] == ["Register a child", "Book childcare", "Cancel a booking"]
        hello = room.snapshot()  # what the page is sent
        assert {"name": "parent", "menu": EN_MENU}.items() <= hello["users"][0].items()
        assert EN_MENU in hello["menus"]

        # later, LINE's language is no longer read: the page sends the switch word
        await _post(s, url, "/users/parent/language", {"language": "ja"})
        said = [e["text"] for e in room.user("parent").log if e["kind"] == "user"]
        assert said[-1] == "日本語"
        assert "郵便番号" not in "".join(_texts(room.user("parent").log))  # not asked yet
        assert "利用希望の保育園を選んでください" in _texts(room.user("parent").log)[-1]
        assert room.menu_of(room.user("parent")) == start  # unlinked: the city's menu
        notes = [e["text"] for e in room.user("parent").log if e["kind"] == "menu"]
        assert notes == [
            "menu → Childcare menu · set by the bot",
            "menu → 目黒区メニュー · set by the bot",
        ]

        async with s.get(url + API + "/replay.yaml") as r:
            script = await r.text()
        data = yaml.safe_load(script)
        assert data["language"] == "en"
        assert {"say": "日本語"} in data["steps"]
        async with s.post(url + API + "/replay?name=en.yaml", data=script.encode()) as r:
            ran = await r.json()
        assert ran["passed"], ran["report"]


async def test_an_english_parent_registers_in_the_browser(browser: Browser) -> None:
    problems: list[str] = []
    async with running(Settings()) as (url, _app):
        page = await open_page(browser, url, problems)
        await page.locator("#user-language").select_option("en")
        await expect(page.locator("#users .user.current")).to_contain_text("EN")
        await page.locator("#overlay-button").click()
        await expect(groups(page)).to_have_count(1)
        await expect(groups(page).last).to_contain_text("Thank you for adding us as a friend")
        # the bot linked the English menu to the parent: LINE shows it in place of the city's
        nav = page.locator("#richmenu")
        await expect(nav).to_have_attribute("data-menu", EN_MENU)
        await expect(page.locator("#chatbar")).to_contain_text("Childcare menu")
        for label in ["Back to city menu", "Register a child", "Book childcare"]:
            await expect(menu_area(page, label)).to_be_visible()
        await shot(page, "18-english-menu")
        n = await groups(page).count()
        await menu_area(page, "Register a child").click()
        await answered(page, n)
        await shot(page, "17-english-nurseries")
        await choose(page, (await choices(page)).filter(has_text="Futaba no Sono"))
        for text in ["Emily Sato", "153-0061", "1-1-1 Nakameguro, Meguro-ku, Tokyo"]:
            await say(page, text)
        await say(page, "03-1234-5678")
        await say(page, "佐藤 エマ")
        await say(page, "サトウ エマ")
        await say(page, "2022-06-15")
        await tap(page, "Girl")
        await expect(groups(page).last).to_contain_text("Register your child with these details?")
        await expect(page.locator("#quick .chip")).to_have_count(2)
        await shot(page, "16-english")
        async with page.expect_download() as info:
            await page.locator("#save-replay").click()
        path = await (await info.value).path()
        script = yaml.safe_load(path.read_text(encoding="utf-8") if path else "")
        assert script["language"] == "en"
        assert {"tap": "Girl"} in script["steps"]
    assert problems == []
