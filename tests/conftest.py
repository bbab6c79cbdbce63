"""Shared fixtures; the store every test runs on.

Tests that use `store` (and so `harness` and `pair`) run once per store: the
in-memory store, and a MongoDB server when `TEST_MONGODB_URI` names one
(`./scripts/test` starts a mongoeco wire-protocol server, or passes the
`MONGODB_URI` it was given). On a server each test gets a database of its
own, dropped afterwards, so runs and tests never meet. `--store memory` or
`--store wire` runs one of them only.

`@pytest.mark.mongoeco_xfail(reason)` marks what mongoeco gets wrong and a real
MongoDB gets right: expected to fail on mongoeco only (strictly, so a fixed
mongoeco shows up), and run as any test on a real MongoDB.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
from collections.abc import AsyncIterator

import pytest
import structlog
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from playwright.async_api import Browser, async_playwright

from domain.config import AppConfig
from domain.config_file import load_config
from qa.harness import Harness
from storage.clock import TOKYO, FrozenClock, SequentialIds
from storage.mongo import Store, connect
from storage.staff_accounts import Passwords
from tests.browser import ARGS, CHROMIUM
from tests.console_support import SHOTS_STORE, Console, add_accounts
from tests.echo_flow import EchoFlow

if os.environ.get("MONGODB_URI") and not os.environ.get("TEST_MONGODB_URI"):
    os.environ["TEST_MONGODB_URI"] = os.environ["MONGODB_URI"]
# servers and CLIs the tests start pick their store themselves: never the one under test
os.environ.pop("MONGODB_URI", None)
WIRE_URI = os.environ.get("TEST_MONGODB_URI") or None
WIRE_KIND = os.environ.get("TEST_MONGODB_KIND", "mongodb")  # "mongoeco" from scripts/test


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--store",
        choices=("all", "memory", "wire"),
        default="all",
        help="run store tests on the in-memory store, the MongoDB server, or both (default)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "mongoeco_xfail(reason): mongoeco differs from MongoDB here (wire run only)"
    )
    config.addinivalue_line(
        "markers", "slow: a test of many seconds, run first (see pytest_collection_modifyitems)"
    )
    SHOTS_STORE["kind"] = "mongodb" if config.getoption("--store") == "wire" else "memory"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first: on several workers, a long test begun near the end of the run
    keeps the run going while the other workers have nothing left to take."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def backends(config: pytest.Config) -> list[str]:
    choice = config.getoption("--store")
    out = [] if choice == "wire" else ["memory"]
    if WIRE_URI and choice != "memory":
        out.append("wire")
    if choice == "wire" and not WIRE_URI:
        raise pytest.UsageError("--store wire needs TEST_MONGODB_URI (./scripts/test sets it)")
    return out


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", backends(metafunc.config), scope="function")


def new_store(backend: str) -> Store:
    """A fresh, empty store: in memory, or a database of its own on the test server."""
    if backend == "memory":
        return connect(None)
    assert WIRE_URI is not None
    server = connect(WIRE_URI)
    name = f"test_{uuid.uuid4().hex[:16]}"
    return Store(server.client, server.client[name], server.kind)


async def drop_store(store: Store) -> None:
    if store.kind != "memory":
        await store.client.drop_database(store.db.name)
    store.close()


@pytest.fixture
def wire_xfail(request: pytest.FixtureRequest, backend: str) -> None:
    """Applies `mongoeco_xfail` on the mongoeco run (used by `store`)."""
    marker = request.node.get_closest_marker("mongoeco_xfail")
    if marker is not None and backend == "wire" and WIRE_KIND == "mongoeco":
        reason = marker.args[0] if marker.args else marker.kwargs["reason"]
        request.applymarker(pytest.mark.xfail(reason=f"mongoeco: {reason}", strict=True))


@pytest.fixture
async def store(backend: str, wire_xfail: None) -> AsyncIterator[Store]:
    s = new_store(backend)
    try:
        yield s
    finally:
        await drop_store(s)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(dt.datetime(2024, 4, 20, 9, 0, tzinfo=TOKYO))


@pytest.fixture(scope="session")
def config() -> AppConfig:
    """config.yaml, read once per test process: an `AppConfig` is frozen, so tests share it
    (a test that needs other settings writes its own file, tests/config_support.py)."""
    return load_config()


@pytest.fixture
async def harness(clock, config, store):
    """The app on a loopback port; staff passwords hashed with argon2's cheapest profile
    (the console's tests log in often; the production profile is the default)."""
    passwords = Passwords(PasswordHasher.from_parameters(CHEAPEST))
    async with Harness(
        clock=clock, config=config, ids=SequentialIds(), store=store, passwords=passwords
    ) as h:
        yield h


@pytest.fixture
async def pair(clock, config, store):
    """Two app instances on one store (as two server processes on one MongoDB), running the
    small test flow of tests/echo_flow.py, sharing one LINE stand-in."""
    async with (
        Harness(clock=clock, config=config, store=store, flows=[EchoFlow]) as a,
        Harness(clock=clock, config=config, store=store, flows=[EchoFlow], standin=a.line) as b,
    ):
        yield a, b


@pytest.fixture(autouse=True)
def keep_log_config():
    """Puts structlog's and the root logger's set-up back after every test: code a test runs
    may call `bot.logs.configure` (the CLI entries do), which would leave logs writing to the
    test's captured, closed, stderr, and filtered at its level for the tests after it in the
    process (`structlog.testing.capture_logs` then sees nothing below it)."""
    saved, root = structlog.get_config(), logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    """One headless Chromium for the test process: launching one (and Playwright's driver)
    costs about a CPU second, once per test process instead of once per browser test."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def browser(chromium: Browser) -> AsyncIterator[Browser]:
    """The test process's Chromium; the contexts (tabs, cookies) a test opened are closed
    after it, so no test sees another's pages or logins."""
    yield chromium
    for context in list(chromium.contexts):
        await context.close()


@pytest.fixture
async def console(harness, browser):  # type: ignore[no-untyped-def]
    """The staff console's browser tests: the app with test accounts, a headless Chromium."""
    await add_accounts(harness)
    yield Console(harness, browser)
