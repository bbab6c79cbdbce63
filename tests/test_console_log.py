"""操作ログ in a real browser: each change made in the console is recorded (who, when, which
nursery, what, before and after), listed for city staff and downloadable as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from bot.staff.log_view import LogView
from bot.staff.operation import Actor
from tests.console_support import Console
from tests.interview_support import registration


async def submit(page, button: str, clock=None) -> None:
    await page.get_by_role("button", name=button).click()
    await page.wait_for_load_state()
    if clock is not None:
        clock.advance(dt.timedelta(minutes=1))  # one change a minute


async def test_every_change_in_the_console_is_in_the_operation_log(console, clock):
    page = await console.login("futaba1")
    await page.goto(console.url("/staff/n/futaba/slots"))
    await page.get_by_label("日付").fill("2024-04-24")
    await submit(page, "追加する", clock)
    await page.goto(console.url("/staff/n/futaba/calendar"))
    await page.get_by_label("開始日", exact=True).fill("2024-04-23")
    await page.get_by_label("1時間あたりの定員（人）").fill("2")
    await submit(page, "定員を変える", clock)
    await page.goto(console.url("/staff/n/futaba/bookings"))
    await page.get_by_label("日付", exact=True).fill("2024-04-23")
    await page.get_by_label("LINE未登録の児童の氏名").fill("電話 花子")
    await page.get_by_label("保護者の電話番号").fill("03-5555-0001")
    await submit(page, "予約を受け付ける", clock)
    await submit(page, "2024-04-23 電話 花子さんの予約を取り消す", clock)
    await page.goto(console.url("/staff/n/futaba/calendar"))
    await page.get_by_label("開始日", exact=True).fill("2024-04-23")
    await page.get_by_label("1時間あたりの定員（人）").fill("9")
    await page.get_by_label("1時間あたりの定員（人）").evaluate("e => e.removeAttribute('max')")
    await page.get_by_label("1時間あたりの定員（人）").fill("500")
    await submit(page, "定員を変える")  # refused: not a change, not in the log

    city = Console(console.h, console.browser)
    page = await city.login("city1")
    await page.get_by_role("link", name="操作ログ").click()
    rows = page.locator("table.log tbody tr")
    assert await rows.count() == 4
    ops = [await rows.nth(i).locator("td").nth(3).inner_text() for i in range(4)]
    assert ops == ["予約の取消", "電話予約", "定員の変更", "面談枠の追加"]  # newest first
    for i in range(4):
        cells = rows.nth(i).locator("td")
        assert "futaba1" in await cells.nth(1).inner_text()
        assert await cells.nth(2).inner_text() == "双葉の園保育園"
        assert await cells.nth(0).inner_text() == f"2024-04-20 09:0{3 - i}:00"
    seats = rows.nth(2).locator("td")
    assert "定員\n8:00–17:00 3" in await seats.nth(5).inner_text()  # before
    assert "定員\n8:00–17:00 2" in await seats.nth(6).inner_text()  # after
    assert "開所\nはい" in await seats.nth(6).inner_text()
    cancel = rows.nth(0).locator("td")
    assert "児童\n電話 花子" in await cancel.nth(4).inner_text()  # typed as the booking's id
    after = await cancel.nth(6).inner_text()
    assert "状態\n取消" in after and "受付\n電話" in after and "開始\n8:00" in after
    assert "お知らせ\n電話で連絡" in after
    phoned = await rows.nth(1).locator("td").nth(4).inner_text()
    assert "開始\n8:00" in phoned and "LINE未登録\nはい" in phoned
    slot = await rows.nth(3).locator("td").nth(4).inner_text()
    assert "日時\n2024-04-24 10:00" in slot  # the city's time, no seconds or offset
    shown = await page.locator("table.log").inner_text()
    letters = shown.replace("futaba1", "").replace("LINE", "")  # the login, the service
    assert not re.findall(r"[A-Za-z]{3,}", letters)  # no code words
    await city.shot("log")

    await page.get_by_label("保育園で絞り込む").select_option("angelica")
    await submit(page, "表示")
    assert await page.locator("table.log tbody tr").count() == 0

    await page.goto(console.url("/staff/log"))
    async with page.expect_download() as info:
        await page.get_by_role("link", name="CSVをダウンロード").click()
    text = (await (await info.value).path()).read_bytes().decode("utf-8-sig")
    got = list(csv.DictReader(io.StringIO(text)))
    assert list(got[0]) == [
        "日時",
        "職員",
        "使った画面",
        "保育園",
        "操作",
        "内容",
        "変更前",
        "変更後",
    ]
    assert [r["操作"] for r in got] == ["予約の取消", "電話予約", "定員の変更", "面談枠の追加"]
    assert all(r["職員"] == "futaba1" and r["保育園"] == "双葉の園保育園" for r in got)
    assert all(r["使った画面"] == "職員画面" for r in got)
    assert "児童：電話 花子" in got[1]["内容"] and "開始：8:00" in got[1]["内容"]
    assert "状態：取消" in got[0]["変更後"] and "受付：電話" in got[0]["変更後"]
    assert not re.findall(r"[A-Za-z]{3,}", text.replace("futaba1", "").replace("LINE", ""))


async def test_a_change_about_a_registration_names_the_child_with_furigana(harness):
    bot = harness.bot
    reg = await registration(bot, "U1", child="目黒 太郎", kana="メグロ タロウ")
    actor = Actor("account", "futaba1", "futaba")
    await bot.operations.run("complete", {"nursery": "futaba", "child": reg.id}, actor)
    [entry] = await bot.repos.audit.recent()
    config = bot.config
    view = LogView(config.console.log, config.staff.actions, config.zone(), {})
    row = view.row(entry)
    assert row.operation == "面談完了"
    assert ("児童", "目黒 太郎（メグロ タロウ）") in row.params  # typed as the id
    assert reg.id not in str(row.cells(config.console.log))
    day = {"nursery": "futaba", "date": "2024-04-26"}
    await bot.operations.run(
        "phone-booking", {**day, "start": 9, "end": 11, "child": reg.id}, actor
    )
    await bot.operations.run("cancel-booking", {**day, "child": "目黒太郎"}, actor)
    rows = {e.operation: view.row(e) for e in await bot.repos.audit.recent()}
    booked, cancelled = rows["phone-booking"], rows["cancel-booking"]
    assert (booked.operation, cancelled.operation) == ("電話予約", "予約の取消")
    assert ("児童", "目黒 太郎（メグロ タロウ）") in booked.params
    assert ("児童", "目黒 太郎（メグロ タロウ）") in cancelled.params  # typed without the space
