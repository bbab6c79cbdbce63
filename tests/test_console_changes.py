"""登録の詳細 in a real browser: staff move, cancel and record a missed interview, and remove
a registration, each after a confirmation page that says what will happen; the parent is
told by push with the reason and the nursery's number; the operation log has each one."""

from __future__ import annotations

import datetime as dt

from tests.interview_support import at, registration
from tests.test_console_day import pushed

NAME = "目黒 太郎"


async def _booked(h, user: str, child: str, when: str):
    reg = await registration(h.bot, user, child=child)
    slots = h.bot.repos.interviews
    slot = await slots.add("futaba", at(when), 2)
    assert await slots.book(slot.id, reg.id)
    return reg


async def _open(console, child: str):
    page = console.page
    await page.goto(console.url("/staff/n/futaba/waiting"))
    await page.get_by_role("link", name=child).click()
    await page.wait_for_load_state()
    return page


async def test_an_interview_is_moved_cancelled_and_recorded_missed_after_a_confirmation(
    console, clock
):
    h = console.h
    reg = await _booked(h, "U1", NAME, "2024-04-22T10:00")
    await h.bot.repos.interviews.add("futaba", at("2024-04-24T14:00"), 1)
    await console.login("futaba1")
    page = await _open(console, NAME)
    assert await page.locator("h1").inner_text() == f"{NAME}さんの登録"
    # staff know where they are: the page is under the 登録 tab
    assert await page.locator("nav.tabs [aria-current=page]").inner_text() == "登録"
    await console.shot("registration-detail")

    # move: the confirmation names both times; やめる changes nothing
    reason = page.locator("#move-reason")
    await page.get_by_label("変更後の面談枠").select_option(label="2024-04-24 14:00（空き1）")
    await reason.fill("園の行事のため")
    await page.get_by_role("button", name="面談日時の変更の確認へ進む").click()
    confirm = await page.locator(".confirm").inner_text()
    assert "2024-04-22 10:00 から 2024-04-24 14:00 に変更します" in confirm
    assert "理由：園の行事のため" in confirm
    await console.shot("registration-confirm-move")
    await page.get_by_role("link", name="やめる").click()
    assert pushed(h, "U1") == []
    assert (await h.bot.repos.interviews.held_by([reg.id]))[reg.id].at == at("2024-04-22T10:00")
    await reason.fill("園の行事のため")
    await page.get_by_role("button", name="面談日時の変更の確認へ進む").click()
    await page.get_by_role("button", name="面談日時の変更をする").click()
    await page.wait_for_load_state()
    assert (await console.flash()).startswith(f"{NAME}さん：面談日時の変更をしました。")
    [push] = pushed(h, "U1")
    assert "変更前：4/22(月) 10:00\n変更後：4/24(水) 14:00\n理由：園の行事のため" in push
    assert "双葉の園保育園（03-0000-0001）" in push

    # cancel
    await page.get_by_role("button", name="面談の取消へ進む").click()
    assert "面談予約 2024-04-24 14:00 を取り消します" in await page.locator(".confirm").inner_text()
    await page.get_by_role("button", name="面談の取消をする").click()
    await page.wait_for_load_state()
    assert "面談の取消をしました" in await console.flash()
    assert "「面談予約の再開」と送ると" in pushed(h, "U1")[0]
    assert await page.locator(".tag").first.inner_text() == "面談未予約"
    assert await page.get_by_role("button", name="面談の取消へ進む").count() == 0

    # missed: refused before its time, in staff's words; recorded after
    slot = (await h.bot.repos.interviews.all("futaba"))[0]
    assert await h.bot.repos.interviews.book(slot.id, reg.id)
    await page.reload()
    await page.get_by_role("button", name="面談欠席の記録へ進む").click()
    await page.get_by_role("button", name="面談欠席の記録をする").click()
    await page.wait_for_load_state()
    assert "時刻より前のため、欠席を記録できません" in await console.flash()
    await console.shot("registration-missed-refused")
    clock.advance(dt.timedelta(days=2, hours=2))  # 4/22 11:00: the login has ended meanwhile
    await console.login("futaba1")
    page = await _open(console, NAME)
    await page.get_by_role("button", name="面談欠席の記録へ進む").click()
    await page.get_by_role("button", name="面談欠席の記録をする").click()
    await page.wait_for_load_state()
    assert "面談欠席の記録をしました" in await console.flash()
    assert "お越しいただけなかったため" in pushed(h, "U1")[0]
    assert await page.locator(".tag").first.inner_text() == "面談日経過"

    entries = await h.bot.repos.audit.recent()  # a refused change is not a change
    assert sorted(e.operation for e in entries) == [
        "cancel-interview",
        "missed-interview",
        "move-interview",
    ]
    assert {e.actor for e in entries} == {"futaba1"}


