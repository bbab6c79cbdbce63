"""キャンセル待ち on the console's day page: the day's line (who, hours, since when, offered
until when) and taking a child off it, confirmed first (a dialog in a real browser; a page
without JavaScript), the parent told, the seats passed on, the operation log."""

from __future__ import annotations

import re
from typing import Any

import aiohttp

from tests.staff_waiting_support import DAY, day_with_a_line
from tests.test_console_day import pushed
from tests.test_console_walk import _english_after_each_form
from tests.test_input_limits import staff  # noqa: F401 (a city account's session by HTTP)

D = DAY.isoformat()
PAGE = f"/staff/n/futaba/day?date={D}"


async def test_the_day_page_shows_the_line_and_a_child_is_taken_off_it(console):
    h = console.h
    await day_with_a_line(h.bot)
    for user in ("U1", "U2", "U3"):
        h.line.take(user)
    await h.bot.repos.users.set_language("U3", "en", chosen=False)  # 中町 健 reads English
    page = await console.login("futaba1")
    await page.goto(console.url(PAGE))
    line = page.locator("section.waiting-line")
    assert await line.locator("h2").inner_text() == "キャンセル待ち（3人）"
    first, second, third = await line.locator("tbody tr").all_inner_texts()
    for text in ("空きを案内中（9:33まで）", "9:00〜12:00", "目黒 太郎", "メグロ タロウ"):
        assert text in first
    assert "目黒 花子" in first and "03-1234-5678" in first and "4/20(土) 9:00 登録" in first
    assert (
        "順番待ち（2番目）" in second and "10:00〜12:00" in second and "タカバン ジロウ" in second
    )
    assert "順番待ち（3番目）" in third and "4/20(土) 9:02 登録" in third
    assert "中町 健 英語" in third and "英語" not in first + second
    # on a 768 px tablet every column of the roster and the line shows without scrolling
    assert await console.fits("table.roster") and await console.fits("table.line")
    await console.shot("day-waiting")

    row = line.locator("tr", has_text="鷹番 次郎")
    await row.get_by_label("鷹番 次郎さんの取消の理由（保護者へのお知らせに載ります。任意）").fill(
        "保護者から辞退の電話があったため"
    )
    await row.get_by_role("button", name="鷹番 次郎さんのキャンセル待ちを取り消す").click()
    await page.wait_for_load_state()
    assert console.dialogs == [
        "2024-04-23 10:00～12:00、鷹番 次郎さんのキャンセル待ちを取り消します。"
        "取り消したキャンセル待ちは元に戻せません。保護者のLINEにお知らせを送ります。"
    ]
    assert await console.flash() == (
        "2024-04-23 10:00〜12:00、鷹番 次郎さんのキャンセル待ちを取り消しました。\n"
        "保護者のLINEにお知らせを送りました。"
    )
    assert page.url.endswith(PAGE)
    [notice] = pushed(h, "U2")
    assert "キャンセル待ち（鷹番 次郎さん）は保育園により取り消されました" in notice
    assert "保護者から辞退の電話があったため" in notice
    assert await line.locator("h2").inner_text() == "キャンセル待ち（2人）"
    assert "鷹番" not in await line.inner_text()
    [entry] = await h.bot.repos.audit.recent()
    assert (entry.operation, entry.actor, entry.params["reason"]) == (
        "remove-waiting",
        "futaba1",
        "保護者から辞退の電話があったため",
    )


async def _form(http: aiohttp.ClientSession, url: str) -> tuple[str, str]:
    """The day page's text and its CSRF token."""
    async with http.get(url) as r:
        text = await r.text()
    found = re.search(r'name="csrf" value="([^"]+)"', text)
    assert found is not None
    return text, found.group(1)


