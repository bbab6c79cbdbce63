"""The browser chat in headless Chromium: a parent's whole journey, live pushes, LINE's limits.

Runs the app `./scripts/serve` runs (no LINE channel: the chat is at `/`, demo data
on), under a `default-src 'self'` Content-Security-Policy. Screenshots of the
phone at each stage go to reports/webchat/.
"""

from __future__ import annotations

import aiohttp
import pytest
import yaml
from playwright.async_api import Browser, expect

from bot.context import BOT, Settings
from qa.webchat.app import WEBCHAT
from tests.webchat_support import (
    choices,
    choose,
    groups,
    menu,
    menu_area,
    open_page,
    running,
    say,
    shot,
    switch,
    tap,
)

CHILD = "目黒 太郎"
NURSERY = "双葉の園保育園"


@pytest.mark.slow
async def test_a_parent_registers_books_the_interview_is_cleared_books_and_cancels(
    browser: Browser,
) -> None:
    problems: list[str] = []
    async with running(Settings()) as (url, app):
        page = await open_page(browser, url, problems)
        today = app[BOT].services.today()

        # not yet a friend: adding the account greets with the menu
        await expect(page.locator("#overlay-button")).to_have_text("Add friend")
        await shot(page, "00-not-a-friend")
        await page.locator("#overlay-button").click()
        await expect(groups(page)).to_have_count(1)
        await expect(page.locator("#quick .chip")).to_have_count(4)
        await shot(page, "01-greeting")

        # registration: the rich menu, a tap, typing, the date picker
        await menu(page, "児童の登録")
        await tap(page, NURSERY)
        for text in ["目黒 花子", "153-0061", "東京都目黒区中目黒1-1-1", "03-1234-5678", CHILD]:
            await say(page, text)
        await say(page, "めぐろ たろう")
        picker = page.locator("#quick .chip.is-picker")
        await expect(picker).to_have_count(1)
        await picker.click()
        date_input = page.locator("#picker-date")
        await expect(date_input).to_be_visible()
        assert await date_input.get_attribute("max") == today.isoformat()  # bounded as LINE's
        born = today.replace(year=today.year - 3, day=1)
        await shot(page, "02-date-picker")
        n = await groups(page).count()
        await date_input.fill(born.isoformat())
        await page.locator("#picker-ok").click()
        await expect(groups(page)).to_have_count(n + 1)
        await tap(page, "男")
        await expect(groups(page).last).to_contain_text("メグロ タロウ")
        await shot(page, "03-registration-summary")
        await tap(page, "はい")

        # the interview: the child, the first demo slot, confirm
        await tap(page, f"{CHILD}/{NURSERY}")
        await choose(page, (await choices(page)).first)
        await tap(page, "はい")
        await expect(groups(page).last).to_contain_text("面談を予約しました")
        await shot(page, "04-interview-booked")

        # staff clear the child from the demo panel: the push appears live in the phone
        row = page.locator(".waiting-row", has_text=CHILD)
        await expect(row).to_contain_text(NURSERY)
        n = await groups(page).count()
        await row.get_by_role("button").click()
        pushed = groups(page).nth(n)
        await expect(pushed).to_contain_text("利用可能")
        await expect(pushed).to_have_attribute("data-via", "push")
        await expect(page.locator(".waiting-row", has_text=CHILD)).to_have_count(0)
        await shot(page, "05-cleared-push")

        # book the furthest day offered, 9:00 to 12:00, then confirm
        await menu(page, "予約をする")
        await tap(page, f"{CHILD}/{NURSERY}")
        await shot(page, "06-days")
        day = (await choose(page, (await choices(page)).last)).split()[0]
        await tap(page, "9:00")
        await tap(page, "12:00")
        await tap(page, "就労")
        await expect(groups(page).last).to_contain_text("9:00")
        await tap(page, "確定")
        await expect(groups(page).last.locator(".sticker")).to_be_visible()
        await expect(groups(page).last).to_contain_text("一時保育の予約が完了しました")
        await shot(page, "07-booked")

        # a second day: the bookings come as a carousel that scrolls sideways
        await menu(page, "予約をする")
        await tap(page, f"{CHILD}/{NURSERY}")
        offered = await choices(page)
        other = (await choose(page, offered.nth(await offered.count() - 2))).split()[0]
        await tap(page, "9:00")
        await tap(page, "11:00")
        await tap(page, "通院・出産")
        await tap(page, "確定")
        await menu(page, "予約を取り消す")
        carousel = groups(page).last.locator(".carousel")
        await expect(carousel.locator(".fx-bubble")).to_have_count(2)
        assert await carousel.evaluate("c => c.scrollWidth > c.clientWidth")
        await expect(carousel).to_contain_text(day)
        await expect(carousel).to_contain_text(other)
        await shot(page, "08-bookings-carousel")

        # cancel the first day (its own キャンセル in the carousel)
        await tap(page, "キャンセル", within=day)
        await expect(groups(page).last).to_contain_text(day)
        await tap(page, "はい")
        await expect(groups(page).last).to_contain_text("予約をキャンセルしました")
        await shot(page, "09-cancelled")
        await menu(page, "予約を取り消す")
        await expect(groups(page).last.locator(".fx-bubble")).to_have_count(1)
        await expect(groups(page).last).not_to_contain_text(day)

        # the conversation saved as a replay script replays green in the page
        async with page.expect_download() as info:
            await page.locator("#save-replay").click()
        download = await info.value
        # named by the chat's own clock, in the city's time, as the chat shows the time
        stamp = f"{app[BOT].services.now():%Y%m%d-%H%M}"[:11]
        assert download.suggested_filename.startswith(f"webchat-{stamp}")
        path = await download.path()
        script = path.read_text(encoding="utf-8") if path else ""
        steps = yaml.safe_load(script)["steps"]
        assert {"pick_date": born.isoformat()} in steps
        assert {"staff": {"complete_interview": {"nursery": NURSERY, "child": CHILD}}} in steps
        assert any("expect_push" in s for s in steps if isinstance(s, dict))
        await page.locator("#replay-file").set_input_files(
            files=[{"name": "journey.yaml", "mimeType": "text/yaml", "buffer": script.encode()}]
        )
        report = page.locator("#replay-report")
        await expect(report).to_contain_text("1 passed, 0 failed", timeout=120_000)
        await expect(page.locator("#replay-steps .step.failed")).to_have_count(0)
        await expect(page.locator("#replay-steps .step.passed").first).to_be_visible()
        await page.screenshot(path=str(shot_path("10-replay-passed")), animations="disabled")
    assert problems == []


