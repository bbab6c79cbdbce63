"""What flows and staff services are given: config, clock, IDs, repositories, a notifier.

`config` and `msg` are worded in the language being spoken (domain/language.py): the
parent's while their event is handled or a push to them is worded, the base otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from domain import language
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


class Profiles(Protocol):
    """Reads a LINE user's profile: the language their LINE is set to (None: unknown)."""

    async def language(self, user_id: str) -> str | None: ...


class NoProfiles:
    async def language(self, user_id: str) -> str | None:
        return None


class Menus(Protocol):
    """Shows a LINE user the rich menu of their language: the base language's is the
    account's (the city's menu, from which the bot's opens), another's is linked to them.
    Never raises: a failure is the implementation's to log, and is tried again when the
    user's language is set, or at a later message of theirs (`keep`)."""

    async def show(self, user_id: str, language: str) -> None: ...

    async def keep(self, user_id: str, language: str) -> None:
        """As `show`, for a user whose language did not change (any message of theirs): a
        link not made yet is made, but one that failed lately is not tried again yet."""

    async def switched(self, user_id: str, alias: str, language: str) -> None:
        """LINE showed the user the menu `alias` names (they tapped a menu's switch area)."""


class NoMenus:
    async def show(self, user_id: str, language: str) -> None:
        return None

    async def keep(self, user_id: str, language: str) -> None:
        return None

    async def switched(self, user_id: str, alias: str, language: str) -> None:
        return None


Observer = Callable[[str, str, str, str], None]  # flow, source, trigger, dest


def no_tally(event: str, **labels: str) -> None:
    """Where domain events are counted (`bot.metrics` counts them when the app runs)."""


@dataclass
class Services:
    base_config: AppConfig  # in the base language, with its translations
    clock: Clock
    ids: Ids
    repos: Repos
    notifier: Notifier = field(default_factory=NullNotifier)
    profiles: Profiles = field(default_factory=NoProfiles)
    menus: Menus = field(default_factory=NoMenus)
    observers: list[Observer] = field(default_factory=list)
    tally: Callable[..., None] = no_tally  # tally("booking", nursery=...): a domain event
    # When the flows last ran the ledger's repair in this process (Ledger.repair_due).
    repaired_at: dt.datetime | None = None

    @property
    def config(self) -> AppConfig:
        return self.base_config.in_language(language.current())

    @property
    def msg(self) -> Messages:
        return self.config.messages

    async def language_of(self, user_id: str | None) -> str:
        """The language a push to this LINE user is worded in (the base for nobody)."""
        if not user_id:
            return language.BASE
        return await self.repos.users.language(user_id) or language.BASE

    def now(self) -> dt.datetime:
        return self.clock.now().astimezone(self.config.zone())

    def today(self) -> dt.date:
        return self.now().date()

    def observe(self, flow: str, source: str, trigger: str, dest: str) -> None:
        for ob in self.observers:
            ob(flow, source, trigger, dest)
