"""臨時休園 in a real browser: 休みにする on a day with bookings opens a page listing every
child it would cancel; closing cancels them all, tells the LINE parents with the reason
and lists the parents to phone; a day without bookings closes at once."""

from __future__ import annotations

import datetime as dt

from tests.interview_support import registration
from tests.test_console_day import pushed

DAY = "2024-04-26"


async def test_a_booked_day_is_closed_after_a_page_naming_each_child(console):
    h = console.h
    bot = h.bot
    reg = await registration(bot, "U1", child="目黒 太郎")
    await bot.staff.interviews.complete_interview("futaba", reg.id)
    h.line.take("U1")
    await bot.staff.bookings.phone_booking("futaba", DAY, 9, 11, reg.id)
    await bot.staff.bookings.phone_booking(
        "futaba", DAY, 13, 15, "電話 花子", unregistered=True, phone="03-5555-0001"
    )
    h.line.take("U1")
    page = await console.login("futaba1")
    await page.goto(console.url(f"/staff/n/futaba/calendar?from={DAY}"))
    await page.get_by_role("button", name=f"{DAY}を休みにする").click()
    await page.wait_for_load_state()
    assert page.url.endswith(f"/staff/n/futaba/closing/{DAY}")
    rows = await page.locator("tbody tr").all_inner_texts()
    assert "目黒 太郎" in rows[0] and "LINEでお知らせします" in rows[0]
    assert "電話 花子" in rows[1] and "03-5555-0001 へ電話してください" in rows[1]
    await console.shot("closing-confirm")
    await page.get_by_label("理由（保護者へのお知らせに載ります。任意）").fill("台風の接近のため")
    await page.get_by_role("button", name="臨時休園にする").click()
    await page.wait_for_load_state()
    flash = await console.flash()
    assert flash.startswith(f"{DAY}を休みにしました。")
    assert "電話 花子さん（13:00～15:00）の保護者へ電話でお知らせください：03-5555-0001" in flash
    await console.shot("closing-done")
    [push] = pushed(h, "U1")
    assert "4/26(金)を臨時休園とします" in push and "理由：台風の接近のため" in push
    seats = await bot.staff.bookings.day_seats("futaba", DAY)
    assert not seats.open and all(hour.booked == 0 for hour in seats.hours)
    assert await bot.repos.bookings.on_day("futaba", dt.date.fromisoformat(DAY)) == []
    [entry] = [e for e in await bot.repos.audit.recent() if e.operation == "close-day"]
    assert entry.actor == "futaba1" and entry.params["reason"] == "台風の接近のため"