def shot_path(name: str):  # type: ignore[no-untyped-def]
    from tests.webchat_support import SHOTS

    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / f"{name}.png"


async def test_a_failing_replay_shows_the_failing_step_and_the_runners_report(
    browser: Browser,
) -> None:
    script = (
        "name: wrong answer\nnow: 2024-04-20T09:00+09:00\nsteps:\n"
        "  - follow\n  - say: 児童の登録\n  - expect: 全く違う答え\n  - say: メニュー\n"
    )
    problems: list[str] = []
    async with running(Settings()) as (url, _app):
        page = await open_page(browser, url, problems)
        await page.locator("#replay-file").set_input_files(
            files=[{"name": "wrong.yaml", "mimeType": "text/yaml", "buffer": script.encode()}]
        )
        report = page.locator("#replay-report")
        await expect(report).to_contain_text("0 passed, 1 failed", timeout=60_000)
        await expect(report).to_contain_text("wrong.yaml, step 3")
        await expect(report).to_contain_text('no message contains "全く違う答え"')
        steps = page.locator("#replay-steps .step")
        await expect(steps).to_have_count(4)
        await expect(steps.nth(1)).to_have_class("step passed")
        await expect(steps.nth(2)).to_have_class("step failed")
        await expect(steps.nth(3)).to_have_class("step not-run")
    assert problems == []


