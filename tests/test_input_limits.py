"""What anyone may send is bounded: JSON bodies nested deeper than `json_body.MAX_DEPTH`
(the webhook, the admin API, the browser chat's API) and dates at the calendar's ends on
the console's pages and the admin API are answered 400, never 500 (issue #25, 4 and 7)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.context import Settings
from bot.json_body import MAX_DEPTH, TooDeep, depth, loads
from domain import checks
from qa.harness import Harness
from tests.console_support import PASSWORD, add_accounts
from tests.webchat_support import running

DEEP_LIST = b"[" * 200_000 + b"]" * 200_000
DEEP_OBJECTS = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
ENDS = ("0001-01-01", "9999-12-31")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


# -- the nesting limit -------------------------------------------------------------------------
def test_depth_counts_brackets_outside_strings_only() -> None:
    assert depth("1") == 0 and depth("[]") == 1 and depth('{"a": [1, {"b": 2}]}') == 3
    assert depth('["[[[{{{", "]]]"]') == 1  # brackets inside strings are text
    assert depth(r'["a \" [[[", "\\", [["\\\"]"]]]') == 3  # escaped quotes and backslashes
    assert depth('"[[[ unterminated') == 0 and depth(b"[[[[") == 4


def test_loads_takes_the_limit_and_refuses_one_more_as_a_value_error() -> None:
    value = loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    for _ in range(MAX_DEPTH - 1):
        [value] = value
    assert value == []
    with pytest.raises(TooDeep):
        loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    with pytest.raises(ValueError):
        loads(DEEP_OBJECTS)
    with pytest.raises(ValueError):
        loads(b"\xff{}")  # not UTF-8


def test_measuring_a_megabyte_is_quick_whatever_its_shape() -> None:
    shapes = [
        b"[" * 500_000 + b"]" * 500_000,
        (b"[" * 60 + b"]" * 60 + b",") * 8_200,
        b'"\\' * 500_000,  # escapes that never close a string
        b'"",' * 333_000,  # many short strings
    ]
    for body in shapes:
        started = time.perf_counter()
        depth(body)
        assert time.perf_counter() - started < 1.0, body[:20]


# -- the webhook ---------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECTS], ids=["list", "objects"])
async def test_a_signed_webhook_nested_too_deep_is_400(harness: Harness, body: bytes) -> None:
    assert await harness.post(body) == 400
    inside = b'{"destination": "U", "events": [' + body + b"]}"  # deep inside a payload
    assert await harness.post(inside) == 400
    assert await harness.post(body, signature="bm90IHRoZSBzaWduYXR1cmU=") == 400  # checked first
    await harness.settle()
    assert harness.line.sent == []


async def test_a_webhook_of_ordinary_depth_is_still_answered(harness: Harness) -> None:
    sent = await harness.send("U1", harness.text("U1", "メニュー"))
    assert sent, "the parent got no answer"


# -- the admin API's body ------------------------------------------------------------------------
async def _api(
    h: Harness, method: str, path: str, body: Any = None, data: bytes | None = None
) -> tuple[int, dict[str, Any]]:
    h.bot.settings.admin_tokens = ["futaba:ft-secret"]
    headers = {"Authorization": "Bearer ft-secret", "Content-Type": "application/json"}
    url = h.url + "/admin/api/nurseries/futaba/" + path
    if data is None and body is not None:
        data = json.dumps(body).encode()
    async with h._session.request(method, url, data=data, headers=headers) as r:
        return r.status, json.loads(await r.text())


@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECTS], ids=["list", "objects"])
async def test_an_admin_api_body_nested_too_deep_is_400(harness: Harness, body: bytes) -> None:
    status, data = await _api(harness, "POST", "interview-slots", data=body)
    assert status == 400 and str(MAX_DEPTH) in data["error"]
    status, data = await _api(harness, "POST", "interview-slots", {"at": "2024-04-23T10:00"})
    assert status == 201 and data["at"] == "2024-04-23T10:00+09:00"


# -- the browser chat's API ----------------------------------------------------------------------
@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECTS], ids=["list", "objects"])
async def test_a_browser_chat_body_nested_too_deep_is_400(body: bytes) -> None:
    async with running(Settings(demo=False)) as (url, _app), aiohttp.ClientSession() as http:
        say = url + "/webchat/api/users/parent/say"
        async with http.post(say, data=body) as r:
            assert r.status == 400
        async with http.post(say, json={"text": "メニュー"}) as r:
            assert r.status == 200 and (await r.json()) == {"ok": True}


# -- dates at the calendar's ends ----------------------------------------------------------------
@pytest.fixture
async def staff(harness: Harness) -> AsyncIterator[aiohttp.ClientSession]:
    """A city account's console session, by plain HTTP (its cookie on 127.0.0.1)."""
    await add_accounts(harness)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(harness.url + "/staff/login") as r:
            found = re.search(r'name="csrf" value="([^"]+)"', await r.text())
            assert found is not None
        form = {"csrf": found.group(1), "login": "city1", "password": PASSWORD}
        async with http.post(harness.url + "/staff/login", data=form) as r:
            assert r.status == 200 and r.url.path == "/staff/"
        yield http


