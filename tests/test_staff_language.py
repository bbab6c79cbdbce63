"""Staff see the parent's language (issue 28): registrations, bookings and the キャンセル待ち
line carry `language` (ja, en; None for a phone booking or a parent whose language is not
known), read once per listing; the console (in Japanese) marks a parent who reads English
with 「英語」 beside their name, the admin API and the CLI give the field."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.staff import cli as staff_cli
from domain.waiting_staff import WaitingStaff
from qa.harness import Harness
from tests.console_support import PASSWORD, add_accounts
from tests.interview_support import registration
from tests.staff_waiting_support import DAY, day_with_a_line
from tests.test_staff_cli import _parse, quiet_logs  # noqa: F401 (the CLI's fixture)

D = DAY.isoformat()
NEXT = (DAY + dt.timedelta(days=1)).isoformat()
# U9 (上目黒 優) booked by phone for a registered child; U1-U3 wait in line (staff_waiting_support);
# U5 registered and waits for an interview; 電話 二郎 is a child not on LINE.
LANGUAGES = {"U9": "en", "U1": "ja", "U3": "en", "U5": "en"}  # U2: not known


async def _setup(bot: Any) -> None:
    await day_with_a_line(bot)
    await registration(bot, "U5", child="青葉 りん", kana="アオバ リン", parent="Alex Green")
    await bot.staff.bookings.set_capacity("futaba", NEXT, 2)
    await bot.staff.bookings.phone_booking(
        "futaba", NEXT, 9, 12, "電話 二郎", unregistered=True, phone="0355550002"
    )
    for user, language in LANGUAGES.items():
        await bot.repos.users.set_language(user, language, chosen=False)


def _by(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return {r[key]: r["language"] for r in rows}


EXPECTED_ROSTER = {"上目黒 あおい": "en"}
EXPECTED_PHONE = {"電話 二郎": None}
EXPECTED_LINE = {"目黒 太郎": "ja", "鷹番 次郎": None, "中町 さくら": "en"}
EXPECTED_REGS = {
    "上目黒 あおい": "en",
    "目黒 太郎": "ja",
    "鷹番 次郎": None,
    "中町 さくら": "en",
    "青葉 りん": "en",
}


async def test_each_listing_reads_the_languages_once(harness, monkeypatch):
    bot = harness.bot
    await _setup(bot)
    users, calls = bot.repos.users, []
    read = users.languages

    async def counted(ids: list[str]) -> dict[str, str]:
        calls.append(sorted(ids))
        return await read(ids)

    async def one_by_one(*args: Any) -> Any:
        raise AssertionError("one read per row")

    monkeypatch.setattr(users, "languages", counted)
    monkeypatch.setattr(users, "language", one_by_one)
    monkeypatch.setattr(users, "language_setting", one_by_one)
    staff = bot.staff
    rows = [r.model_dump() for r in await staff.bookings.roster("futaba", D)]
    assert _by(rows, "child") == EXPECTED_ROSTER and calls == [["U9"]]
    rows = [r.model_dump() for r in await staff.bookings.roster("futaba", NEXT)]
    assert _by(rows, "child") == EXPECTED_PHONE and calls[1:] == []  # no user: no read
    rows = [r.model_dump() for r in await staff.bookings.export("futaba", D, NEXT)]
    assert _by(rows, "child") == EXPECTED_ROSTER | EXPECTED_PHONE and len(calls) == 2
    calls.clear()
    rows = [r.model_dump() for r in await WaitingStaff(bot.services).line("futaba", D)]
    assert _by(rows, "child") == EXPECTED_LINE and calls == [["U1", "U2", "U3"]]
    calls.clear()
    rows = [r.model_dump() for r in await staff.interviews.registrations("futaba")]
    assert _by(rows, "child") == EXPECTED_REGS and len(calls) == 1
    rows = [r.model_dump() for r in await staff.interviews.waiting_interviews("futaba")]
    assert _by(rows, "child") == {"青葉 りん": "en"} and len(calls) == 2


FUTABA_TOKEN = "futaba:ft-secret"


async def test_the_admin_api_gives_the_language(harness):
    await _setup(harness.bot)
    harness.bot.settings.admin_tokens = [FUTABA_TOKEN]

    async def get(path: str) -> Any:
        url = harness.url + "/admin/api/nurseries/futaba/" + path
        headers = {"Authorization": "Bearer ft-secret"}
        async with harness._session.get(url, headers=headers) as r:
            assert r.status == 200, await r.text()
            return await r.json()

    assert _by(await get(f"roster/{D}"), "child") == EXPECTED_ROSTER
    assert _by(await get(f"roster/{NEXT}"), "child") == EXPECTED_PHONE
    assert _by(await get(f"waiting-list/{D}"), "child") == EXPECTED_LINE
    assert _by(await get("registrations"), "child") == EXPECTED_REGS
    assert _by(await get("interviews/waiting"), "child") == {"青葉 りん": "en"}


async def test_the_cli_prints_the_language(harness, capsys, quiet_logs):  # noqa: F811
    await _setup(harness.bot)

    async def run(*argv: str) -> Any:
        from_cli = await staff_cli.run(harness.bot, _parse(list(argv)))
        out, _ = capsys.readouterr()
        assert from_cli == 0
        return json.loads(out)

    assert _by(await run("roster", "futaba", D), "child") == EXPECTED_ROSTER
    assert _by(await run("roster", "futaba", NEXT), "child") == EXPECTED_PHONE
    assert _by(await run("waiting-list", "futaba", D), "child") == EXPECTED_LINE
    assert _by(await run("registrations", "futaba"), "child") == EXPECTED_REGS


async def _login(harness: Harness, login: str) -> aiohttp.ClientSession:
    """A console session of the account `login`, by plain HTTP."""
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.get(harness.url + "/staff/login") as r:
        found = re.search(r'name="csrf" value="([^"]+)"', await r.text())
        assert found is not None
    form = {"csrf": found.group(1), "login": login, "password": PASSWORD}
    async with session.post(harness.url + "/staff/login", data=form) as r:
        assert r.status == 200
    return session


@pytest.fixture
async def http(harness: Harness) -> AsyncIterator[aiohttp.ClientSession]:
    """A nursery account's console session."""
    await add_accounts(harness)
    async with await _login(harness, "futaba1") as session:
        yield session