async def test_what_line_would_refuse_is_flagged_in_the_chat(browser: Browser) -> None:
    """A push the LINE client's models would not even build is sent raw to the chat's LINE
    stand-in: it answers 400 as LINE does, and the page shows it with each broken limit."""
    quick = [
        {"type": "action", "action": {"type": "message", "label": f"選択肢{i}", "text": "x"}}
        for i in range(14)
    ]
    long_label = {"type": "postback", "label": "とても長いラベル" * 3, "data": "d" * 301}
    messages = [{"type": "text", "text": f"お知らせ{i}"} for i in range(5)] + [
        {"type": "text", "text": "最後", "quickReply": {"items": quick}},
        {
            "type": "flex",
            "contents": {
                "type": "carousel",
                "contents": [
                    {
                        "type": "bubble",
                        "body": {
                            "type": "box",
                            "layout": "vertical",
                            "contents": [{"type": "button", "action": long_label}],
                        },
                    }
                ]
                * 13,
            },
        },
    ]
    confirm = {
        "type": "template",
        "altText": "",
        "template": {
            "type": "confirm",
            "text": "よろしいですか？",
            "actions": [
                {"type": "message", "label": "はい", "text": "はい"},
                {"type": "message", "label": "いいえ", "text": "いいえ"},
            ],
        },
    }
    messages.append(confirm)
    problems: list[str] = []
    async with running(Settings()) as (url, app):
        page = await open_page(browser, url, problems)
        room = app[WEBCHAT]
        await page.locator("#overlay-button").click()
        await expect(groups(page)).to_have_count(1)
        async with aiohttp.ClientSession() as http:
            body = {"to": room.users["parent"].uid, "messages": messages}
            async with http.post(room.sink.url + "/v2/bot/message/push", json=body) as r:
                assert r.status == 400  # as LINE answers it
        warning = page.locator(".line-warning")
        await expect(warning).to_contain_text("LINE refused this push (400)")
        await expect(warning).to_contain_text("8 messages in one request")
        await expect(warning).to_contain_text("message 8: alt text missing")
        await expect(groups(page).last.locator(".tp-confirm .tp-action")).to_have_count(2)
        await expect(warning).to_contain_text("14 quick reply buttons")
        await expect(warning).to_contain_text("carousel of 13 bubbles")
        await expect(warning).to_contain_text("alt text missing")
        await expect(warning).to_contain_text("postback data of 301 characters")
        await page.locator(".line-warning").scroll_into_view_if_needed()
        await shot(page, "11-limits-flagged")
    assert problems == []


async def test_no_page_where_a_channel_is_configured_unless_asked_for() -> None:
    async with (
        running(Settings(channel_secret="secret", access_token="token")) as (url, app),
        aiohttp.ClientSession() as http,
    ):
        for path in ("/", "/webchat/api/demo", "/webchat/static/chat.js"):
            async with http.get(url + path) as r:
                assert r.status == 404, path
        assert app[BOT].settings.line_api_base == "https://api.line.me"
    settings = Settings(channel_secret="secret", access_token="token", webchat=True)
    async with running(settings) as (url, _app), aiohttp.ClientSession() as http:
        async with http.get(url + "/") as r:
            assert r.status == 200
            assert "webchat/static/chat.js" in await r.text()


async def test_each_simulated_parent_has_its_own_chat_and_can_block_unblock_and_reset(
    browser: Browser,
) -> None:
    problems: list[str] = []
    async with running(Settings(demo=False)) as (url, _app):
        page = await open_page(browser, url, problems)
        await expect(page.locator("#demo-state")).to_have_text("off")
        await page.locator("#overlay-button").click()
        await expect(groups(page)).to_have_count(1)

        spouse = page.locator("#users .user-button", has_text="spouse")
        await spouse.click()
        await expect(page.locator("#who")).to_have_text("as spouse")
        await expect(groups(page)).to_have_count(0)
        # never a friend: the side panel offers to add the account, not to unblock it
        await expect(page.locator("#block-user")).to_have_text("Add friend")
        await page.locator("#overlay-button").click()
        await expect(groups(page)).to_have_count(1)
        await say(page, "こんにちは")
        await expect(groups(page).last).to_contain_text("届きません")

        # block: a note, the phone covered; unblocking is a follow again (greeting)
        await page.locator("#block-user").click()
        await expect(page.locator("#messages .note").last).to_contain_text("blocked")
        await expect(page.locator("#overlay-button")).to_have_text("Unblock")
        await expect(page.locator("#block-user")).to_have_text("Unblock")
        await shot(page, "12-spouse-blocked")
        await page.locator("#overlay-button").click()
        await expect(groups(page)).to_have_count(3)
        await expect(page.locator("#overlay")).to_be_hidden()

        # the parent's chat is its own
        await page.locator("#users .user-button", has_text="parent").first.click()
        await expect(groups(page)).to_have_count(1)
        await expect(page.locator("#messages")).not_to_contain_text("届きません")

        # a reset spouse is a new LINE account: empty chat, not yet a friend
        await spouse.click()
        await page.locator("#reset-user").click()
        await expect(groups(page)).to_have_count(0)
        await expect(page.locator("#overlay-button")).to_have_text("Add friend")
        await expect(spouse).to_contain_text("spouse-2")
        await page.locator("#overlay-button").click()
        await expect(groups(page)).to_have_count(1)

        async with page.expect_download() as info:
            await page.locator("#save-replay").click()
        path = await (await info.value).path()
        steps = yaml.safe_load(path.read_text(encoding="utf-8"))["steps"] if path else []
        assert {"as": "spouse"} in steps and "unfollow" in steps and {"as": "spouse-2"} in steps
    assert problems == []


