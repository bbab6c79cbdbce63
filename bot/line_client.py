"""Replies and pushes through line-bot-sdk's AsyncMessagingApi.

One client per app, closed on shutdown, with an explicit request timeout.
A reply token is good for about a minute and once: when it is too old or
LINE refuses it, the same messages go out as a push with an
`X-Line-Retry-Key`, so retrying that push can never deliver it twice.
429 and 5xx answers are retried a bounded number of times with backoff.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import structlog
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    PushMessageRequest,
    ReplyMessageRequest,
)
from linebot.v3.messaging.exceptions import ApiException

log = structlog.get_logger("bot.line")

REPLY_TOKEN_MAX_AGE = dt.timedelta(seconds=50)
RETRY_NAMESPACE = uuid.UUID("6c0f2a55-4a0e-4d6a-9b1e-2f3f7c1d9e10")


class DeliveryError(Exception):
    """LINE did not take the messages after the allowed retries."""


def retry_key(*parts: str) -> str:
    """A stable UUID for one logical push: the same parts give the same key."""
    return str(uuid.uuid5(RETRY_NAMESPACE, "/".join(parts)))


class LineClient:
    def __init__(
        self,
        access_token: str,
        base_url: str = "https://api.line.me",
        timeout: float = 5.0,
        attempts: int = 4,
        backoff: float = 0.5,
    ) -> None:
        self._conf = Configuration(access_token=access_token, host=base_url)
        self._timeout = timeout
        self._attempts = attempts
        self._backoff = backoff
        self._client: AsyncApiClient | None = None
        self._api: AsyncMessagingApi | None = None

    async def start(self) -> None:
        self._client = AsyncApiClient(self._conf)
        self._api = AsyncMessagingApi(self._client)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = self._api = None

    @property
    def api(self) -> AsyncMessagingApi:
        if self._api is None:
            raise RuntimeError("LineClient.start() was not awaited")
        return self._api

    async def _call(self, what: str, fn: Any) -> None:
        delay = self._backoff
        for attempt in range(1, self._attempts + 1):
            try:
                await fn()
                return
            except ApiException as e:
                status = e.status or 0
                if what == "push" and status == 409:
                    return  # LINE already accepted a push with this retry key
                if status == 429 or status >= 500 or status == 0:
                    if attempt == self._attempts:
                        raise DeliveryError(f"{what}: LINE answered {status}") from e
                    log.warning("line_retry", call=what, status=status, attempt=attempt)
                    await asyncio.sleep(delay)
                    delay *= 2
                    continue
                raise
            except (TimeoutError, OSError) as e:
                if attempt == self._attempts:
                    raise DeliveryError(f"{what}: {type(e).__name__}") from e
                log.warning("line_retry", call=what, error=type(e).__name__, attempt=attempt)
                await asyncio.sleep(delay)
                delay *= 2

    async def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> None:
        req = ReplyMessageRequest.from_dict({"replyToken": reply_token, "messages": messages})
        await self._call(
            "reply", lambda: self.api.reply_message(req, _request_timeout=self._timeout)
        )

    async def push(self, user_id: str, messages: list[dict[str, Any]], key: str) -> None:
        req = PushMessageRequest.from_dict({"to": user_id, "messages": messages})
        await self._call(
            "push",
            lambda: self.api.push_message(
                req, x_line_retry_key=key, _request_timeout=self._timeout
            ),
        )

    async def deliver(
        self,
        user_id: str,
        batches: list[list[dict[str, Any]]],
        key: str,
        reply_token: str | None = None,
        token_age: dt.timedelta = dt.timedelta(0),
    ) -> str:
        """Send batches: the first as a reply while the token is usable, else pushes.

        Returns how the first batch went out: "reply" or "push".
        """
        how = "push"
        for i, batch in enumerate(batches):
            if i == 0 and reply_token and token_age < REPLY_TOKEN_MAX_AGE:
                try:
                    await self.reply(reply_token, batch)
                    how = "reply"
                    continue
                except ApiException as e:
                    if e.status != 400:
                        raise DeliveryError(f"reply: LINE answered {e.status}") from e
                    log.info("reply_token_refused_push_instead")
            try:
                await self.push(user_id, batch, retry_key(key, str(i)))
            except ApiException as e:
                raise DeliveryError(f"push: LINE answered {e.status}") from e
        return how
