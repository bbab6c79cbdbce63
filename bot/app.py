"""Builds the aiohttp application: webhook, health check, admin API, and what they share."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from aiohttp import web

from bot.dispatcher import Dispatcher
from bot.events import EventHandler, Pusher
from bot.line_client import LineClient
from bot.maintenance import Maintenance
from bot.webhook import Webhook
from flows.base import Flow
from flows.config import AppConfig, load_config
from flows.engine import Dialog
from flows.registry import FLOWS
from flows.services import Services
from flows.staff import Staff
from storage.clock import Clock, FrozenClock, Ids, RandomIds, SystemClock
from storage.mongo import Store, connect
from storage.repos import Repos

log = structlog.get_logger("bot.app")


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


def build(
    settings: Settings,
    *,
    config: AppConfig | None = None,
    store: Store | None = None,
    clock: Clock | None = None,
    ids: Ids | None = None,
    flows: list[type[Flow]] | None = None,
) -> Bot:
    config = config or load_config(settings.config_path)
    store = store or connect(settings.mongodb_uri)
    if clock is None and settings.test_clock:
        clock = FrozenClock(SystemClock(config.zone()).now(), config.zone())
    clock = clock or SystemClock(config.zone())
    repos = Repos.on(store.db)
    line = LineClient(settings.access_token, settings.line_api_base, settings.line_timeout)
    services = Services(config, clock, ids or RandomIds(), repos, Pusher(line, repos.users))
    dialog = Dialog(services, FLOWS if flows is None else flows)
    dispatcher = Dispatcher(repos.inbox, repos.leases, EventHandler(dialog, line, clock), clock)
    webhook = Webhook(settings.channel_secret, dispatcher)
    staff = Staff(services)
    maintenance = Maintenance(services, settings.repair_every)
    return Bot(
        settings,
        config,
        store,
        repos,
        services,
        dialog,
        line,
        dispatcher,
        webhook,
        staff,
        maintenance,
    )


BOT = web.AppKey("bot", Bot)


def create_app(bot: Bot) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[BOT] = bot

    async def lifecycle(app: web.Application):  # type: ignore[no-untyped-def]
        await bot.start()
        log.info(
            "bot_started",
            store=bot.store.kind,
            note="data is kept in memory and lost on exit; set MONGODB_URI for MongoDB"
            if bot.store.kind == "memory"
            else "data is kept in MongoDB",
            line_api=bot.settings.line_api_base,
            webhook_enabled=bool(bot.settings.channel_secret),
        )
        yield
        await bot.stop()
        log.info("bot_stopped")

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "store": bot.store.kind})

    app.cleanup_ctx.append(lifecycle)
    app.router.add_post("/callback", bot.webhook.callback)
    app.router.add_get("/healthz", healthz)
    from bot.admin_api import setup_admin

    setup_admin(app, bot)
    if bot.settings.test_clock:  # replays against this server (`python -m bot replay --target`)
        from bot.replay.clock_api import add_clock_route

        add_clock_route(app, bot)
    return app


async def gunicorn_app() -> web.Application:
    """Entry point for `gunicorn bot.app:gunicorn_app --worker-class aiohttp.GunicornWebWorker`."""
    from bot.logs import configure

    configure(os.environ.get("LOG_LEVEL", "INFO"))
    return create_app(build(Settings.from_env()))
