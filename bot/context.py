"""What one app instance holds (`Bot`), its settings, and the aiohttp key to reach it.

Its own module so that the LINE, staff and QA wings can reach the running bot
without importing the module that builds it.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from aiohttp import web

from bot.line.client import LineClient
from bot.line.dispatcher import Dispatcher
from bot.line.webhook import Webhook
from bot.maintenance import Maintenance
from bot.staff.operations import Operations
from domain.config import AppConfig, ConfigError
from domain.services import Services
from domain.staff import Staff
from flows.engine import Dialog
from storage.mongo import Store, StoreUnreachable
from storage.repos import Repos

log = structlog.get_logger(__name__)


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
    line_proxy: str | None = None  # LINE_API_PROXY: a proxy to LINE, where the network needs one
    line_backoff: float = 0.5  # seconds before the first retry of a LINE call, then doubling
    repair_every: float = 60.0  # seconds between background repairs of half-done bookings
    # BOT_TEST_CLOCK=1 (replays against a server, never production): the shared test clock
    # and the test routes of qa/ (bot/serve.py); any value but 1 or 0 stops start-up
    test_clock: bool = False
    # BOT_ALLOW_MEMORY_STORE=1: the Procfile's web process may run without MONGODB_URI
    allow_memory_store: bool = False
    metrics_allow: str = "127.0.0.1/32,::1/128"  # who may read /metrics without the token
    metrics_token: str = ""
    line_data_base: str = ""  # LINE's data API (rich menu images); default from line_api_base
    staff_session_key: str = ""  # STAFF_SESSION_KEY: Fernet key of the staff console's cookie
    # TRUSTED_PROXY_HOPS: proxies in front that append the client to X-Forwarded-For
    proxy_hops: int = 0
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
            admin_tokens=[t.strip() for t in env.get("ADMIN_TOKENS", "").split(",") if t.strip()],
            line_timeout=_number(env, "LINE_TIMEOUT_SECONDS", 5.0),
            line_proxy=env.get("LINE_API_PROXY") or None,
            test_clock=_switch(env, "BOT_TEST_CLOCK"),
            allow_memory_store=env.get("BOT_ALLOW_MEMORY_STORE") == "1",
            metrics_allow=env.get("METRICS_ALLOW", cls.metrics_allow),
            metrics_token=env.get("METRICS_TOKEN", ""),
            line_data_base=env.get("LINE_API_DATA_BASE_URL", ""),
            staff_session_key=env.get("STAFF_SESSION_KEY", ""),
            proxy_hops=_count(env, "TRUSTED_PROXY_HOPS"),
            webchat=env.get("BOT_WEBCHAT") == "1",
            demo=env.get("BOT_DEMO", "1") != "0",
        )

    def data_api_base(self) -> str:
        """LINE's data API host: its own unless the API base points elsewhere (a stand-in)."""
        if self.line_data_base:
            return self.line_data_base
        if self.line_api_base.rstrip("/") == "https://api.line.me":
            return "https://api-data.line.me"
        return self.line_api_base


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    """A positive number setting; ConfigError naming it otherwise."""
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not number > 0:  # also NaN
        raise ConfigError(f"{name} must be a number above 0, not {value!r}")
    return number


def _count(env: Mapping[str, str], name: str) -> int:
    """A whole number setting, 0 or more (unset: 0); ConfigError naming it otherwise."""
    value = env.get(name, "").strip() or "0"
    if not re.fullmatch(r"[0-9]+", value):
        raise ConfigError(f"{name} must be a whole number, 0 or more, not {value!r}")
    return int(value)


def _switch(env: Mapping[str, str], name: str) -> bool:
    """An on/off setting that must be said plainly: `1` on, `0` or unset off."""
    value = env.get(name, "").strip()
    if value not in ("", "0", "1"):
        raise ConfigError(f"{name} must be 1 (on) or 0 (off), not {value!r}")
    return value == "1"


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

    setting_up: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Indexes first, then the LINE client, the sweeper and the maintenance pass.

        A database that does not answer at start does not stop the worker: gunicorn takes
        a worker that fails to boot for broken code and stops the whole server, every other
        worker with it. The worker serves instead (the webhook answers 503, so LINE sends
        again; staff pages say the database is down) and makes the indexes once the
        database answers. A command the database refuses still stops start-up."""
        try:
            await self.repos.ensure_indexes()
        except StoreUnreachable as e:
            log.error("store_unavailable", during="start", error=type(e).__name__)
            self.webhook.store_ready = False
            self.setting_up = asyncio.create_task(self._set_up_when_reachable())
        await self.line.start()
        self.dispatcher.start()
        self.maintenance.start()

    async def _set_up_when_reachable(self, first_wait: float = 1.0, longest: float = 30.0) -> None:
        wait = first_wait
        while True:
            await asyncio.sleep(wait)
            try:
                await self.repos.ensure_indexes()
            except StoreUnreachable as e:
                log.error("store_unavailable", during="start", error=type(e).__name__)
                wait = min(wait * 2, longest)
                continue
            except Exception:  # refused (an index that conflicts): logged, tried again
                log.exception("store_setup_failed")
                wait = longest
                continue
            self.webhook.store_ready = True
            log.info("store_ready")
            return

    async def stop(self) -> None:
        if self.setting_up is not None:
            self.setting_up.cancel()
        await self.maintenance.stop()
        await self.dispatcher.close()
        await self.line.close()


BOT = web.AppKey("bot", Bot)
