"""Every console form, walked in a real browser with values out of range: each is sent
with its browser-side limits taken off (what an old browser or a hand-made request
sends) and the page that answers says why in Japanese, with no English or internal
word in it. Without JavaScript, so each form answers with a page of its own."""

from __future__ import annotations

import re

import pytest

from tests.console_support import Console
from tests.interview_support import at, registration

# Words that are staff's own: the LINE app, CSV files for Excel, ログインID, login names.
ALLOWED = re.compile(r"LINE|CSV|Excel|ID|futaba\d|angel\d|city\d")
ENGLISH = re.compile(r"[A-Za-z]{2,}")
GARBAGE = ("999999", "あいう", "")

UNLOCK = """form => {
  for (const el of form.querySelectorAll("input:not([type=hidden]):not([hidden]), textarea")) {
    for (const a of ["min", "max", "required", "pattern", "minlength", "maxlength", "step"]) {
      el.removeAttribute(a);
    }
    if (!["checkbox", "radio", "submit"].includes(el.type)) { el.type = "text"; }
  }
  for (const el of form.querySelectorAll("select")) {
    el.removeAttribute("required");
    const odd = document.createElement("option");
    odd.value = "999999"; odd.textContent = "?"; el.appendChild(odd); el.value = "999999";
  }
}"""


async def _english_after_each_form(console: Console, path: str) -> list[str]:
    """Submit every form of the page at `path` once per garbage value; what English the
    answering page's main text held, per form and value."""
    page = console.page
    await page.goto(console.url(path))
    found = []
    actions = await page.locator("main form").evaluate_all(
        "forms => forms.map(f => (f.getAttribute('action') || '') + ' ' + f.textContent.trim())"
    )
    firsts = [i for i, a in enumerate(actions) if a not in actions[:i]]  # one per kind of row
    for i in firsts:
        for value in GARBAGE:
            await page.goto(console.url(path))
            if await page.locator("main form").count() <= i:
                break  # an earlier value was taken: the form acted and is gone
            form = page.locator("main form").nth(i)
            await form.evaluate(UNLOCK)
            for field in await form.locator("input[type=text]:not([hidden]), textarea").all():
                await field.fill(value)
            buttons = form.locator("button:not([type=button])")
            if await buttons.count():
                await buttons.first.click()
            else:  # a search field, sent with Enter
                async with page.expect_navigation():
                    await form.evaluate("f => f.submit()")
            await page.wait_for_load_state()
            text = ALLOWED.sub("", await page.locator("main").inner_text())
            words = ENGLISH.findall(text)
            if words:
                found.append(f"{path} form {i} with {value!r}: {words}")
    return found


@pytest.mark.slow
async def test_every_console_form_refuses_bad_values_in_japanese(console):
    h = console.h
    bot = h.bot
    reg = await registration(bot, "U1", child="目黒 太郎")
    await registration(bot, "U2", child="碑文谷 次郎")
    slot = await bot.staff.interviews.add_interview_slot("futaba", at("2024-04-24T10:00"))
    assert slot
    await bot.staff.interviews.add_interview_slot("futaba", at("2024-04-25T10:00"))
    [s] = [x for x in await bot.repos.interviews.all("futaba") if x.at == at("2024-04-24T10:00")]
    assert await bot.repos.interviews.book(s.id, reg.id)
    await bot.staff.bookings.phone_booking(
        "futaba", "2024-04-26", 9, 11, "電話 花子", unregistered=True, phone="03-5555-0001"
    )
    await console.open(javascript=False)  # plain forms: every one answers with a page
    await console.login("futaba1")
    found = []
    for page in (
        "day",
        "calendar",
        "slots",
        "waiting",
        "registrations",
        f"registration/{reg.id}",
        "bookings",
        "calls",
    ):
        found += await _english_after_each_form(console, f"/staff/n/futaba/{page}")
    city = Console(h, console.browser)
    await city.open(javascript=False)
    await city.login("city1")
    for path in ("/staff/log", "/staff/accounts", "/staff/password"):
        found += await _english_after_each_form(city, path)
    assert found == [], "\n".join(found)
