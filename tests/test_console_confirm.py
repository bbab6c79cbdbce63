"""Without JavaScript, an action that pushes to a parent is confirmed on a page first:
面談完了 and a booking's 取消 say what will happen, and やめる changes nothing."""

from __future__ import annotations

import datetime as dt

from tests.interview_support import registration
from tests.test_console_day import pushed

DAY = "2024-04-26"
DATE = dt.date.fromisoformat(DAY)


async def test_without_javascript_complete_asks_on_a_page_first(console):
    h = console.h
    reg = await registration(h.bot, "U1", child="目黒 太郎")
    await console.open(javascript=False)
    page = await console.login("futaba1")
    await page.get_by_role("link", name="面談待ち").click()
    await page.get_by_role("button", name="目黒 太郎さんを面談完了にする").click()
    await page.wait_for_load_state()
    assert await page.locator("h1").inner_text() == "面談完了の確認"
    asked = await page.locator(".confirm").inner_text()
    assert f"目黒 太郎さん（保護者 {reg.parent_name}）を面談完了にします。" in asked
    assert "保護者のLINEにお知らせを送ります。" in asked
    assert not (await h.bot.repos.registrations.get(reg.id)).cleared()  # nothing yet
    assert h.line.take("U1") == []
    await console.shot("confirm-complete")
    await page.get_by_role("button", name="面談完了にする").click()
    await page.wait_for_load_state()
    assert page.url.endswith("/staff/n/futaba/waiting")
    assert await console.flash() == (
        "目黒 太郎さんを面談完了にしました（2025-03-31まで利用できます）。\n"
        "保護者のLINEにお知らせを送りました。"
    )
    assert (await h.bot.repos.registrations.get(reg.id)).cleared()
    assert len(pushed(h, "U1")) == 1


async def test_without_javascript_a_cancellation_asks_and_stopping_keeps_the_booking(console):
    h = console.h
    bot = h.bot
    reg = await registration(bot, "U1", child="目黒 太郎")
    await bot.staff.interviews.complete_interview("futaba", reg.id)
    await bot.staff.bookings.phone_booking("futaba", DAY, 9, 11, reg.id)
    h.line.take("U1")
    await console.open(javascript=False)
    page = await console.login("futaba1")
    await page.goto(console.url(f"/staff/n/futaba/bookings?first={DAY}&last={DAY}"))
    cancel = page.get_by_role("button", name=f"{DAY} 目黒 太郎さんの予約を取り消す")
    await cancel.click()
    await page.wait_for_load_state()
    assert await page.locator("h1").inner_text() == "予約の取消の確認"
    asked = await page.locator(".confirm").inner_text()
    assert f"{DAY} 9:00～11:00、目黒 太郎さんの予約を取り消します。" in asked
    assert "保護者へは電話でお知らせください（03-1234-5678）" in asked  # booked by phone
    await console.shot("confirm-cancel")
    await page.get_by_role("link", name="やめる").click()
    await page.wait_for_load_state()
    assert "bookings" in page.url
    assert [b.child_name for b in await bot.repos.bookings.on_day("futaba", DATE)] == ["目黒 太郎"]
    await cancel.click()
    await page.get_by_role("button", name="予約を取り消す").click()
    await page.wait_for_load_state()
    assert (await console.flash()).startswith(
        f"{DAY} 9:00〜11:00、目黒 太郎さんの予約を取り消しました。"
    )
    assert await bot.repos.bookings.on_day("futaba", DATE) == []


async def test_an_htmx_complete_without_its_dialog_gets_the_whole_confirmation_page(console):
    h = console.h
    reg = await registration(h.bot, "U1", child="目黒 太郎")
    page = await console.login("futaba1")
    await page.goto(console.url("/staff/n/futaba/waiting"))
    status, retarget, body = await page.evaluate(
        """async ([url, form]) => {
            const r = await fetch(url, {method: "POST", body: new URLSearchParams(form),
                                        headers: {"HX-Request": "true"}});
            return [r.status, r.headers.get("HX-Retarget"), await r.text()];
        }""",
        [
            console.url("/staff/n/futaba/waiting/complete"),
            {"csrf": await console.csrf(), "registration": reg.id},
        ],
    )
    assert (status, retarget) == (200, "body")
    assert (
        "面談完了の確認" in body and "目黒 太郎さん（保護者 目黒 花子）を面談完了にします。" in body
    )
    assert not (await h.bot.repos.registrations.get(reg.id)).cleared()
    assert h.line.take("U1") == []
