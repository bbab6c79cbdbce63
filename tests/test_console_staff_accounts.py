"""City staff manage console accounts in the browser: a nursery's account is created with a
one-time password shown once, its holder must choose their own at the first login, a
password is reissued after a confirmation, an account stopped and restarted; every change
is in the operation log, never the password. A nursery's staff cannot."""

from __future__ import annotations

import re

from tests.console_support import Console


async def test_city_creates_an_account_whose_holder_sets_a_password_first(console):
    page = await console.login("city1")
    await page.get_by_role("link", name="アカウント").click()
    await page.get_by_label("ログインID").fill("Futaba2")  # upper case is refused
    await page.get_by_label("ログインID").evaluate("e => e.removeAttribute('pattern')")
    await page.get_by_label("ログインID").fill("ふたば")
    await page.get_by_label("名前", exact=True).fill("双葉 二郎")
    await page.get_by_label("対象").select_option(label="双葉の園保育園")
    await page.get_by_role("button", name="アカウントを作る").click()
    await page.wait_for_load_state()
    assert await console.flash() == (
        "ログインIDは半角の英小文字・数字（と . _ -）で3〜32文字にしてください（例：futaba2）。"
    )
    assert await page.get_by_label("名前", exact=True).input_value() == "双葉 二郎"  # kept
    await page.get_by_label("ログインID").fill("futaba2")
    await page.get_by_role("button", name="アカウントを作る").click()
    await page.wait_for_load_state()
    assert await page.locator("h1").inner_text() == "アカウントを作りました"
    password = await page.locator(".secret").inner_text()
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", password)
    await console.shot("account-created")
    await page.goto(console.url("/staff/accounts"))
    row = await page.locator("tr", has_text="futaba2").inner_text()
    assert "双葉の園保育園" in row and "初回ログイン待ち" in row
    assert password not in await page.content()  # shown once
    await page.get_by_label("ログインID").fill("futaba2")
    await page.get_by_label("名前", exact=True).fill("別の人")
    await page.get_by_role("button", name="アカウントを作る").click()
    await page.wait_for_load_state()
    assert (
        await console.flash()
        == "ログインID「futaba2」はすでに使われています。別のIDにしてください。"
    )

    # the holder logs in with it and must choose a password before anything else
    holder = Console(console.h, console.browser)
    mine = await holder.login("futaba2", password)
    assert mine.url.endswith("/staff/password")
    assert await holder.flash() == (
        "一時パスワードでログインしました。続けるには、新しいパスワードを決めてください。"
    )
    await mine.goto(holder.url("/staff/n/futaba/day"))
    assert mine.url.endswith("/staff/password")  # nothing else until then
    await holder.shot("password-change")
    await mine.get_by_label("今のパスワード").fill(password)
    await mine.get_by_label("新しいパスワード（10文字以上）").fill("futaba no sakura")
    await mine.get_by_label("新しいパスワード（もう一度）").fill("futaba no sakura!")
    await mine.get_by_role("button", name="変更する").click()
    await mine.wait_for_load_state()
    assert await holder.flash() == "新しいパスワードが2回とも同じになるように入力してください。"
    await mine.get_by_label("今のパスワード").fill(password)
    await mine.get_by_label("新しいパスワード（10文字以上）").fill("futaba no sakura")
    await mine.get_by_label("新しいパスワード（もう一度）").fill("futaba no sakura")
    await mine.get_by_role("button", name="変更する").click()
    await mine.wait_for_load_state()
    assert mine.url.endswith("/staff/n/futaba/day")  # still logged in
    assert await holder.flash() == "パスワードを変更しました。"

    # the city reissues it (confirmed first): the old one no longer works
    await page.reload()
    await page.get_by_role("button", name="futaba2のパスワードを再発行する").click()
    await page.wait_for_load_state()
    assert await page.locator("h1").inner_text() == "パスワードの再発行の確認"
    assert "今のパスワードは使えなくなり" in await page.locator(".confirm").inner_text()
    await page.get_by_role("button", name="パスワードを再発行する").click()
    await page.wait_for_load_state()
    assert await page.locator("h1").inner_text() == "パスワードを再発行しました"
    again = await page.locator(".secret").inner_text()
    await mine.goto(holder.url("/staff/n/futaba/day"))
    assert mine.url.endswith("/staff/login")  # its session ended
    await holder.login("futaba2", "futaba no sakura")
    assert (await holder.flash()).startswith("ログインできませんでした。")
    await holder.login("futaba2", again)
    assert holder.page.url.endswith("/staff/password")

    # stopped, then restarted
    await page.goto(console.url("/staff/accounts"))
    await page.get_by_role("button", name="futaba2を停止する").click()
    await page.get_by_role("button", name="停止する").click()
    await page.wait_for_load_state()
    assert await console.flash() == "futaba2を停止しました。ログインできなくなりました。"
    assert "停止中" in await page.locator("tr", has_text="futaba2").inner_text()
    await page.get_by_role("button", name="futaba2を再開する").click()
    await page.wait_for_load_state()
    assert await console.flash() == "futaba2を再開しました。ログインできます。"
    await console.shot("accounts")

    # the operation log names each change and never holds a password
    await page.get_by_role("link", name="操作ログ").click()
    log = await page.locator("main").inner_text()
    for words in ("アカウントの作成", "パスワードの再発行", "アカウントの停止", "アカウントの再開"):
        assert words in log
    assert "ログインID\nfutaba2" in log
    entries = await console.h.bot.repos.audit.recent()
    assert password not in str(entries) and again not in str(entries)


async def test_a_nursery_account_cannot_manage_accounts(console):
    page = await console.login("futaba1")
    response = await page.goto(console.url("/staff/accounts"))
    assert response.status == 403
    assert await page.get_by_role("link", name="アカウント").count() == 0
    status, _ = await console.post(
        "/staff/accounts/add",
        {"csrf": await console.csrf(), "login": "evil", "name": "x", "scope": "city"},
    )
    assert status == 403
    assert await console.h.bot.repos.accounts.get("evil") is None
