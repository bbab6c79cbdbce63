"""Console logins under attack, over plain HTTP: a burst of guesses gets no more checks
than the limit, a success does not lift a lock set meanwhile, every refusal reads the
same and costs one hash, one address cannot lock an account for everyone, and city
staff see and lift locks."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from storage.login_attempts import account_key
from tests.console_support import PASSWORD

FAILED = "ログインできませんでした。"


class Browser:
    """One cookie jar, as one person's browser, from one address (X-Forwarded-For)."""

    def __init__(self, url: str, address: str = "192.0.2.10") -> None:
        self.url = url
        self.headers = {"X-Forwarded-For": address}
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.last_url = ""

    async def csrf(self, path: str = "/staff/login") -> str:
        async with self.http.get(self.url + path, headers=self.headers) as r:
            found = re.search(r'name="csrf" value="([^"]+)"', await r.text())
            assert found, path
            return found.group(1)

    async def login(
        self, login: str, password: str, csrf: str | None = None, flash: bool = True
    ) -> str:
        """Where the login went: the page after it, or the login page's message."""
        form = {"csrf": csrf or await self.csrf(), "login": login, "password": password}
        async with self.http.post(
            self.url + "/staff/login", data=form, headers=self.headers, allow_redirects=False
        ) as r:
            assert r.status == 303
            where = r.headers["Location"]
        if where != "/staff/login" or not flash:
            return where
        async with self.http.get(self.url + where, headers=self.headers) as r:
            found = re.search(r'class="flash[^"]*"[^>]*>([^<]+)<', await r.text())
            return found.group(1) if found else ""

    async def post(self, path: str, form: dict[str, str]) -> int:
        form = {"csrf": await self.csrf("/staff/accounts"), **form}
        async with self.http.post(
            self.url + path, data=form, headers=self.headers, allow_redirects=False
        ) as r:
            return r.status

    async def get(self, path: str) -> tuple[int, str]:
        """Open a page (following redirects): its status and text; `last_url` says where."""
        async with self.http.get(self.url + path, headers=self.headers) as r:
            self.last_url = str(r.url)
            return r.status, await r.text()

    def cookie(self) -> str:
        """The console's cookie, as a thief would copy it."""
        return next(c.value for c in self.http.cookie_jar if c.key == "staff_console")

    async def text(self, path: str) -> str:
        async with self.http.get(self.url + path, headers=self.headers) as r:
            return await r.text()

    async def close(self) -> None:
        await self.http.close()


@pytest.fixture
async def browsers(console):  # type: ignore[no-untyped-def]
    """Browsers on the console, behind one trusted proxy that says who they are."""
    console.h.bot.settings.proxy_hops = 1
    made: list[Browser] = []

    def browser(address: str = "192.0.2.10") -> Browser:
        made.append(Browser(console.h.url, address))
        return made[-1]

    yield browser
    for b in made:
        await b.close()


def count_checks(console: Any) -> list[bool]:
    """Every password check made from now on: whether it was against a stored hash."""
    passwords = console.h.bot.repos.accounts.passwords
    checks: list[bool] = []
    real = passwords.matches

    def matches(stored: str | None, password: str) -> bool:
        checks.append(stored is not None)
        return real(stored, password)

    passwords.matches = matches
    return checks


async def test_a_burst_of_guesses_gets_no_more_checks_than_the_limit(console, browsers):
    checks = count_checks(console)
    attacker = browsers()
    token = await attacker.csrf()
    answers = await asyncio.gather(
        *(attacker.login("futaba1", f"guess {i}", token, flash=False) for i in range(59))
    )
    assert answers == ["/staff/login"] * 59
    assert checks.count(True) <= 5  # five guesses checked against the real hash, no more
    assert len(checks) == 59  # the others cost the same (a dummy hash), and say the same
    assert (await attacker.login("futaba1", PASSWORD)).startswith(FAILED)  # locked now
    owner = browsers("198.51.100.7")  # the account's owner, at the nursery
    assert await owner.login("futaba1", PASSWORD) == "/staff/"


async def test_a_success_in_flight_does_not_lift_a_lock_set_meanwhile(console, browsers, clock):
    attacker = browsers()
    for i in range(6):
        assert (await attacker.login("futaba1", f"guess {i}")).startswith(FAILED)
    attempts = console.h.bot.repos.login_attempts
    rules = console.h.bot.config.console
    await attempts.clear(account_key("futaba1", "192.0.2.10"), rules.lock_after)  # a success
    assert (await attacker.login("futaba1", PASSWORD)).startswith(FAILED)  # the lock held


async def test_unknown_wrong_and_locked_answer_the_same_after_one_hash(console, browsers):
    checks = count_checks(console)
    b = browsers()
    unknown = await b.login("nobody", "whatever it is")
    wrong = await b.login("futaba1", "not the password")
    for i in range(5):
        await b.login("futaba1", f"guess {i}")
    locked = await b.login("futaba1", PASSWORD)
    assert unknown == wrong == locked and unknown.startswith(FAILED)
    assert len(checks) == 8  # one hash each, whatever the cause


async def test_one_address_trying_many_accounts_is_stopped_for_every_account(console, browsers):
    sprayer = browsers("203.0.113.5")
    limit = console.h.bot.config.console.address_limit
    for i in range(limit):
        await sprayer.login(f"user{i}", "password1234")
    assert (await sprayer.login("angel1", PASSWORD)).startswith(FAILED)
    assert await browsers("198.51.100.7").login("angel1", PASSWORD) == "/staff/"


async def test_city_staff_see_and_lift_the_locks(console, browsers):
    attacker = browsers("203.0.113.9")
    for i in range(6):
        await attacker.login("futaba1", f"guess {i}")
    for i in range(console.h.bot.config.console.address_limit):
        await attacker.login(f"user{i}", "password1234")
    city = browsers("198.51.100.8")
    assert await city.login("city1", PASSWORD) == "/staff/"
    page = await city.text("/staff/accounts")
    assert "ロック中" in page and "203.0.113.9" in page
    shot: Callable[..., Any] = console.shot
    tab = await console.login("city1")
    await tab.goto(console.url("/staff/accounts"))
    await shot("accounts_locks")
    assert await city.post("/staff/accounts/change", {"do": "unlock", "login": "futaba1"}) == 303
    assert (
        await city.post(
            "/staff/accounts/change", {"do": "unlock-address", "address": "203.0.113.9"}
        )
        == 303
    )
    assert await attacker.login("futaba1", PASSWORD) == "/staff/"
    log = [e.operation for e in await console.h.bot.repos.audit.recent()]
    assert "unlock-account" in log and "unlock-address" in log


async def test_a_huge_login_name_is_refused_and_not_stored(console, browsers):
    """A login form is open to anyone: a name of 900,000 characters is refused like any
    unknown login, and what the attempt leaves in the database stays small."""
    attacker = browsers()
    assert (await attacker.login("a" * 900_000, "x")).startswith(FAILED)
    db = console.h.bot.store.db
    stored = [d async for d in db["login_attempts"].find({})]
    assert stored and all(len(repr(d)) < 1_000 for d in stored)
    assert all(len(repr(d)) < 5_000 for d in [x async for x in db["staff_sessions"].find({})])
