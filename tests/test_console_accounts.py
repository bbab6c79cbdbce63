"""Staff console accounts from the CLI (`staff account ...`), the lockout counted in the
store, and the session cookie's Secure flag behind https."""

from __future__ import annotations

import asyncio
import datetime as dt
import io

import pytest

from storage.login_attempts import account_key
from storage.staff_accounts import Passwords
from tests.test_staff_cli import quiet_logs, staff  # noqa: F401 (fixtures)


@pytest.fixture
def stdin(monkeypatch):
    def feed(text: str) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO(text + "\n"))

    return feed


async def test_accounts_are_added_listed_disabled_and_unlocked(staff, stdin, harness):  # noqa: F811
    stdin("a long enough secret")
    code, data, _ = await staff(
        "account", "add", "hanako", "双葉の園保育園", "--name", "目黒 花子", "--password-stdin"
    )
    assert code == 0 and data["scope"] == "futaba" and data["name"] == "目黒 花子"
    doc = await harness.bot.repos.accounts.get("hanako")
    assert doc.password_hash.startswith("$argon2id$")
    assert "a long enough secret" not in doc.password_hash
    assert Passwords().matches(doc.password_hash, "a long enough secret")
    assert not Passwords().matches(doc.password_hash, "a long enough secreT")
    stdin("another long secret")
    code, _, err = await staff("account", "add", "hanako", "city", "--password-stdin")
    assert code == 1 and "ログインID「hanako」はすでに使われています" in err
    stdin("short")
    code, _, err = await staff("account", "add", "taro", "city", "--password-stdin")
    assert code == 1 and "新しいパスワードは10文字以上にしてください" in err
    stdin("a long enough secret")
    code, _, err = await staff(
        "account", "add", "Bad Login With Spaces", "city", "--password-stdin"
    )  # an ID the console's login could never take
    assert code == 1 and "ログインIDは半角の英小文字・数字" in err
    stdin("a long enough secret")
    code, _, err = await staff("account", "add", "taro", "nowhere", "--password-stdin")
    assert code == 1 and "「nowhere」という保育園はありません" in err
    code, data, _ = await staff("account", "list")
    assert [(a["login"], a["scope"], a["disabled"]) for a in data] == [("hanako", "futaba", False)]
    assert "password" not in str(data)
    code, data, _ = await staff("account", "disable", "hanako")
    assert code == 0 and data["disabled"]
    code, data, _ = await staff("account", "enable", "hanako")
    assert code == 0 and not data["disabled"]
    attempts = harness.bot.repos.login_attempts
    now = harness.bot.services.now()
    key = account_key("hanako", "192.0.2.1")
    for _ in range(6):
        await attempts.count(key, now, dt.timedelta(minutes=15), "hanako", "192.0.2.1")
    code, data, _ = await staff("account", "list")
    assert data[0]["locked"]
    code, data, _ = await staff("account", "unlock", "hanako")
    assert code == 0 and not data["locked"]
    code, _, err = await staff("account", "disable", "nobody")
    assert code == 1 and "ログインID「nobody」のアカウントはありません" in err


async def test_login_attempts_from_several_processes_are_counted_together(harness):
    attempts = harness.bot.repos.login_attempts
    now = harness.bot.services.now()
    window = dt.timedelta(minutes=15)
    key = account_key("hanako", "192.0.2.1")
    counted = await asyncio.gather(*(attempts.count(key, now, window) for _ in range(8)))
    assert sorted(counted) == list(range(1, 9))  # each request saw its own number
    assert await attempts.count(key, now + window, window) == 1  # a new window


async def test_the_session_cookie_is_secure_when_the_request_came_over_https(harness):
    session = harness._session
    async with session.get(harness.url + "/staff/login") as r:
        plain = r.headers.getall("Set-Cookie")
    async with session.get(
        harness.url + "/staff/login", headers={"X-Forwarded-Proto": "https"}
    ) as r:
        secure = r.headers.getall("Set-Cookie")
    assert any("staff_console=" in c for c in plain)
    assert all("Secure" not in c for c in plain)
    cookie = next(c for c in secure if "staff_console=" in c)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/staff/" in cookie


async def test_the_embedded_store_gets_a_first_city_account_once(clock, config):
    """Only the embedded in-memory store (a MongoDB's accounts come from the CLI)."""
    from bot.staff.cli_accounts import embedded_first_account
    from qa.harness import Harness
    from storage.mongo import connect

    async with Harness(clock=clock, config=config, store=connect(None)) as h:
        password = await embedded_first_account(h.bot)
        doc = await h.bot.repos.accounts.get("city")
        assert password and doc.scope == "city" and Passwords().matches(doc.password_hash, password)
        assert await embedded_first_account(h.bot) is None


def test_the_product_hashes_with_argon2s_recommended_profile() -> None:
    """Tests hash cheaply (tests/conftest.py); a server's accounts never do."""
    stored = Passwords().hash("a long enough secret")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


async def test_account_and_token_changes_from_the_terminal_are_in_the_log(staff, stdin, harness):  # noqa: F811
    """What city staff change from the terminal is in the operation log as the console's
    changes are, under the OS user, never with a password or a token."""
    stdin("a long enough secret")
    assert (await staff("account", "add", "hanako", "city", "--password-stdin"))[0] == 0
    assert (await staff("account", "disable", "hanako"))[0] == 0
    stdin("another long secret")
    assert (await staff("account", "password", "hanako", "--password-stdin"))[0] == 0
    code, token, _ = await staff("token", "futaba")
    assert code == 0
    entries = await harness.bot.repos.audit.recent()
    assert sorted(e.operation for e in entries) == [  # one moment: the clock is frozen
        "add-account",
        "add-token",
        "disable-account",
        "reset-password",
    ]
    assert {e.actor_kind for e in entries} == {"cli"}
    [token_entry] = [e for e in entries if e.operation == "add-token"]
    assert token_entry.nursery == "futaba"  # under the nursery in the log's filter
    logged = repr([e.model_dump() for e in entries])
    assert "secret" not in logged and str(token) not in logged
