"""structlog set-up: one JSON object per line on stderr.

Log lines carry event ids, a hash of the LINE user ID, flow, state and
timings; never names, addresses, phone numbers, birth dates or typed text.
Libraries that log through the standard `logging` module (line-bot-sdk,
aiohttp) and Python warnings come out as JSON lines too, with the logger's
name, through structlog's stdlib integration (`ProcessorFormatter`).
"""

from __future__ import annotations

import hashlib
import logging
import sys
from typing import Any, TextIO

import structlog


def user_hash(user_id: str) -> str:
    return hashlib.sha256(("meguro:" + user_id).encode()).hexdigest()[:12]


_STAMP: list[Any] = [
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


class _JsonHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The root logger's handler that `configure` installs (and replaces when called again)."""


def _stdlib_handler(stream: TextIO) -> logging.Handler:
    handler = _JsonHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *_STAMP],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(ensure_ascii=False),
            ],
        )
    )
    return handler


def configure(level: str = "INFO", stream: TextIO | None = None) -> None:
    out = stream or sys.stderr
    root = logging.getLogger()
    for h in [h for h in root.handlers if isinstance(h, _JsonHandler)]:
        root.removeHandler(h)
    root.addHandler(_stdlib_handler(out))
    root.setLevel(level)
    logging.captureWarnings(True)  # a library's warnings.warn(...) is a log line, not text
    # The state machine library's own lines ("Finished processing state ... callbacks", two
    # per message at INFO) cost time on every message.
    logging.getLogger("transitions").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # PyMongo logs whole commands and replies at DEBUG (the documents: names, addresses,
    # phone numbers); its lines below WARNING never reach the log, whatever LOG_LEVEL says.
    logging.getLogger("pymongo").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            *_STAMP,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
