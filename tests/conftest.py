from __future__ import annotations

import datetime as dt

import pytest

from bot.harness import Harness
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
