"""The staff console's browser tests: the real app on loopback (with the LINE stand-in),
headless Debian Chromium driven by Playwright's async API on the test's event loop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page

from bot.staff.operation import jsonable
from qa.harness import Harness

SHOTS = Path(__file__).resolve().parent.parent / "reports" / "staff-console"
PASSWORD = "correct horse battery"
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1280, "height": 900}
# The run's first store (tests/conftest.py): a test run on both stores draws the same pages
# twice, so only this store's run saves them.
SHOTS_STORE = {"kind": "memory"}


async def add_accounts(h: Harness) -> None:
    now = h.bot.services.now()
    accounts = h.bot.repos.accounts
    await accounts.add("futaba1", "futaba", "双葉 一郎", PASSWORD, now)
    await accounts.add("angel1", "angelica", "天使 花子", PASSWORD, now)
    await accounts.add("city1", "city", "区 職員", PASSWORD, now)


class Console:
    """One browser tab on the console of the harness `h`."""

    def __init__(self, h: Harness, browser: Browser) -> None:
        self.h = h
        self.browser = browser
        self.page: Page = None  # type: ignore[assignment]
        self.dialogs: list[str] = []  # what each confirmation dialog asked (staff press OK)

    async def open(self, viewport: dict[str, int] = TABLET, javascript: bool = True) -> Page:
        context = await self.browser.new_context(
            viewport=viewport, locale="ja-JP", java_script_enabled=javascript
        )
        self.page = await context.new_page()
        self.page.set_default_timeout(10_000)
        self.page.on("dialog", self._dialog)
        return self.page

    async def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        await dialog.accept()

    def url(self, path: str) -> str:
        return self.h.url + path

    async def login(self, login: str, password: str = PASSWORD) -> Page:
        if self.page is None:
            await self.open()
        page = self.page
        await page.goto(self.url("/staff/login"))
        await page.get_by_label("ログインID").fill(login)
        await page.get_by_label("パスワード").fill(password)
        await page.get_by_role("button", name="ログイン").click()
        await page.wait_for_load_state()
        return page

    async def shot(self, name: str) -> None:
        """The page as a tablet (768 px) and a desktop (1280 px) show it; on the tablet
        nothing on it may need scrolling sideways (a button off the edge goes unseen)."""
        if self.h.store.kind != SHOTS_STORE["kind"]:
            return
        SHOTS.mkdir(parents=True, exist_ok=True)
        page = self.page
        await page.set_viewport_size(TABLET)
        assert await self.sideways() == [], f"{name}: wider than a tablet"
        for label, size in (("tablet", TABLET), ("desktop", DESKTOP)):
            await page.set_viewport_size(size)
            await page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
        await page.set_viewport_size(TABLET)

    async def sideways(self) -> list[str]:
        """What on the page needs scrolling sideways at its width: each scrolling box
        (`.scroll`) wider than it shows, and the page itself."""
        return await self.page.evaluate(
            """() => [...document.querySelectorAll('.scroll')]
                .filter(box => box.scrollWidth > box.clientWidth)
                .map(box => `${box.firstElementChild?.className || 'box'}: `
                    + `${box.scrollWidth}px in ${box.clientWidth}px`)
                .concat(document.scrollingElement.scrollWidth > innerWidth
                    ? [`page: ${document.scrollingElement.scrollWidth}px`] : [])"""
        )

    async def fits(self, selector: str) -> bool:
        """The element fits the page's width: its scrolling box (`.scroll`) need not scroll
        sideways to show every column."""
        return await self.page.locator(selector).evaluate(
            "el => { const box = el.closest('.scroll') || el;"
            " return box.scrollWidth <= box.clientWidth; }"
        )

    async def flash(self) -> str:
        return (await self.page.locator(".flash").first.inner_text()).strip()

    async def post(self, path: str, form: dict[str, Any]) -> tuple[int, str]:
        """A form POST from inside the page (its cookies; no token unless `form` has one)."""
        return await self.page.evaluate(
            """async ([url, form]) => {
                const body = new URLSearchParams(form);
                const r = await fetch(url, {method: "POST", body, redirect: "manual"});
                return [r.status, await r.text()];
            }""",
            [self.url(path), form],
        )

    async def csrf(self) -> str:
        return await self.page.locator("input[name=csrf]").first.get_attribute("value") or ""


async def day_seats(bot: Any, nursery: str, day: str) -> dict[str, Any]:
    """A day's seats as plain data."""
    return jsonable(await bot.staff.bookings.day_seats(nursery, day))


async def roster(bot: Any, nursery: str, day: str) -> list[dict[str, Any]]:
    return jsonable(await bot.staff.bookings.roster(nursery, day))