async def test_without_javascript_removing_an_offered_child_asks_on_a_page_first(
    harness: Any,
    staff: aiohttp.ClientSession,  # noqa: F811
) -> None:
    h = harness
    entries = await day_with_a_line(h.bot)
    h.line.take("U1"), h.line.take("U2")
    _, csrf = await _form(staff, h.url + PAGE)
    form = {"csrf": csrf, "entry": entries["目黒 太郎"], "date": D, "reason": "重複のため"}
    remove = h.url + "/staff/n/futaba/day/waiting/remove"
    async with staff.post(remove, data=form) as r:
        asked = await r.text()
    assert r.status == 200 and "<h1>キャンセル待ちの取消の確認</h1>" in asked
    for line in (
        "2024-04-23 9:00～12:00、目黒 太郎さんのキャンセル待ちを取り消します。",
        "いま目黒 太郎さんに空きを案内中です（9:33まで）。"
        "取り消すと、次に待っている方へ案内します。",
        "保護者へのお知らせに載せる理由：重複のため",
        "保護者のLINEにお知らせを送ります。",
        ">キャンセル待ちを取り消す</button>",
    ):
        assert line in asked
    assert h.line.take("U1") == [] and await h.bot.repos.audit.recent() == []  # nothing yet
    async with staff.post(remove, data={**form, "confirmed": "1"}, allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == PAGE
    assert "重複のため" in pushed(h, "U1")[0]
    assert "キャンセル待ちの日に空きが出ました" in "\n".join(pushed(h, "U2"))  # passed on
    page, _ = await _form(staff, h.url + PAGE)
    assert "目黒 太郎さんのキャンセル待ちを取り消しました。" in page
    assert "キャンセル待ち（2人）" in page and "空きを案内中（9:33まで）" in page
    log, _ = await _form(staff, h.url + "/staff/log")  # city staff: the operation log
    assert "キャンセル待ちの取消" in log and "目黒 太郎（メグロ タロウ）" in log
    assert "重複のため" in log and "空きを案内中" in log and "取消済み" in log
    # the same form again: the child is no longer in line, said in staff's words
    async with staff.post(remove, data={**form, "confirmed": "1"}, allow_redirects=False) as r:
        assert r.status == 303
    page, _ = await _form(staff, h.url + PAGE)
    assert "のキャンセル待ちに「" in page and "さんはいません" in page


async def test_an_empty_line_is_a_quiet_line_and_a_closed_or_past_day_shows_none(
    harness: Any,
    staff: aiohttp.ClientSession,  # noqa: F811
) -> None:
    page, _ = await _form(staff, harness.url + "/staff/n/futaba/day?date=2024-04-22")
    assert "キャンセル待ち（0人）" in page and "キャンセル待ちはありません。" in page
    for day in ("2024-04-21", "2024-04-19"):  # a Sunday (closed), a day gone by
        page, _ = await _form(staff, harness.url + f"/staff/n/futaba/day?date={day}")
        assert "キャンセル待ち" not in page


async def test_the_line_form_with_bad_values_answers_in_japanese(console):
    await day_with_a_line(console.h.bot)
    await console.open(javascript=False)
    await console.login("futaba1")
    assert await _english_after_each_form(console, PAGE) == []


async def test_a_parent_not_reached_is_to_be_phoned_and_the_page_says_the_number(
    harness: Any,
    staff: aiohttp.ClientSession,  # noqa: F811
) -> None:
    h = harness
    entries = await day_with_a_line(h.bot)
    await h.send("U3", h.unfollow("U3"))
    page, csrf = await _form(staff, h.url + PAGE)
    assert 'name="phone" value="03-5777-8888"' in page
    form = {"csrf": csrf, "entry": entries["中町 さくら"], "date": D, "phone": "03-5777-8888"}
    remove = h.url + "/staff/n/futaba/day/waiting/remove"
    async with staff.post(remove, data={**form, "confirmed": "1"}, allow_redirects=False) as r:
        assert r.status == 303
    page, _ = await _form(staff, h.url + PAGE)
    assert (
        "中町 さくらさんのキャンセル待ちを取り消しました。\n"
        "保護者がLINEアカウントをブロックしているため、お知らせは届いていません。"
        "電話でお知らせください。\n保護者の電話：03-5777-8888"
    ) in page
    assert (
        "電話でお知らせする保護者が1人います" in page
        or "電話でお知らせする保護者が2人います" in page
    )
