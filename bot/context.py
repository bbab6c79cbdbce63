"""What one app instance holds (`Bot`), its settings, and the aiohttp key to reach it.

Its own module so that the LINE, staff and QA wings can reach the running bot
without importing the module that builds it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from bot.line.client import LineClient
from bot.line.dispatcher import Dispatcher
from bot.line.webhook import Webhook
from bot.maintenance import Maintenance
from bot.staff.operations import Operations
from flows.config import AppConfig
from flows.domain.staff import Staff
from flows.engine import Dialog
from flows.services import Services
from storage.mongo import Store
from storage.repos import Repos


@dataclass
class Settings:
    """Secrets and deployment settings, from the environment only."""

    channel_secret: str = ""
    access_token: str = ""
    mongodb_uri: str | None = None
    line_api_base: str = "https://api.line.me"
    config_path: Path | None = None
    admin_tokens: list[str] = field(default_factory=list)
    line_timeout: float = 5.0
    repair_every: float = 60.0  # seconds between background repairs of half-done bookings
    test_clock: bool = False  # BOT_TEST_CLOCK=1: frozen clock, set via POST /admin/api/test/clock
    webchat: bool = False  # BOT_WEBCHAT=1: the browser chat at / even with a LINE channel
    demo: bool = True  # BOT_DEMO=0: no demo data on the embedded store

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            channel_secret=env.get("LINE_CHANNEL_SECRET", ""),
            access_token=env.get("LINE_CHANNEL_ACCESS_TOKEN", ""),
            mongodb_uri=env.get("MONGODB_URI") or None,
            line_api_base=env.get("LINE_API_BASE_URL", "https://api.line.me"),
            config_path=Path(env["BOT_CONFIG"]) if env.get("BOT_CONFIG") else None,
            admin_tokens=[t for t in env.get("ADMIN_TOKENS", "").split(",") if t],
            line_timeout=float(env.get("LINE_TIMEOUT_SECONDS", "5")),
            test_clock=env.get("BOT_TEST_CLOCK") == "1",
            webchat=env.get("BOT_WEBCHAT") == "1",
            demo=env.get("BOT_DEMO", "1") != "0",
        )


@dataclass
class Bot:
    """Everything one app instance holds; handed to the webhook, admin API, console, replays."""

    settings: Settings
    config: AppConfig
    store: Store
    repos: Repos
    services: Services
    dialog: Dialog
    line: LineClient
    dispatcher: Dispatcher
    webhook: Webhook
    staff: Staff
    operations: Operations
    maintenance: Maintenance

    async def start(self) -> None:
        await self.repos.ensure_indexes()
        await self.line.start()
        self.dispatcher.start()
        self.maintenance.start()

    async def stop(self) -> None:
        await self.maintenance.stop()
        await self.dispatcher.close()
        await self.line.close()


BOT = web.AppKey("bot", Bot)