async def _rows(http: aiohttp.ClientSession, url: str) -> dict[str, str]:
    """Each table row's HTML by the child named in it (its first <strong>)."""
    async with http.get(url) as r:
        assert r.status == 200
        page = await r.text()
    out = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S):
        child = re.search(r"<strong[^>]*>([^<]+)</strong>", row)
        if child:
            out[child.group(1)] = row
    return out


def _marked(rows: dict[str, str]) -> dict[str, bool]:
    """Whether each row marks its parent as reading English."""
    return {child: "英語" in row for child, row in rows.items()}


async def test_the_console_marks_a_parent_who_reads_english(harness, http):
    await _setup(harness.bot)
    base = harness.url + "/staff/n/futaba/"
    day = await _rows(http, base + f"day?date={D}")
    assert _marked(day) == {  # the roster's row, then the line's
        "上目黒 あおい": True,
        "目黒 太郎": False,
        "鷹番 次郎": False,
        "中町 さくら": True,
    }
    assert '<span class="tag lang"' in day["上目黒 あおい"]
    assert _marked(await _rows(http, base + f"day?date={NEXT}")) == {"電話 二郎": False}
    bookings = await _rows(http, base + f"bookings?first={D}&last={NEXT}")
    assert _marked(bookings) == {"上目黒 あおい": True, "電話 二郎": False}
    registrations = await _rows(http, base + "registrations")
    assert _marked(registrations) == {child: lang == "en" for child, lang in EXPECTED_REGS.items()}
    assert _marked(await _rows(http, base + "waiting")) == {"青葉 りん": True}

    regs = {r.child_name: r.id for r in await harness.bot.repos.registrations.at_nursery("futaba")}
    async with http.get(base + f"registration/{regs['青葉 りん']}") as r:
        english = await r.text()
    assert "<dt>言語</dt><dd>英語（LINEのお知らせは英語で届きます）</dd>" in english
    async with http.get(base + f"registration/{regs['目黒 太郎']}") as r:
        japanese = await r.text()
    assert "英語" not in japanese and "<dt>言語</dt><dd>日本語" in japanese
    async with http.get(base + f"registration/{regs['鷹番 次郎']}") as r:
        unknown = await r.text()
    assert "英語" not in unknown and "<dt>言語</dt>" not in unknown


async def test_the_operation_log_names_the_language_in_japanese(harness, capsys, quiet_logs):  # noqa: F811
    await _setup(harness.bot)
    await add_accounts(harness)
    code = await staff_cli.run(harness.bot, _parse(["remove-waiting", "futaba", "中町 さくら", D]))
    removed = json.loads(capsys.readouterr().out)
    assert code == 0 and removed["language"] == "en" and removed["status"] == "removed"
    async with await _login(harness, "city1") as http, http.get(harness.url + "/staff/log") as r:
        page = await r.text()
    row = next(row for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S) if "中町" in row)
    assert "保護者の言語" in row and "英語" in row and ">en<" not in row
