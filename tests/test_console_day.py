"""A nursery's whole day in the staff console, in a real browser: slots, clearance with the
parent's LINE push, seats, a phone booking, the printed roster, a cancellation, the export."""

from __future__ import annotations

import csv
import io
import re

import pytest

from qa.screen import texts
from tests.console_support import SHOTS, day_seats, roster
from tests.interview_support import at, registration


def pushed(h, user: str) -> list[str]:
    return [t for s in h.line.take(user) if s.via == "push" for t in texts(s.messages)]


@pytest.mark.slow
async def test_a_whole_day_of_a_nursery_in_the_browser(console):
    h = console.h
    bot = h.bot
    reg = await registration(bot, "U1", child="目黒 太郎")
    page = await console.login("futaba1")
    await console.shot("day-empty")

    # 面談枠: open a slot; the parent's registration takes it
    await page.get_by_role("link", name="面談枠").click()
    await page.get_by_label("日付", exact=True).fill("2024-04-24")
    await page.get_by_label("時刻").fill("10:00")
    await page.get_by_role("button", name="追加する").click()
    await page.wait_for_load_state()
    assert await console.flash() == "2024-04-24 10:00の面談枠を追加しました。"
    slot = (await bot.repos.interviews.all("futaba"))[0]
    assert slot.at == at("2024-04-24T10:00") and slot.capacity == 1
    assert await bot.repos.interviews.book(slot.id, reg.id)
    await page.reload()
    row = page.locator("tr", has_text="2024-04-24 10:00")
    assert "目黒 太郎" in await row.inner_text() and "1／1" in await row.inner_text()
    await console.shot("slots")

    # 面談待ち: 面談完了 clears the child and the parent's LINE shows 利用可能
    await page.get_by_role("link", name="面談待ち").click()
    row = page.locator(f"#reg-{reg.id}")
    assert "2024-04-24 10:00" in await row.inner_text()
    assert await page.locator("h1").inner_text() == "面談待ち（1人）"
    await console.shot("waiting")
    await row.get_by_role("button", name="目黒 太郎さんを面談完了にする").click()
    done = page.locator(".done-row .flash")
    await done.wait_for()
    assert console.dialogs == [
        "目黒 太郎さんを面談完了にしますか？保護者のLINEにお知らせを送ります。"
    ]
    assert await done.inner_text() == (
        "目黒 太郎さんを面談完了にしました（2025-03-31まで利用できます）。\n"
        "保護者のLINEにお知らせを送りました。"
    )
    assert pushed(h, "U1") == [
        "目黒 太郎さんは双葉の園保育園で一時保育の利用可能となりました。「予約をする」から"
        "予約できます。\n有効期限：2025/03/31"
    ]
    assert await page.locator("h1").inner_text() == "面談待ち（0人）"  # counted again
    await console.shot("waiting-done")
    assert (await bot.repos.registrations.get(reg.id)).expiry == "2025-03-31"

    # カレンダー: two seats an hour for the coming week (Sunday stays closed)
    await page.get_by_role("link", name="カレンダー").click()
    await page.get_by_label("開始日").fill("2024-04-22")
    await page.get_by_label("終了日（空欄は1日だけ）").fill("2024-04-27")
    await page.get_by_label("1時間あたりの定員（人）").fill("2")
    await page.get_by_role("button", name="定員を変える").click()
    await page.wait_for_load_state()
    assert await console.flash() == "2024-04-22〜2024-04-27の6日、定員を1時間あたり2人にしました。"
    day = await day_seats(bot, "futaba", "2024-04-23")
    assert [x["seats"] for x in day["hours"]] == [2] * 9
    assert not (await day_seats(bot, "futaba", "2024-04-21"))["open"]  # a Sunday

    # the parent books by LINE; staff take a phone booking for the same day
    chat = ["予約をする", "目黒 太郎/双葉の園保育園", "4/23(火)", "9:00", "11:00", "通院・出産"]
    for text in chat:
        await h.say("U1", text)
    await h.say("U1", "確定")
    h.line.take("U1")
    await page.get_by_role("link", name="予約").click()
    # the registered child, found by its furigana in hiragana: it holds the day already
    await page.get_by_label("登録済みの児童を探す（氏名またはフリガナ）").fill("めぐろ た")
    await page.get_by_role("button", name="探す").click()
    await page.wait_for_load_state()
    found = page.get_by_role("radio", name="目黒 太郎")
    assert await found.is_checked()
    await console.shot("bookings-phone-search")
    await page.get_by_label("日付", exact=True).fill("2024-04-23")
    await page.get_by_label("開始時刻").select_option("13")
    await page.get_by_label("終了時刻").select_option("15")
    await page.get_by_role("button", name="予約を受け付ける").click()
    await page.wait_for_load_state()
    assert await console.flash() == (
        "目黒 太郎さんは2024-04-23にすでに予約があります（同じ日の予約は1件までです）。"
    )
    await console.shot("bookings-phone-same-day")
    # a child not registered on LINE: a name and the parent's number
    await page.get_by_role("radio", name="LINE未登録の児童").check()
    await page.get_by_label("LINE未登録の児童の氏名").fill("電話 花子")
    await page.get_by_label("保護者の電話番号").fill("03-5555-0001")
    await page.get_by_label("日付", exact=True).fill("2024-04-23")
    await page.get_by_label("開始時刻").select_option("9")
    await page.get_by_label("終了時刻").select_option("12")
    await page.get_by_role("button", name="予約を受け付ける").click()
    await page.wait_for_load_state()
    assert await console.flash() == (
        "2024-04-23 9:00〜12:00、電話 花子さんの電話予約を受け付けました。"
    )
    await console.shot("bookings")
    # the list says each day's weekday, as a parent on the phone says it
    assert await page.get_by_role("link", name="2024-04-23（火）").count() >= 1

    # a change below what is booked is refused with the reason, and changes nothing
    await page.get_by_role("link", name="カレンダー").click()
    await page.get_by_label("開始日").fill("2024-04-23")
    await page.get_by_label("1時間あたりの定員（人）").fill("1")
    await page.get_by_role("button", name="定員を変える").click()
    await page.wait_for_load_state()
    assert await console.flash() == (
        "2024-04-23 9:00はすでに2人の予約があるため、定員を1人にはできません。"
        "先に予約を取り消してください。何も変更していません。"
    )
    assert await page.get_by_label("1時間あたりの定員（人）").input_value() == "1"  # kept
    day = await day_seats(bot, "futaba", "2024-04-23")
    assert [x["seats"] for x in day["hours"]] == [2] * 9
    # a range with that day in it is refused whole: the day before is not changed either
    before = await day_seats(bot, "futaba", "2024-04-22")
    await page.get_by_label("開始日").fill("2024-04-22")
    await page.get_by_label("終了日").fill("2024-04-24")
    await page.get_by_role("button", name="定員を変える").click()
    await page.wait_for_load_state()
    assert (await console.flash()).startswith("2024-04-23 9:00はすでに2人の予約があるため")
    assert await day_seats(bot, "futaba", "2024-04-22") == before
    await page.goto(console.url("/staff/n/futaba/calendar?from=2024-04-20"))
    cell = page.locator("td[title='2024-04-23 9:00']")
    assert await cell.inner_text() == "2/2"
    # a national holiday reads as one, in red like a Sunday, its name on the day's page
    showa = page.locator("tr", has=page.locator("th[title='昭和の日']"))
    assert await showa.locator("th").inner_text() == "04/29（月・祝）"
    assert "sun" in (await showa.get_attribute("class") or "")
    assert await page.locator("tr", has_text="04/30（火）").locator("th[title]").count() == 0
    await console.shot("calendar")
    await showa.get_by_role("link").click()
    await page.wait_for_load_state()
    assert await page.locator("h1").inner_text() == "4月29日（月・祝）の利用予定"
    assert "祝日：昭和の日" in await page.locator("main").inner_text()
    await page.go_back()

    # 今日・日別: the day's roster, with the answers and the phone booking; printable. The
    # parent has set LINE to English meanwhile: 英語 beside their name (phone in English)
    await bot.repos.users.set_language("U1", "en", chosen=False)
    await page.goto(console.url("/staff/n/futaba/day?date=2024-04-23"))
    table = page.locator("table.roster")
    text = await table.inner_text()
    assert "目黒 太郎" in text and "通院・出産" in text and "電話 花子" in text
    assert "電話" in await table.locator("tr", has_text="電話 花子").inner_text()
    assert "目黒 花子 英語" in await table.locator("tr", has_text="目黒 太郎").inner_text()
    assert "英語" not in await table.locator("tr", has_text="電話 花子").inner_text()
    await console.shot("day")
    await page.emulate_media(media="print")
    assert not await page.locator("nav.tabs").is_visible()
    assert not await page.get_by_role("button", name="印刷").is_visible()
    assert await table.is_visible()
    assert "双葉の園保育園　2024-04-23" in await page.locator(".print-only").inner_text()
    await page.screenshot(path=str(SHOTS / "day-print.png"), full_page=True)
    await page.pdf(path=str(SHOTS / "day-print.pdf"), landscape=True)
    await page.emulate_media(media="screen")
    await bot.repos.users.set_language("U1", "ja", chosen=True)  # back to Japanese

    # 予約: cancel the parent's booking; the parent is told on LINE
    await page.get_by_role("link", name="予約").click()
    await page.get_by_role("button", name="2024-04-23 目黒 太郎さんの予約を取り消す").click()
    await page.wait_for_load_state()
    assert console.dialogs[-1] == "2024-04-23 9:00〜11:00 目黒 太郎さんの予約を取り消しますか？"
    assert await console.flash() == (
        "2024-04-23 9:00〜11:00、目黒 太郎さんの予約を取り消しました。\n"
        "保護者のLINEにお知らせを送りました。"
    )
    assert pushed(h, "U1") == [
        "双葉の園保育園の4/23(火) 9:00～11:00の一時保育予約（目黒 太郎さん）"
        "は保育園により取り消されました。\n"
        "ご不明な点は双葉の園保育園（03-0000-0001）へお電話ください。"
    ]
    assert [r["child"] for r in await roster(bot, "futaba", "2024-04-23")] == ["電話 花子"]

    # export the month as CSV
    async with page.expect_download() as info:
        await page.get_by_role("button", name="CSVをダウンロード").click()
    download = await info.value
    assert download.suggested_filename == "bookings-futaba-2024-04-01-2024-04-30.csv"
    raw = (await download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0])[:5] == ["日付", "開始", "終了", "児童氏名", "フリガナ"]
    assert [(r["日付"], r["児童氏名"], r["受付"]) for r in rows] == [
        ("2024-04-23", "電話 花子", "電話")
    ]
    assert not re.findall(r"[A-Za-z]{3,}", raw.decode("utf-8-sig"))  # no code words


