"""Builds the aiohttp application: webhook, health check, admin API, and what they share."""

from __future__ import annotations

import structlog
from aiohttp import web

from bot.access_log import access_log
from bot.context import BOT, Bot, Settings
from bot.headers import setup_headers
from bot.line.client import LineClient
from bot.line.dispatcher import Dispatcher
from bot.line.events import EventHandler, Pusher, SharedChats
from bot.line.user_menus import UserMenus
from bot.line.webhook import Webhook
from bot.maintenance import Maintenance
from bot.metrics import add_metrics_route, tally
from bot.staff.api import setup_admin
from bot.staff.auth import check_env_tokens
from bot.staff.console.setup import setup_console
from bot.staff.operations import Operations
from domain.config import AppConfig
from domain.config_file import load_config
from domain.parents import Parents
from domain.services import Services
from domain.staff import Staff
from flows.base import Flow
from flows.engine import Dialog
from flows.registry import FLOWS
from storage.clock import Clock, Ids, RandomIds, SystemClock
from storage.mongo import Store, connect
from storage.repos import Repos
from storage.staff_accounts import Passwords

log = structlog.get_logger(__name__)


def build(
    settings: Settings,
    *,
    config: AppConfig | None = None,
    store: Store | None = None,
    clock: Clock | None = None,
    ids: Ids | None = None,
    flows: list[type[Flow]] | None = None,
    passwords: Passwords | None = None,
) -> Bot:
    """The bot for `settings`; raises ConfigError (one line) for a configuration mistake.
    The store, clock, IDs, flows and password hasher are the production ones unless given."""
    config = config or load_config(settings.config_path)
    check_env_tokens(settings.admin_tokens, [n.id for n in config.nurseries])
    store = store or connect(settings.mongodb_uri)
    clock = clock or SystemClock(config.zone())
    repos = Repos.on(store.db, store.ttl_indexes, passwords)
    line = LineClient(
        settings.access_token,
        settings.line_api_base,
        settings.line_timeout,
        backoff=settings.line_backoff,
        proxy=settings.line_proxy,
    )
    services = Services(
        config,
        clock,
        ids or RandomIds(),
        repos,
        Pusher(line, repos.users),
        profiles=line,
        menus=UserMenus(line, config),
    )
    services.tally = tally
    dialog = Dialog(services, FLOWS if flows is None else flows, repos.sessions)
    handler = EventHandler(dialog, line, clock, Parents(services))
    dispatcher = Dispatcher(
        repos.leases, repos.parked, repos.sessions, handler, clock, gave_up=handler.gave_up
    )
    webhook = Webhook(settings.channel_secret, dispatcher, SharedChats(line, config))
    staff = Staff(services)
    operations = Operations(staff, repos.audit)
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
        operations,
        maintenance,
    )


def create_app(bot: Bot) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024, middlewares=[access_log])
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
    setup_headers(app)
    app.router.add_post("/callback", bot.webhook.callback)
    app.router.add_get("/healthz", healthz)
    add_metrics_route(app, bot)
    setup_admin(app)
    setup_console(app, bot)
    return app
