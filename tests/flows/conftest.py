"""Flows run directly through the dialog engine on an in-memory store: no HTTP, no LINE."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.config import AppConfig
from domain.replies import Button, Reply, Text
from domain.services import Services
from flows.engine import Dialog
from flows.registry import FLOWS
from storage.clock import TOKYO, FrozenClock, SequentialIds
from storage.mongo import connect
from storage.repos import Repos


class Outbox:
    """Pushes the flows send (staff notices), kept instead of sent."""

    def __init__(self) -> None:
        self.pushed: list[tuple[str, list[Reply]]] = []

    async def push(self, user_id: str, replies: list[Reply], retry_key: str) -> bool:
        self.pushed.append((user_id, replies))
        return True


@pytest.fixture
def services(config: AppConfig) -> Services:
    store = connect(None)
    return Services(
        config,
        FrozenClock(dt.datetime(2024, 4, 20, 9, 0, tzinfo=TOKYO)),
        SequentialIds(),
        Repos.on(store.db, store.ttl_indexes),
        Outbox(),
    )


@pytest.fixture
def dialog(services: Services) -> Dialog:
    return Dialog(services, FLOWS, services.repos.sessions)


def texts(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies if isinstance(r, Text)]


def labels(replies: list[Reply]) -> list[str]:
    out: list[str] = []
    for r in replies:
        if isinstance(r, Text):
            out += [b.label for b in r.buttons if isinstance(b, Button)]
    return out