async def test_names_that_look_like_formulas_are_refused_and_nothing_exported(console):
    """A staff-typed child name follows the parent's name rules (it starts with a letter), so
    a formula never reaches the export; the export's own neutralising of cells that look
    like formulas (answers, addresses) is tested in tests/test_csv_export.py."""
    page = await console.login("futaba1")
    await page.goto(console.url("/staff/n/futaba/bookings"))
    names = ('=HYPERLINK("https://example.com","x")', "+1+2", "-3", "@SUM(A1)")
    for start, name in zip((8, 10, 12, 14), names, strict=True):
        await page.get_by_label("日付", exact=True).fill("2024-04-23")
        await page.get_by_label("開始時刻").select_option(str(start))
        await page.get_by_label("終了時刻").select_option(str(start + 2))
        await page.get_by_label("LINE未登録の児童の氏名").fill(name)
        await page.get_by_label("保護者の電話番号").fill("03-5555-0001")
        await page.get_by_role("button", name="予約を受け付ける").click()
        await page.wait_for_load_state()
    async with page.expect_download() as info:
        await page.get_by_role("button", name="CSVをダウンロード").click()
    text = (await (await info.value).path()).read_bytes().decode("utf-8-sig")
    assert list(csv.DictReader(io.StringIO(text))) == []
