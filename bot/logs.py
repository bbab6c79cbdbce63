"""structlog set-up: one JSON object per line on stderr.

Log lines carry event ids, a hash of the LINE user ID, flow, state and
timings; never names, addresses, phone numbers, birth dates or typed text.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from typing import TextIO

import structlog


def user_hash(user_id: str) -> str:
    return hashlib.sha256(("meguro:" + user_id).encode()).hexdigest()[:12]


def configure(level: str = "INFO", stream: TextIO | None = None) -> None:
    logging.basicConfig(level=level, stream=stream or sys.stderr, format="%(message)s")
    # The state machine library's own lines ("Finished processing state ... callbacks", two
    # per message at INFO) are plain text in the JSON stream and cost time on every message.
    logging.getLogger("transitions").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