async def test_the_city_menu_opens_the_ichiji_menu_whose_strip_leads_back(
    browser: Browser,
) -> None:
    """As the manual has it: the city's menu (a stand-in), 子育て, 一時保育の予約; the 一時保育
    menu drawn as its image, 児童の登録 starting with the privacy sentence, and the back
    strip returning to the city's menu with the registration's question still on screen."""
    problems: list[str] = []
    async with running(Settings(demo=False)) as (url, app):
        config = app[BOT].config
        rich = config.rich_menu
        assert rich is not None and rich.back is not None
        page = await open_page(browser, url, problems)
        nav = page.locator("#richmenu")
        await page.locator("#overlay-button").click()
        await expect(groups(page)).to_have_count(1)

        # the city's menu: the account's, so the one a new friend sees
        await expect(nav).to_have_attribute("data-menu", rich.back.alias)
        await expect(page.locator("#chatbar")).to_contain_text("目黒区メニュー")
        await expect(nav.locator(".standin-tag")).to_be_visible()
        await shot(page, "13-city-menu")
        n = await groups(page).count()
        await menu_area(page, "防災・安全").click()  # not part of the demo: a toast says so
        await expect(page.locator("#phone-toast")).to_contain_text("子育て")
        await expect(page.locator("#phone-toast")).to_be_hidden(timeout=10_000)
        await expect(groups(page)).to_have_count(n)

        # 子育て → 一時保育の予約: the 一時保育 menu, laid out and coloured as its image
        await switch(page, "子育て")
        await switch(page, "一時保育の予約")
        await expect(nav).to_have_attribute("data-menu", rich.alias)
        await expect(page.locator("#chatbar")).to_contain_text(rich.chat_bar_text)
        await expect(nav.locator(".standin-tag")).to_have_count(0)
        box = await nav.bounding_box()
        assert box is not None
        assert abs(box["height"] - box["width"] * 1686 / 2500) < 2  # the image's proportions
        strip = menu_area(page, rich.back.label)
        sbox = await strip.bounding_box()
        assert sbox is not None
        assert (sbox["y"], sbox["width"]) == (box["y"], box["width"])  # across the top
        for item in rich.items:
            tile = menu_area(page, item.label).locator(".menu-tile")
            colour = await tile.evaluate("t => getComputedStyle(t).backgroundColor")
            r, g, b = (int(item.color[i : i + 2], 16) for i in (1, 3, 5))
            assert colour == f"rgb({r}, {g}, {b})", item.label
            ibox = await tile.bounding_box()
            assert ibox is not None and ibox["y"] >= sbox["y"] + sbox["height"]
        lines = menu_area(page, "区ウェブサイトで概要を確認する").locator(".menu-line")
        await expect(lines).to_have_text(["区ウェブサイトで", "概要を確認する"])
        await expect(page.locator("#phone-toast")).to_be_hidden()
        await shot(page, "14-ichiji-menu")

        # each simulated parent is on a menu of their own
        await page.locator("#users .user-button", has_text="spouse").click()
        await expect(nav).to_have_attribute("data-menu", rich.back.alias)
        await page.locator("#users .user-button", has_text="parent").first.click()
        await expect(nav).to_have_attribute("data-menu", rich.alias)

        # 児童の登録: the manual's promise first, then the nursery question
        await menu(page, "児童の登録")
        bubbles = groups(page).last.locator(".bubble")
        await expect(bubbles.first).to_have_text(config.messages.registration_privacy)
        await expect(bubbles.first).to_contain_text(
            "LINEに入力していただいた個人情報は一時保育予約のみに使用します"
        )
        await expect(bubbles.nth(1)).to_have_text(config.messages.registration_ask_nursery)
        chips = await page.locator("#quick .chip").count()
        assert chips == len(config.nurseries)

        # the strip: back on the city's menu, the question and its buttons still there
        await switch(page, rich.back.label)
        await expect(nav).to_have_attribute("data-menu", rich.back.alias)
        await expect(page.locator("#quick .chip")).to_have_count(chips)
        await shot(page, "15-back-on-city-menu")
        await tap(page, NURSERY)
        await expect(groups(page).last).to_contain_text(
            config.messages.registration_ask_parent_name
        )
    assert problems == []
