"""What the QA side adds to a server started for replays (`BOT_TEST_CLOCK=1`).

The server's clock is then the shared test clock (qa/shared_clock.py): this
module reads its time from the database before every request, every event the
worker handles, every sweep and every maintenance pass, adds the test routes
(qa/clock_api.py) and logs a warning at start-up, in every worker, while the test
clock is on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import structlog
from aiohttp import web

from bot.context import Bot
from qa.clock_api import add_test_routes
from qa.shared_clock import SharedClock

log = structlog.get_logger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


def mount_test_routes(app: web.Application, bot: Bot) -> None:
    clock = bot.services.clock
    if not isinstance(clock, SharedClock):
        raise TypeError("the test routes need the shared test clock (bot.serve.make_bot)")

    @web.middleware
    async def read_clock(request: web.Request, handler: Any) -> web.StreamResponse:
        await clock.refresh()
        response: web.StreamResponse = await handler(request)
        return response

    def at_shared_time(
        step: Callable[P, Awaitable[T]],
    ) -> Callable[P, Coroutine[Any, Any, T]]:
        async def run(*args: P.args, **kwargs: P.kwargs) -> T:
            await clock.refresh()
            return await step(*args, **kwargs)

        return run

    app.middlewares.append(read_clock)
    bot.dispatcher.handler = at_shared_time(bot.dispatcher.handler)
    # The timers' work too: a worker that last read the time before a script moved it
    # would see another worker's lease as run out (and handle its event a second time),
    # or lapse interviews of a day that has not come.
    bot.dispatcher.sweep_once = at_shared_time(bot.dispatcher.sweep_once)  # type: ignore[method-assign]
    bot.maintenance.run_once = at_shared_time(bot.maintenance.run_once)  # type: ignore[method-assign]

    async def warn(app: web.Application) -> None:
        await clock.refresh()
        log.warning(
            "test_clock_on",
            note="BOT_TEST_CLOCK=1: time is set through /admin/api/test/clock and the store "
            "can be emptied through /admin/api/test/reset (loopback, city token); "
            "never run this in production",
            now=clock.now().isoformat(),
        )

    app.on_startup.append(warn)
    add_test_routes(app, bot, clock)
