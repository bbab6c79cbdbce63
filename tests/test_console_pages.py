"""Staff console pages in a real browser: bad input and stale forms change nothing, the
registrations search and duplicates, removing a slot, and pushes that did not arrive."""

from __future__ import annotations

from tests.console_support import day_seats
from tests.interview_support import at, registration


async def seats(console, day: str) -> list[int]:
    return [h["seats"] for h in (await day_seats(console.h.bot, "futaba", day))["hours"]]


async def test_a_wrong_date_or_number_gets_a_message_and_changes_nothing(console):
    page = await console.login("futaba1")
    await page.goto(console.url("/staff/n/futaba/calendar"))
    first = page.get_by_label("開始日", exact=True)
    await first.evaluate("e => e.type = 'text'")  # what an old browser lets anyone type
    await first.fill("2024-02-30")
    await page.get_by_role("button", name="定員を変える").click()
    await page.wait_for_load_state()
    assert await console.flash() == "開始日が正しくありません（例：2024-04-24）。"
    await page.get_by_label("開始日", exact=True).fill("2024-04-22")
    number = page.get_by_label("1時間あたりの定員（人）")
    await number.evaluate("e => e.removeAttribute('max')")
    await number.fill("500")
    await page.get_by_role("button", name="定員を変える").click()
    await page.wait_for_load_state()
    assert await console.flash() == "定員は0から100までの数字で入力してください。"
    assert await number.input_value() == "500"  # what was typed is still there
    await page.get_by_label("開始日", exact=True).fill("2024-04-19")
    await number.fill("1")
    await page.get_by_role("button", name="定員を変える").click()
    await page.wait_for_load_state()
    assert await console.flash() == "2024-04-19は過ぎた日のため、変更できません。"
    assert await seats(console, "2024-04-22") == [3] * 9
    await console.shot("calendar-refused")
    response = await page.goto(console.url("/staff/n/futaba/day?date=2024-99-01"))
    assert response.status == 400
    assert "日付が正しくありません（例：2024-04-24）。" in await page.inner_text("main")


async def test_a_stale_form_is_refused_and_changes_nothing(console):
    page = await console.login("futaba1")
    await page.goto(console.url("/staff/n/futaba/calendar"))
    await console.h.bot.staff.bookings.set_capacity(
        "futaba", "2024-04-23", 1
    )  # someone else, meanwhile
    await page.get_by_role("button", name="2024-04-23を休みにする").click()
    await page.wait_for_load_state()
    assert await console.flash() == (
        "画面を表示した後に、ほかの人が内容を変えました。最新の内容を確認してからやり直して"
        "ください。何も変更していません。"
    )
    assert await seats(console, "2024-04-23") == [1] * 9
    await page.get_by_role("button", name="2024-04-23を休みにする").click()  # now shown fresh
    await page.wait_for_load_state()
    assert await console.flash() == "2024-04-23を休みにしました。"
    assert await seats(console, "2024-04-23") == [0] * 9
    await page.get_by_role("button", name="2024-04-23を開所する").click()
    await page.wait_for_load_state()
    assert await console.flash() == "2024-04-23を開所日にしました（1時間あたり3人）。"
    assert await seats(console, "2024-04-23") == [3] * 9


async def test_removing_a_slot_someone_took_since_is_refused(console):
    bot = console.h.bot
    reg = await registration(bot, "U1")
    await bot.staff.interviews.add_interview_slot("futaba", "2024-04-24T10:00")
    await bot.staff.interviews.add_interview_slot("futaba", "2024-04-25T10:00")
    page = await console.login("futaba1")
    await page.goto(console.url("/staff/n/futaba/slots"))
    slot = (await bot.repos.interviews.all("futaba"))[0]
    assert await bot.repos.interviews.book(slot.id, reg.id)  # a parent books it meanwhile
    await page.get_by_role("button", name="2024-04-24 10:00の面談枠を削除").click()
    await page.wait_for_load_state()
    assert "ほかの人が内容を変えました" in await console.flash()
    assert len(await bot.repos.interviews.all("futaba")) == 2
    await page.get_by_role("button", name="2024-04-25 10:00の面談枠を削除").click()
    await page.wait_for_load_state()
    assert await console.flash() == "2024-04-25 10:00の面談枠を削除しました。"
    assert [s.at for s in await bot.repos.interviews.all("futaba")] == [at("2024-04-24T10:00")]
    assert "予約があるため削除できません" in await page.inner_text("main")