CONSOLE_PAGES = [  # (path with {d} for the date, the field its message names)
    ("n/futaba/day?date={d}", "date"),
    ("n/futaba/calendar?from={d}", "from"),
    ("n/futaba/bookings?first={d}", "first"),
    ("n/futaba/bookings?first=2024-04-20&last={d}", "last"),
    ("n/futaba/bookings.csv?first={d}", "first"),
    ("n/futaba/bookings.csv?first=2024-04-20&last={d}", "last"),
    ("n/futaba/closing/{d}", "date"),
    ("log?first={d}&last=2024-04-20", "first"),
    ("log?last={d}", "last"),
    ("log.csv?last={d}", "last"),
]


def _outside(h: Harness, field: str) -> str:
    """The console's refusal of a date outside the staff's window, as config.yaml words it."""
    first, last = checks.window(h.bot.services)
    msg = h.bot.config.console.messages
    label = msg.fields.get(field, field)
    return msg.date_outside.format(field=label, first=first.isoformat(), last=last.isoformat())


@pytest.mark.parametrize("day", ENDS)
@pytest.mark.parametrize(("path", "field"), CONSOLE_PAGES)
async def test_a_console_page_for_a_date_at_the_calendars_end_is_400_in_japanese(
    harness: Harness, staff: aiohttp.ClientSession, path: str, field: str, day: str
) -> None:
    async with staff.get(harness.url + "/staff/" + path.format(d=day)) as r:
        text = await r.text()
        assert r.status == 400, text[:300]
    assert _outside(harness, field) in text
    assert "Traceback" not in text and "Internal Server Error" not in text


async def test_a_console_action_with_a_date_outside_the_window_is_refused_with_a_message(
    harness: Harness, staff: aiohttp.ClientSession
) -> None:
    page = harness.url + "/staff/n/futaba/calendar"
    async with staff.get(page) as r:
        found = re.search(r'name="csrf" value="([^"]+)"', await r.text())
        assert found is not None
    form = {"csrf": found.group(1), "date": "9999-12-31", "do": "close"}
    async with staff.post(page + "/day", data=form, allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == "/staff/n/futaba/calendar"
    async with staff.get(page) as r:
        assert _outside(harness, "date") in await r.text()


API_DATES = [  # (method, path under the nursery with {d}, body with {d})
    ("GET", "capacity/{d}", None),
    ("GET", "capacity/{d}/closing", None),
    ("GET", "roster/{d}", None),
    ("GET", "waiting-list/{d}", None),
    ("POST", "waiting-list/remove", {"date": "{d}", "child": "目黒 太郎"}),
    ("GET", "bookings.csv?from={d}", None),
    ("GET", "bookings.csv?from=2024-04-20&to={d}", None),
    ("PUT", "capacity/{d}", {"seats": 1}),
    ("PUT", "capacity", {"from": "{d}", "seats": 1}),
    ("PUT", "capacity", {"from": "2024-04-22", "to": "{d}", "seats": 1}),
    ("POST", "capacity/{d}/close", {}),
    ("POST", "phone-bookings", {"date": "{d}", "start": 9, "end": 11, "child": "目黒 太郎"}),
    ("POST", "bookings/cancel", {"date": "{d}", "child": "目黒 太郎"}),
    ("POST", "interview-slots", {"at": "{d}T10:00"}),
    ("DELETE", "interview-slots/{d}T10:00", None),
    ("POST", "interviews/move", {"child": "目黒 太郎", "to": "{d}T10:00"}),
]


@pytest.mark.parametrize("day", ENDS)
@pytest.mark.parametrize(("method", "path", "body"), API_DATES)
async def test_an_admin_api_date_at_the_calendars_end_is_400_in_japanese(
    harness: Harness, method: str, path: str, body: dict[str, Any] | None, day: str
) -> None:
    sent = json.loads(json.dumps(body).replace("{d}", day)) if body is not None else None
    status, data = await _api(harness, method, path.format(d=day), sent)
    assert status == 400, data
    assert JAPANESE.search(data["error"]), data
