"""The browser chat on loopback, and Debian's Chromium driven by Playwright (never downloaded)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web
from playwright.async_api import Browser, Page, expect

from bot.context import Settings
from bot.serve import serve_app

SHOTS = Path(__file__).resolve().parents[1] / "reports" / "webchat"
CSP = "default-src 'self'"

expect.set_options(timeout=20_000)


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[str, web.Application]]:
    """The app `serve` runs, under a `default-src 'self'` Content-Security-Policy."""
    app = serve_app(settings)

    async def csp(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Content-Security-Policy"] = CSP

    app.on_response_prepare.append(csp)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        await runner.cleanup()


async def open_page(b: Browser, url: str, problems: list[str]) -> Page:
    """The chat page; console errors and CSP refusals are collected in `problems`."""
    page = await b.new_page(viewport={"width": 1280, "height": 940}, locale="ja-JP")
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    await page.goto(url + "/")
    await expect(page.locator("#richmenu .menu-area").first).to_be_visible()
    return page


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.locator(".phone").screenshot(path=str(SHOTS / f"{name}.png"), animations="disabled")


def groups(page: Page) -> Any:
    return page.locator("#messages .bot-group")


async def answered(page: Page, before: int) -> None:
    """Until the bot's answer to the last step is on screen."""
    await expect(groups(page)).to_have_count(before + 1)
    await expect(page.locator("body.busy")).to_have_count(0)


async def say(page: Page, text: str) -> None:
    n = await groups(page).count()
    await page.locator("#text").fill(text)
    await page.locator("#text").press("Enter")
    await answered(page, n)


async def tap(page: Page, label: str, within: str | None = None) -> None:
    """Tap the latest button labelled `label` (in the message or bubble containing `within`)."""
    n = await groups(page).count()
    if within is not None:
        scope = (
            page.locator("#messages .fx-bubble, #messages .tp-card").filter(has_text=within).last
        )
    elif await page.locator("#quick").get_by_role("button", name=label, exact=True).count():
        scope = page.locator("#quick")
    else:
        scope = groups(page).last
    await scope.get_by_role("button", name=label, exact=True).last.click()
    await answered(page, n)


def menu_area(page: Page, label: str) -> Any:
    """The area of the menu on screen whose drawn text is `label` (line breaks left out)."""
    return page.locator("#richmenu .menu-area", has_text=re.compile(f"^{re.escape(label)}$"))


async def switch(page: Page, label: str) -> None:
    """Tap a `richmenuswitch` area of the menu on screen: until the other menu is shown and
    the bot has had the postback (it answers nothing)."""
    nav = page.locator("#richmenu")
    before = await nav.get_attribute("data-menu")
    n = await groups(page).count()
    notes = page.locator("#messages .menu-note")
    seen = await notes.count()
    area = menu_area(page, label)
    await expect(area).to_have_attribute("data-action-type", "richmenuswitch")
    await area.click()
    await expect(nav).not_to_have_attribute("data-menu", before or "")
    await expect(notes).to_have_count(seen + 1)
    await expect(notes.last).to_contain_text("no reply")
    await expect(page.locator("body.busy")).to_have_count(0)
    await expect(groups(page)).to_have_count(n)


async def open_bot_menu(page: Page) -> None:
    """The 一時保育 menu on screen: from the city's menu (a stand-in) through 子育て and
    一時保育の予約, as the manual tells a parent."""
    if await menu_area(page, "児童の登録").count():
        return
    if not await menu_area(page, "一時保育の予約").count():
        await switch(page, "子育て")
    await switch(page, "一時保育の予約")


async def menu(page: Page, label: str) -> None:
    """Tap the 一時保育 menu's area `label` (opening that menu first if needed)."""
    await open_bot_menu(page)
    n = await groups(page).count()
    await menu_area(page, label).click()
    await answered(page, n)


async def choices(page: Page) -> Any:
    """The buttons offered by the latest answer: its quick replies, or else its buttons."""
    chips = page.locator("#quick .chip")
    if await chips.count():
        return chips
    return groups(page).last.get_by_role("button")


async def choose(page: Page, button: Any) -> str:
    """Tap one of `choices`; returns its label."""
    label = await button.inner_text()
    n = await groups(page).count()
    await button.click()
    await answered(page, n)
    return label
