"""One JSON log line per HTTP request, the same under gunicorn, `python -m bot` and the
tests: method, path, status, time taken, worker. Never the query string: staff searches
carry what they type (a name, a phone number) there, and no log holds personal data.
"""

from __future__ import annotations

import os
import time

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

log = structlog.get_logger("bot.access")


@web.middleware
async def access_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500  # an exception that is not an HTTP answer becomes aiohttp's 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as e:
        status = e.status
        raise
    finally:
        log.info(
            "http_request",
            method=request.method,
            path=request.path,
            status=status,
            ms=round((time.perf_counter() - started) * 1000, 1),
            worker=os.getpid(),
        )
