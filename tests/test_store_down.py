"""The database out of reach: `/metrics` still answers with the in-process counters and says
the store is down (`hoiku_store_up`); the admin API answers 503 with `Retry-After` and a
Japanese JSON error, not 500."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import aiohttp
import pytest
from pymongo.errors import ServerSelectionTimeoutError

from bot import metrics
from bot.staff.api import RETRY_AFTER
from storage.mongo import connect
from tests.console_support import PASSWORD, add_accounts
from tests.test_console_login_limits import Browser
from tests.test_metrics import parse

FUTABA = "futaba:ft-secret"
LINE_OK = ("hoiku_line_api_calls_total", (("endpoint", "reply"), ("status", "200")))
STORE_UP = ("hoiku_store_up", ())
PENDING = ("hoiku_inbox_events", (("status", "pending"),))


def _down(error: Exception):
    """A store call that fails the way the driver does when MongoDB is out of reach."""

    async def call(*args, **kwargs):
        raise error

    return call


def take_store_down(monkeypatch: pytest.MonkeyPatch, bot: Any) -> None:
    """Every repository call fails as with no server to select (`monkeypatch.undo()` brings
    the store back)."""
    for repo in vars(bot.repos).values():
        for name, _ in inspect.getmembers(repo, inspect.iscoroutinefunction):
            if not name.startswith("_"):
                error = ServerSelectionTimeoutError("no servers")
                monkeypatch.setattr(repo, name, _down(error))


async def scrape(harness) -> tuple[int, dict]:
    timeout = aiohttp.ClientTimeout(total=10)
    async with harness._session.get(harness.url + "/metrics", timeout=timeout) as r:
        return r.status, parse(await r.text())


async def test_metrics_answer_with_the_line_counters_while_the_store_is_down(harness, monkeypatch):
    await harness.say("Ustore", "メニュー")  # one event handled, its reply sent to LINE
    status, before = await scrape(harness)
    assert status == 200 and before[STORE_UP] == 1 and before[LINE_OK] >= 1

    take_store_down(monkeypatch, harness.bot)
    status, down = await scrape(harness)
    assert status == 200
    assert down[STORE_UP] == 0
    assert down[LINE_OK] == before[LINE_OK]
    assert down[("hoiku_events_handled_total", ())] == before[("hoiku_events_handled_total", ())]
    assert not any(name.startswith("hoiku_inbox_") for name, _ in down)  # not read, not 0

    monkeypatch.undo()
    status, back = await scrape(harness)
    assert status == 200 and back[STORE_UP] == 1 and back[PENDING] == 0


async def test_a_hung_store_costs_the_scrape_only_its_store_gauges(harness, monkeypatch):
    async def hung(*args, **kwargs):
        await asyncio.sleep(3600)

    monkeypatch.setattr(metrics, "STORE_READ_TIMEOUT", 0.1)
    monkeypatch.setattr(harness.bot.repos.leases, "waiting", hung)
    status, samples = await scrape(harness)
    assert status == 200 and samples[STORE_UP] == 0 and PENDING not in samples


@pytest.fixture
async def api(harness):
    harness.bot.settings.admin_tokens = [FUTABA]

    async def call(method: str, path: str, body: Any = None, token: str = "ft-secret"):
        headers = {"Authorization": f"Bearer {token}"}
        url = harness.url + "/admin/api/" + path
        async with harness._session.request(method, url, json=body, headers=headers) as r:
            return r.status, r.headers, await r.json()

    return call


async def test_the_admin_api_answers_503_to_retry_while_the_store_is_down(
    api, harness, monkeypatch
):
    stored = await harness.bot.repos.tokens.create("futaba", harness.bot.services.now())
    said = harness.bot.config.staff.messages.store_unavailable
    take_store_down(monkeypatch, harness.bot)
    calls = [
        ("GET", "nurseries/futaba/interview-slots", None, "ft-secret"),
        ("POST", "nurseries/futaba/interview-slots", {"at": "2024-04-23T10:00"}, "ft-secret"),
        ("GET", "nurseries/futaba/registrations", None, stored),  # the token is looked up
    ]
    for method, path, body, token in calls:
        status, headers, data = await api(method, path, body, token)
        assert status == 503, path
        assert headers["Retry-After"] == str(RETRY_AFTER)
        assert headers["Content-Type"].startswith("application/json")
        assert data == {"error": said} and "データベース" in said

    monkeypatch.undo()
    status, _, data = await api("GET", "nurseries/futaba/interview-slots", token=stored)
    assert status == 200 and data == []


async def test_console_pages_say_in_japanese_that_the_store_is_down(harness, monkeypatch):
    await add_accounts(harness)
    staff = Browser(harness.url)
    assert await staff.login("futaba1", PASSWORD) == "/staff/"
    session = staff.http
    take_store_down(monkeypatch, harness.bot)
    for path in ("/staff/login", "/staff/n/futaba/day"):
        async with session.get(harness.url + path, allow_redirects=False) as r:
            text = await r.text()
            assert r.status == 503 and r.headers["Retry-After"].isdigit(), path
            assert "データベースに接続できない" in text and "Traceback" not in text
    monkeypatch.undo()
    async with session.get(harness.url + "/staff/n/futaba/day") as r:
        assert r.status == 200 and r.url.path == "/staff/n/futaba/day"  # still logged in
    await staff.close()


async def test_timeouts_named_in_the_mongodb_uri_are_the_operators() -> None:
    """MongoDB's documentation has operators tune timeouts in the connection string; the
    bot's own (5 s to find a server, 10 s on a socket) are used only where it names none."""
    named = connect("mongodb://127.0.0.1:9/hoiku?serverSelectionTimeoutMS=300")
    plain = connect("mongodb://127.0.0.1:9/hoiku")
    try:
        assert named.client.options.server_selection_timeout == 0.3
        assert named.client.options.pool_options.socket_timeout == 10.0
        assert plain.client.options.server_selection_timeout == 5.0
        assert named.db.name == plain.db.name == "hoiku"
    finally:
        named.close()
        plain.close()