async def test_a_slot_outside_hours_twice_or_too_big_is_refused_in_staff_words(console):
    bot = console.h.bot
    page = await console.login("futaba1")
    await page.goto(console.url("/staff/n/futaba/slots"))
    capacity = page.get_by_label("定員（人）")
    assert await capacity.get_attribute("max") == "20"  # the operation's own limit
    for time, size, said in (
        ("22:00", "1", "2024-04-24 22:00は双葉の園保育園の開所時間（8:00～17:00）の外のため"),
        ("10:00", "1", "2024-04-24 10:00の面談枠を追加しました。"),
        ("10:00", "2", "2024-04-24 10:00の面談枠はすでにあります（1人）。"),
    ):
        await page.get_by_label("日付").fill("2024-04-24")
        await page.get_by_label("時刻").fill(time)
        await capacity.fill(size)
        await page.get_by_role("button", name="追加する").click()
        await page.wait_for_load_state()
        assert said in await console.flash()
    await console.shot("slots-exists")
    await capacity.evaluate("e => e.removeAttribute('max')")
    await page.get_by_label("時刻").fill("11:00")
    await capacity.fill("21")
    await page.get_by_role("button", name="追加する").click()
    await page.wait_for_load_state()
    assert await console.flash() == "人数は1から20までの数字で入力してください。"
    assert [s.capacity for s in await bot.repos.interviews.all("futaba")] == [1]


async def test_registrations_are_searched_and_duplicates_reported(console):
    bot = console.h.bot
    await registration(bot, "U1", child="目黒 太郎", parent="目黒 花子")
    await registration(bot, "U2", child="目黒 太郎", parent="目黒 一郎")
    await registration(
        bot,
        "U3",
        child="碑文谷 次郎",
        parent="碑文谷 良子",
        kana="ヒモンヤ ジロウ",
        phone="0398765432",
    )
    await registration(bot, "U4", nursery="angelica", child="下目黒 三郎")
    page = await console.login("futaba1")
    await page.get_by_role("link", name="登録").click()
    found = page.locator("#found")
    assert "3件" in await found.inner_text() and "下目黒" not in await found.inner_text()
    await page.get_by_label("検索（児童名・フリガナ・保護者・電話）").fill("碑文谷")
    await page.locator("#found", has_text="1件").wait_for()
    assert "碑文谷 次郎" in await found.inner_text() and "目黒 太郎" not in await found.inner_text()
    # furigana as staff type it: hiragana, half-width katakana, with or without a space
    for typed, child, count in (
        ("めぐろ たろう", "目黒 太郎", 2),
        ("ﾒｸﾞﾛﾀﾛｳ", "目黒 太郎", 2),
        ("ひもんや", "碑文谷 次郎", 1),
        ("ジロ ウ", "碑文谷 次郎", 1),
        ("03-1234-5678", "目黒 太郎", 2),
        ("０３９８７", "碑文谷 次郎", 1),
    ):
        await page.get_by_label("検索（児童名・フリガナ・保護者・電話）").fill(typed)
        await page.locator("#found", has_text=f"（「{typed}」で検索）").wait_for()
        text = await found.inner_text()
        assert f"{count}件" in text and child in text, typed
    dup = page.locator("section.card", has_text="目黒 太郎（2022-05-01生まれ）")
    text = await dup.inner_text()
    assert "目黒 花子" in text and "目黒 一郎" in text
    await console.shot("registrations")


async def test_a_push_that_did_not_arrive_is_shown_to_phone_the_parent(console):
    h = console.h
    blocked = await registration(h.bot, "U1", child="目黒 太郎")
    failing = await registration(h.bot, "U2", child="碑文谷 次郎")
    await h.send("U1", h.unfollow("U1"))
    page = await console.login("futaba1")
    await page.get_by_role("link", name="面談待ち").click()
    await page.get_by_role("button", name="目黒 太郎さんを面談完了にする").click()
    done = page.locator(f"#reg-{blocked.id}")
    await page.locator(".done-row", has_text="目黒 太郎").wait_for()
    told = await page.locator(".done-row", has_text="目黒 太郎").inner_text()
    assert "ブロックしているため、お知らせは届いていません。電話でお知らせください。" in told
    assert blocked.phone == "0312345678"
    assert "保護者の電話：03-1234-5678" in told  # the number to call, as people write it
    assert await done.count() == 0
    assert await page.locator(".done-row .flash.warn").count() == 1  # to be acted on
    h.line.fail_next(500, times=20)
    await page.get_by_role("button", name="碑文谷 次郎さんを面談完了にする").click()
    row = page.locator(".done-row", has_text="碑文谷 次郎")
    await row.wait_for()
    told = await row.inner_text()
    assert "LINEにつながらず、お知らせを送れませんでした。電話でお知らせください。" in told
    assert "保護者の電話：03-1234-5678" in told
    assert (await h.bot.repos.registrations.get(failing.id)).expiry == "2025-03-31"
    h.line.failures.clear()
    columns = await page.locator("table thead th").count()
    assert await row.locator("td").get_attribute("colspan") == str(columns)  # the row's width
    await console.shot("waiting-not-told")
