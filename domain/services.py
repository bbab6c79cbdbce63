"""What flows and staff services are given: config, clock, IDs, repositories, a notifier."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from domain.catalogue import Messages
from domain.config import AppConfig
from domain.replies import Reply
from storage.clock import Clock, Ids
from storage.repos import Repos


class Notifier(Protocol):
    """Sends pushes (staff actions reach parents this way). Returns False if not delivered."""

    async def push(self, user_id: str, replies: list[Reply], retry_key: str) -> bool: ...


class NullNotifier:
    async def push(self, user_id: str, replies: list[Reply], retry_key: str) -> bool:
        return False


Observer = Callable[[str, str, str, str], None]  # flow, source, trigger, dest


def no_tally(event: str, **labels: str) -> None:
    """Where domain events are counted (`bot.metrics` counts them when the app runs)."""


@dataclass
class Services:
    config: AppConfig
    clock: Clock
    ids: Ids
    repos: Repos
    notifier: Notifier = field(default_factory=NullNotifier)
    observers: list[Observer] = field(default_factory=list)
    tally: Callable[..., None] = no_tally  # tally("booking", nursery=...): a domain event
    # When the flows last ran the ledger's repair in this process (Ledger.repair_due).
    repaired_at: dt.datetime | None = None

    @property
    def msg(self) -> Messages:
        return self.config.messages

    def now(self) -> dt.datetime:
        return self.clock.now().astimezone(self.config.zone())

    def today(self) -> dt.date:
        return self.now().date()

    def observe(self, flow: str, source: str, trigger: str, dest: str) -> None:
        for ob in self.observers:
            ob(flow, source, trigger, dest)
