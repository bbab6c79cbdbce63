"""電話連絡 in a real browser: a notice that did not reach a blocked parent stays listed
(who, what, the number) after a reload, the day page and 面談待ち count it, and 電話しました
takes it off the list (in the operation log)."""

from __future__ import annotations

from tests.interview_support import registration


async def test_a_notice_that_did_not_arrive_stays_listed_until_phoned(console):
    h = console.h
    bot = h.bot
    await registration(bot, "U1", child="目黒 太郎")
    other = await registration(bot, "U2", child="碑文谷 次郎", phone="0355550002")
    await h.send("U1", h.unfollow("U1"))
    await bot.staff.interviews.complete_interview("futaba", other.id)  # told on LINE
    page = await console.login("futaba1")
    await page.get_by_role("link", name="面談待ち").click()
    assert await page.locator(".notice").count() == 0
    await page.get_by_role("button", name="目黒 太郎さんを面談完了にする").click()
    await page.locator(".done-row").wait_for()  # htmx swapped the row, and the count above
    assert "1人います" in await page.locator("#calls-banner").inner_text()
    await page.get_by_role("link", name="今日・日別").click()
    await page.reload()  # not a flash: still there
    banner = page.locator(".notice", has_text="電話でお知らせする保護者")
    assert await banner.inner_text() == "電話でお知らせする保護者が1人います。電話連絡の一覧を開く"
    await page.get_by_role("link", name="面談待ち").click()
    assert "1人います" in await page.locator(".notice").inner_text()
    await page.get_by_role("link", name="電話連絡の一覧を開く").click()
    assert await page.locator("h1").inner_text() == "電話連絡（1件）"
    [row] = await page.locator("tbody tr").all_inner_texts()
    assert "目黒 太郎" in row and "03-1234-5678" in row and "LINEをブロック中" in row
    assert "一時保育の利用可能となりました" in row  # what to tell them
    assert "碑文谷" not in row
    await console.shot("calls")
    await page.get_by_role("button", name="目黒 太郎さんの保護者に電話しました").click()
    await page.wait_for_load_state()
    assert await console.flash() == "目黒 太郎さんの保護者への電話連絡を済みにしました。"
    assert await page.locator("h1").inner_text() == "電話連絡（0件）"
    assert await page.locator(".empty").inner_text() == "電話でお知らせする保護者はいません。"
    await page.get_by_role("link", name="今日・日別").click()
    assert await page.locator(".notice", has_text="電話でお知らせする").count() == 0
    [entry] = [e for e in await bot.repos.audit.recent() if e.operation == "phoned"]
    assert entry.actor == "futaba1" and entry.after[0]["child"] == "目黒 太郎"


async def test_a_failed_push_and_a_phone_booking_are_listed_once_each(harness):
    bot = harness.bot
    reg = await registration(bot, "U1", child="目黒 太郎")
    harness.line.fail_next(500, times=20)
    await bot.staff.interviews.complete_interview("futaba", reg.id)
    await bot.staff.interviews.complete_interview("futaba", reg.id)  # retried: listed once
    harness.line.failures.clear()
    await bot.staff.bookings.phone_booking(
        "futaba", "2024-04-26", 9, 11, "電話 花子", unregistered=True, phone="03-5555-0001"
    )
    await bot.staff.closing.close("futaba", "2024-04-26", "台風のため")
    calls = await bot.staff.calls.open_calls("futaba")
    assert [(c.child, c.why, c.phone) for c in calls] == [
        ("目黒 太郎", "failed", "03-1234-5678"),
        ("電話 花子", "phone", "03-5555-0001"),
    ]
    assert "理由：台風のため" in calls[1].text
    done = await bot.staff.calls.phoned("futaba", "電話花子")  # by name, spaces or none
    assert [c.child for c in done] == ["電話 花子"]
    assert [c.child for c in await bot.staff.calls.open_calls("futaba")] == ["目黒 太郎"]
