"""The test clock and the store reset of a server started for replays (`BOT_TEST_CLOCK=1`):
not a door (loopback only, a city token as `Bearer`, a warning at start-up), one time for
every worker on the same store, and a reset that leaves nothing for the next script."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.context import BOT, Settings
from bot.logs import configure
from bot.serve import make_app, make_bot
from domain.config import ConfigError
from storage.clock import TOKYO
from storage.mongo import Store

CITY_TOKEN = "c" * 43
FUTABA_TOKEN = "f" * 43
TOKENS = [f"city:{CITY_TOKEN}", f"futaba:{FUTABA_TOKEN}"]
AT = "2024-05-07T08:30:00+09:00"

Client = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def client(store: Store, config: Any) -> AsyncIterator[Client]:
    """Starts a server on the test store: `await client(test_clock=True, remote=None)`."""
    started: list[TestClient] = []

    async def start(
        test_clock: bool = True, tokens: list[str] = TOKENS, remote: str | None = None
    ) -> TestClient:
        settings = Settings(admin_tokens=tokens, test_clock=test_clock)
        app = make_app(make_bot(settings, store=store, config=config))
        if remote is not None:  # the request as if it came from another address

            @web.middleware
            async def from_elsewhere(request: web.Request, handler: Any) -> web.StreamResponse:
                return await handler(request.clone(remote=remote))

            app.middlewares.insert(0, from_elsewhere)
        c = TestClient(TestServer(app))
        await c.start_server()
        started.append(c)
        return c

    yield start
    for c in started:
        await c.close()


async def _post(c: TestClient, path: str, body: Any, auth: str | None) -> tuple[int, Any]:
    headers = {"Authorization": auth} if auth is not None else {}
    r = await c.post(path, json=body, headers=headers)
    text = await r.text()
    return r.status, json.loads(text) if r.content_type == "application/json" else text


def _now(c: TestClient) -> dt.datetime:
    return c.server.app[BOT].services.clock.now()


async def test_without_the_setting_there_are_no_test_routes(client: Client) -> None:
    c = await client(test_clock=False)
    for path in ("/admin/api/test/clock", "/admin/api/test/reset"):
        status, _ = await _post(c, path, {"at": AT}, f"Bearer {CITY_TOKEN}")
        assert status == 404


@pytest.mark.parametrize("path", ["/admin/api/test/clock", "/admin/api/test/reset"])
@pytest.mark.parametrize(
    ("auth", "status"),
    [
        (None, 401),
        (CITY_TOKEN, 401),  # the token without `Bearer`
        (f"city:{CITY_TOKEN}", 401),  # the raw ADMIN_TOKENS entry
        (f"Bearer {'x' * 43}", 401),
        (f"Bearer {FUTABA_TOKEN}", 403),  # a nursery's token
    ],
)
async def test_test_routes_need_a_city_token_as_bearer(
    client: Client, path: str, auth: str | None, status: int
) -> None:
    c = await client()
    before = _now(c)
    got, body = await _post(c, path, {"at": AT}, auth)
    assert got == status
    assert "error" in body
    assert _now(c) == before


async def test_without_admin_tokens_nobody_moves_the_clock(client: Client) -> None:
    c = await client(tokens=[])
    before = _now(c)
    status, _ = await _post(c, "/admin/api/test/clock", {"at": AT}, f"Bearer {CITY_TOKEN}")
    assert status == 401
    assert _now(c) == before


async def test_test_routes_answer_on_loopback_only(client: Client) -> None:
    c = await client(remote="192.0.2.10")
    before = _now(c)
    for path in ("/admin/api/test/clock", "/admin/api/test/reset"):
        status, body = await _post(c, path, {"at": AT}, f"Bearer {CITY_TOKEN}")
        assert (status, body) == (403, {"error": "test routes answer on loopback only"})
    assert _now(c) == before


async def test_a_city_token_on_loopback_moves_every_workers_clock(client: Client) -> None:
    a, b = await client(), await client()  # two workers on one store
    status, body = await _post(a, "/admin/api/test/clock", {"at": AT}, f"Bearer {CITY_TOKEN}")
    assert (status, body) == (200, {"now": AT})
    assert (await b.get("/healthz")).status == 200  # any request: b reads the shared time
    assert _now(b) == dt.datetime(2024, 5, 7, 8, 30, tzinfo=TOKYO)
    c = await client()  # a worker started later starts at the shared time
    assert _now(c) == dt.datetime(2024, 5, 7, 8, 30, tzinfo=TOKYO)


async def test_a_workers_sweeps_and_passes_read_the_shared_time_first(client: Client) -> None:
    """A worker that last read the time before the next script moved it back would see the
    leases other workers took as run out (and handle their events a second time), or lapse
    interviews of days that have not come."""
    a, b = await client(), await client()
    later = dt.datetime(2025, 3, 1, 9, 0, tzinfo=TOKYO)
    await _post(a, "/admin/api/test/clock", {"at": later.isoformat()}, f"Bearer {CITY_TOKEN}")
    assert (await b.get("/healthz")).status == 200
    assert _now(b) == later
    worker = b.server.app[BOT]
    await _post(a, "/admin/api/test/clock", {"at": AT}, f"Bearer {CITY_TOKEN}")
    await worker.dispatcher.sweep_once()  # no request reached b in between
    assert _now(b) == dt.datetime(2024, 5, 7, 8, 30, tzinfo=TOKYO)
    await _post(a, "/admin/api/test/clock", {"at": later.isoformat()}, f"Bearer {CITY_TOKEN}")
    await worker.maintenance.run_once()
    assert _now(b) == later


async def test_reset_empties_the_store_but_keeps_the_clock_and_staff_tokens(
    client: Client, store: Store
) -> None:
    c = await client()
    bot = c.server.app[BOT]
    db_token = await bot.repos.tokens.create("city", _now(c))
    await _post(c, "/admin/api/test/clock", {"at": AT}, f"Bearer {CITY_TOKEN}")
    await store.db["registrations"].insert_one({"_id": "r1", "child": "x"})
    await store.db["seats"].insert_one({"_id": "s1"})
    status, body = await _post(c, "/admin/api/test/reset", {}, f"Bearer {db_token}")
    assert status == 200
    assert {"registrations", "seats"} <= set(body["emptied"])
    assert await store.db["registrations"].count_documents({}) == 0
    assert await store.db["seats"].count_documents({}) == 0
    assert _now(c) == dt.datetime(2024, 5, 7, 8, 30, tzinfo=TOKYO)
    status, _ = await _post(c, "/admin/api/test/reset", {}, f"Bearer {db_token}")
    assert status == 200


async def test_the_server_warns_at_start_up_while_the_test_clock_is_on(client: Client) -> None:
    buf = io.StringIO()
    configure("INFO", stream=buf)
    try:
        await client(test_clock=False)
        await client()
    finally:
        configure("INFO")
    lines = [json.loads(x) for x in buf.getvalue().splitlines() if x.startswith("{")]
    warned = [x for x in lines if x["event"] == "test_clock_on"]
    assert len(warned) == 1
    assert warned[0]["level"] == "warning"
    assert "never run this in production" in warned[0]["note"]


@pytest.mark.parametrize("value", ["true", "yes", "on", "2"])
def test_the_setting_must_be_said_plainly(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TEST_CLOCK", value)
    with pytest.raises(ConfigError, match="BOT_TEST_CLOCK must be 1"):
        Settings.from_env()
    monkeypatch.setenv("BOT_TEST_CLOCK", "0")
    assert Settings.from_env().test_clock is False
    monkeypatch.setenv("BOT_TEST_CLOCK", "1")
    assert Settings.from_env().test_clock is True
