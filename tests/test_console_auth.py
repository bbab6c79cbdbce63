"""Staff console in a real browser: login, logout, lockout, idle expiry, CSRF, nurseries' walls."""

from __future__ import annotations

import datetime as dt

from tests.console_support import PASSWORD, Console, day_seats, roster
from tests.interview_support import registration

FAILED = (
    "ログインできませんでした。ログインIDとパスワードを確かめてください。"
    "続けて間違えた場合は、15分ほど時間をおいてからお試しください。"
)


async def test_login_opens_the_own_nurserys_day_and_logout_ends_it(console):
    page = await console.login("futaba1", "wrong password")
    assert await console.flash() == FAILED
    assert await page.get_by_label("ログインID").input_value() == "futaba1"
    await console.shot("login")
    page = await console.login("futaba1")
    assert page.url.endswith("/staff/n/futaba/day")
    assert "双葉の園保育園" in await page.locator("header").inner_text()
    cookie = next(c for c in await page.context.cookies() if c["name"] == "staff_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]
    assert "futaba1" not in cookie["value"]  # encrypted, not just signed
    await page.get_by_role("button", name="ログアウト").click()
    await page.wait_for_url("**/staff/login")
    assert await console.flash() == "ログアウトしました。"
    await page.goto(console.url("/staff/n/futaba/day"))
    assert page.url.endswith("/staff/login")
    await page.context.add_cookies([cookie])  # a copy taken before the logout opens nothing
    await page.goto(console.url("/staff/n/futaba/day"))
    assert page.url.endswith("/staff/login")


async def test_five_wrong_passwords_lock_the_account_for_a_while(console, clock):
    for _ in range(5):
        page = await console.login("futaba1", "not it")
    assert await console.flash() == FAILED
    page = await console.login("futaba1")  # the right password is refused while locked
    assert await console.flash() == FAILED and page.url.endswith("/staff/login")
    other = Console(console.h, console.browser)
    page = await other.login("angel1")  # another account is not affected
    assert page.url.endswith("/staff/n/angelica/day")
    clock.advance(dt.timedelta(minutes=16))
    page = await console.login("futaba1")
    assert page.url.endswith("/staff/n/futaba/day")


async def test_a_login_ends_twelve_hours_after_it_began_however_busy(console, clock):
    page = await console.login("futaba1")
    for _ in range(12 * 3 + 1):  # used every 20 minutes, past 12 hours
        clock.advance(dt.timedelta(minutes=20))
        await page.goto(console.url("/staff/n/futaba/calendar"))
    assert page.url.endswith("/staff/login")
    assert (
        await console.flash()
        == "ログインしてから12時間たったため、ログアウトしました。もう一度ログインしてください。"
    )


async def test_log_out_everywhere_ends_the_accounts_other_sessions(console):
    page = await console.login("futaba1")
    elsewhere = Console(console.h, console.browser)
    other_page = await elsewhere.login("futaba1")
    await page.goto(console.url("/staff/password"))
    await console.shot("password")
    await page.get_by_role("button", name="すべての端末からログアウトする").click()
    await page.wait_for_url("**/staff/login")
    assert await console.flash() == "すべての端末からログアウトしました。"
    await other_page.goto(console.url("/staff/n/futaba/day"))
    assert other_page.url.endswith("/staff/login")


async def test_a_login_left_idle_ends(console, clock):
    page = await console.login("futaba1")
    clock.advance(dt.timedelta(minutes=29))
    await page.goto(console.url("/staff/n/futaba/calendar"))
    assert page.url.endswith("/staff/n/futaba/calendar")  # used within the idle time
    clock.advance(dt.timedelta(minutes=31))
    await page.goto(console.url("/staff/n/futaba/calendar"))
    assert page.url.endswith("/staff/login")
    assert "しばらく操作がなかったため" in await console.flash()


async def test_a_button_pressed_after_the_login_ended_opens_the_login_page(console, clock):
    reg = await registration(console.h.bot, "U1")
    page = await console.login("futaba1")
    await page.goto(console.url("/staff/n/futaba/waiting"))
    clock.advance(dt.timedelta(minutes=31))
    await page.get_by_role("button", name="目黒 太郎さんを面談完了にする").click()  # htmx
    await page.wait_for_url("**/staff/login")
    assert "しばらく操作がなかったため" in await console.flash()
    assert not (await console.h.bot.repos.registrations.get(reg.id)).cleared()
    assert console.h.line.take("U1") == []


async def test_a_disabled_account_is_out_at_once(console):
    page = await console.login("futaba1")
    await console.h.bot.repos.accounts.set_disabled("futaba1", True)
    await page.goto(console.url("/staff/n/futaba/day"))
    assert page.url.endswith("/staff/login")
    await console.login("futaba1")
    assert "使えなくなっています" in await console.flash()


PHONE_CHILD = {"who": "unregistered", "new_child": "電話 花", "new_phone": "03-5555-0001"}
PAGES = ["day", "calendar", "slots", "waiting", "registrations", "bookings", "bookings.csv"]
ACTIONS = {
    "calendar/seats": {"first": "2024-04-23", "seats": "0"},
    "calendar/day": {"date": "2024-04-23", "do": "close"},
    "slots/add": {"date": "2024-04-24", "time": "10:00", "capacity": "1"},
    "slots/remove": {"at": "2024-04-24T10:00:00+09:00"},
    "waiting/complete": {"registration": "x"},
    "bookings/phone": {"date": "2024-04-23", "start": "9", "end": "11", **PHONE_CHILD},
    "bookings/cancel": {"booking": "x", "date": "2024-04-23"},
}


async def test_a_nurserys_staff_get_403_on_every_page_and_action_of_another(console):
    page = await console.login("futaba1")
    for name in PAGES:
        response = await page.goto(console.url(f"/staff/n/angelica/{name}"))
        assert response.status == 403, name
        assert "この保育園の情報は表示・変更できません。" in await page.inner_text("main")
    await page.goto(console.url("/staff/n/futaba/day"))
    token = await console.csrf()
    for path, form in ACTIONS.items():
        status, body = await console.post(f"/staff/n/angelica/{path}", {**form, "csrf": token})
        assert status == 403 and "表示・変更できません" in body, path
    assert await console.h.bot.repos.interviews.all("angelica") == []
    day = await day_seats(console.h.bot, "angelica", "2024-04-23")
    assert [h["seats"] for h in day["hours"]] == [3] * 9
    assert await page.get_by_role("link", name="操作ログ").count() == 0  # the city's only
    for path in ("/staff/log", "/staff/log.csv", "/staff/accounts"):
        assert (await page.goto(console.url(path))).status == 403


async def test_forms_without_or_with_a_wrong_csrf_token_are_refused(console):
    page = await console.login("futaba1")
    form = {"date": "2024-04-23", "start": "9", "end": "11", **PHONE_CHILD}
    for token in (None, "wrong", ""):
        data = form if token is None else {**form, "csrf": token}
        status, body = await console.post("/staff/n/futaba/bookings/phone", data)
        assert status == 403 and "このフォームは使えなくなっています" in body
    assert await roster(console.h.bot, "futaba", "2024-04-23") == []
    token = await console.csrf()
    status, _ = await console.post("/staff/n/futaba/bookings/phone", {**form, "csrf": token})
    assert status == 0  # the redirect after a done action (fetch sees it as opaque)
    assert [r["child"] for r in await roster(console.h.bot, "futaba", "2024-04-23")] == ["電話 花"]
    assert page.url.endswith("/staff/n/futaba/day")


async def test_city_staff_see_every_nursery(console):
    page = await console.login("city1")
    assert page.url.endswith("/staff/")
    await console.shot("home-city")
    await page.get_by_role("link", name="桑の実中目黒保育園").click()
    await page.wait_for_url("**/staff/n/kuwanomi/day")
    assert "桑の実中目黒保育園" in await page.locator("header").inner_text()
    assert PASSWORD not in await page.content()


async def test_the_console_is_used_with_the_keyboard_alone(console):
    page = await console.open()
    await page.goto(console.url("/staff/login"))
    assert await page.evaluate("document.activeElement.id") == "login"  # focused on arrival
    await page.keyboard.type("futaba1")
    await page.keyboard.press("Tab")
    await page.keyboard.type("correct horse battery")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/staff/n/futaba/day")
    await page.keyboard.press("Tab")  # the first stop skips to the page's content
    assert await page.evaluate("document.activeElement.textContent") == "本文へ移動"
    for _ in range(4):  # the account's name (パスワードの変更), ログアウト, 今日・日別, カレンダー
        await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "カレンダー"
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/staff/n/futaba/calendar")


async def test_other_pages_for_people_to_look_at(console):
    page = await console.login("futaba1")
    await page.goto(console.url("/staff/n/angelica/day"))
    await console.shot("forbidden")
    await page.goto(console.url("/staff/n/futaba/bookings?first=2024-05-10&last=2024-05-01"))
    assert "終了日は開始日と同じか" in await page.inner_text("main")
    await console.shot("bad-range")
    city = Console(console.h, console.browser)
    page = await city.login("city1")
    await page.goto(console.url("/staff/accounts"))
    text = await page.inner_text("main")
    assert "futaba1" in text and "双葉の園保育園" in text and "区（すべての保育園）" in text
    await city.shot("accounts")
