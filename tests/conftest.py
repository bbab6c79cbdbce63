from __future__ import annotations

import datetime as dt

import pytest

from bot.qa.harness import Harness
from flows.config import load_config
from storage.clock import TOKYO, FrozenClock, SequentialIds


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(dt.datetime(2024, 4, 20, 9, 0, tzinfo=TOKYO))


@pytest.fixture
def config():
    return load_config()


@pytest.fixture
async def harness(clock, config):
    async with Harness(clock=clock, config=config, ids=SequentialIds()) as h:
        yield h


@pytest.fixture
async def pair(clock, config):
    """Two app instances on one store (as two server processes on one MongoDB), running the
    small test flow of tests/echo_flow.py, sharing one LINE stand-in."""
    from storage.mongo import connect
    from tests.echo_flow import EchoFlow

    store = connect(None)
    async with (
        Harness(clock=clock, config=config, store=store, flows=[EchoFlow]) as a,
        Harness(clock=clock, config=config, store=store, flows=[EchoFlow], standin=a.line) as b,
    ):
        yield a, b


@pytest.fixture
def keep_log_config():
    """Puts structlog's and the root logger's set-up back after a test that runs code calling
    `bot.logs.configure` (which would leave logs writing to the test's captured, closed,
    stderr)."""
    import logging

    import structlog

    saved, root = structlog.get_config(), logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)