async def test_a_duplicate_registration_is_removed_with_its_bookings_after_a_confirmation(
    console,
):
    h = console.h
    bot = h.bot
    first = await registration(bot, "U1", child=NAME)
    second = await registration(bot, "U2", child=NAME, parent="目黒 一郎")
    for reg in (first, second):
        await bot.staff.interviews.complete_interview("futaba", reg.id)
    await bot.staff.bookings.phone_booking("futaba", "2024-04-23", 9, 12, second.id)
    h.line.take("U2")
    await console.login("futaba1")
    page = console.page
    await page.goto(console.url("/staff/n/futaba/registrations"))
    await page.get_by_role("link", name=NAME).nth(1).click()
    await page.wait_for_load_state()
    assert "目黒 一郎" in await page.locator(".facts").inner_text()
    await page.locator("#rm-reason").fill("重複した登録のため")
    await page.get_by_role("button", name="登録の取消へ進む").click()
    confirm = await page.locator(".confirm").inner_text()
    assert "この登録を取り消します。元に戻せません。" in confirm
    assert "2024-04-23 9:00～12:00の一時保育の予約も取り消します。" in confirm
    await console.shot("registration-confirm-remove")
    await page.get_by_role("button", name="登録の取消をする").click()
    await page.wait_for_load_state()
    assert page.url.endswith("/staff/n/futaba/registrations")
    assert "登録の取消をしました" in await console.flash()
    [push] = pushed(h, "U2")
    assert "理由：重複した登録のため" in push
    assert "4/23(火) 9:00～12:00の一時保育の予約も取り消されました。" in push
    day = await bot.staff.bookings.day_seats("futaba", "2024-04-23")
    assert all(hour.booked == 0 for hour in day.hours)
    rows = await page.locator("#found tbody tr").all_inner_texts()
    assert len(rows) == 1 and "目黒 花子" in rows[0]
    await console.shot("registration-removed")


async def test_contact_details_are_corrected_with_the_registrations_rules(console):
    h = console.h
    await registration(h.bot, "U1", child=NAME)
    await console.login("futaba1")
    page = await _open(console, NAME)
    await page.get_by_label("電話番号").fill("12-34")
    await page.locator("#contact-reason").fill("保護者からの電話連絡")
    await page.get_by_role("button", name="連絡先の修正の確認へ進む").click()
    assert "電話番号：03-1234-5678 → 12-34" in await page.locator(".confirm").inner_text()
    await page.get_by_role("button", name="連絡先の修正をする").click()
    await page.wait_for_load_state()
    assert await console.flash() == (
        "電話番号は市外局番から10桁または11桁の数字で入力してください。"
    )
    await console.shot("registration-contact-refused")
    assert await page.get_by_label("電話番号").input_value() == "12-34"  # kept to correct
    assert pushed(h, "U1") == []
    await page.get_by_label("電話番号").fill("090-1111-2222")
    await page.get_by_label("住所").fill("東京都目黒区上目黒2-2-2")
    await page.get_by_role("button", name="連絡先の修正の確認へ進む").click()
    confirm = await page.locator(".confirm").inner_text()
    assert "電話番号：03-1234-5678 → 090-1111-2222" in confirm
    assert "住所：東京都目黒区中目黒1-1-1 → 東京都目黒区上目黒2-2-2" in confirm
    assert "保護者氏名" not in confirm  # unchanged details are not listed
    await console.shot("registration-confirm-contact")
    await page.get_by_role("button", name="連絡先の修正をする").click()
    await page.wait_for_load_state()
    assert "連絡先の修正をしました" in await console.flash()
    facts = await page.locator(".facts").inner_text()
    assert "090-1111-2222" in facts and "上目黒2-2-2" in facts
    [push] = pushed(h, "U1")
    assert "登録内容（住所、電話番号）を修正しました" in push
    [entry] = await h.bot.repos.audit.recent()
    assert entry.operation == "correct-contact"
    assert (
        entry.before["phone"] == "0312345678" and entry.after["contact"]["phone"] == "09011112222"
    )
