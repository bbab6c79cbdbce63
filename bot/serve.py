"""Composition root of the server: the product app plus what a deployment switches on.

`bot.app` builds the product (webhook, health check, staff surfaces) and never
imports the QA side; this module adds the QA side when a setting asks for it
(`BOT_TEST_CLOCK=1`: the shared test clock and the test routes, for replays
against this server; the browser chat at `/` when no LINE channel is configured,
or with `BOT_WEBCHAT=1`), and is the entry point of `python -m bot serve` and of
the Procfile's gunicorn workers.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from typing import Any

from aiohttp import web

from bot.app import build, create_app
from bot.context import BOT, Bot, Settings
from bot.logs import configure
from bot.preflight import log_findings
from domain.config import ConfigError
from domain.config_file import load_config
from qa.commands import install
from qa.mount import mount_test_routes
from qa.shared_clock import SharedClock
from qa.webchat.app import WebChat
from storage.mongo import connect


def switch_on_from_env() -> None:
    """What the environment asks for before the app is built: the benchmark's count of
    database commands (`BENCH_COMMAND_COUNTS`, qa/commands.py)."""
    path = os.environ.get("BENCH_COMMAND_COUNTS")
    if path:
        install(path)


def make_bot(settings: Settings, **parts: Any) -> Bot:
    """The bot `bot.app.build` makes; with the test clock on, its clock is the QA side's
    shared test clock, kept in the bot's database so every worker shows one time."""
    if settings.test_clock and parts.get("clock") is None:
        config = parts.get("config") or load_config(settings.config_path)
        store = parts.get("store") or connect(settings.mongodb_uri)
        parts.update(config=config, store=store, clock=SharedClock(store.db, config.zone()))
    return build(settings, **parts)


def make_app(bot: Bot) -> web.Application:
    app = create_app(bot)
    if bot.settings.test_clock:  # replays against this server (`python -m bot replay --target`)
        mount_test_routes(app, bot)
    return app


async def freeze_startup_heap(app: web.Application) -> None:
    """An `on_startup` hook of the server processes (not of apps made in tests): what was
    built until the server starts (modules, configuration, the SDK's models, the app) lives
    as long as the process, so the garbage collector's full passes are told to skip it
    instead of walking it again and stalling the event loop each time."""
    gc.collect()
    gc.freeze()


PREFLIGHT = web.AppKey("preflight", asyncio.Task[None])


async def preflight_at_start(app: web.Application) -> None:
    """An `on_startup` hook of the Procfile's web process: the preflight's findings logged
    as warnings, in the background (LINE's answers never delay serving)."""
    bot = app[BOT]
    app[PREFLIGHT] = asyncio.create_task(log_findings(bot.settings, bot.config, bot.store))


async def preflight_stop(app: web.Application) -> None:
    """An `on_cleanup` hook: a preflight still waiting for LINE at shutdown ends."""
    task = app.get(PREFLIGHT)
    if task is not None:
        task.cancel()


WORKER_BOOT_ERROR = 3  # gunicorn's arbiter stops (instead of restarting workers) on this exit


def check_deployment(settings: Settings) -> None:
    """What the Procfile's web process refuses beyond `build`'s checks: the in-memory store,
    unless the operator asks for it (`./scripts/serve` and `python -m bot serve` allow it)."""
    if not settings.mongodb_uri and not settings.allow_memory_store:
        raise ConfigError(
            "MONGODB_URI is not set: the web process would keep every registration and booking "
            "in memory and lose them on exit (set BOT_ALLOW_MEMORY_STORE=1 to run so anyway)"
        )


def webchat_wanted(settings: Settings) -> bool:
    """The browser chat is on without a LINE channel, or when explicitly asked for."""
    return settings.webchat or not settings.channel_secret


def serve_app(settings: Settings) -> web.Application:
    """The app `serve` and gunicorn run: with the browser chat when `webchat_wanted`.

    The chat stands in for LINE: the bot's LINE client is pointed at the chat's
    stand-in of LINE's API (users of the chat only; others still reach LINE).
    """
    if not webchat_wanted(settings):
        return make_app(make_bot(settings))
    chat = WebChat(settings)
    bot = make_bot(chat.settings)
    app = make_app(bot)
    chat.mount(app, bot)
    return app


async def gunicorn_app() -> web.Application:
    """Entry point of `gunicorn bot.serve:gunicorn_app` (aiohttp.GunicornWebWorker).
    A configuration mistake prints one line and stops gunicorn (no restart loop)."""
    configure(os.environ.get("LOG_LEVEL", "INFO"))
    switch_on_from_env()
    settings = Settings.from_env()
    try:
        check_deployment(settings)
        bot = make_bot(settings)
    except ConfigError as e:
        print(f"configuration error: {e}", file=sys.stderr, flush=True)
        sys.exit(WORKER_BOOT_ERROR)
    app = make_app(bot)
    app.on_startup.append(freeze_startup_heap)
    app.on_startup.append(preflight_at_start)
    app.on_cleanup.append(preflight_stop)
    return app
