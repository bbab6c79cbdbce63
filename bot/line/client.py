"""Replies and pushes through line-bot-sdk's AsyncMessagingApi.

One client per app, closed on shutdown, with an explicit request timeout and a
connection pool sized for many replies at once (the SDK's default, 5 per CPU,
queues replies behind each other under load). A reply token is good for about
a minute and once: when it is too old or LINE refuses it, the same messages go
out as a push with an `X-Line-Retry-Key`, so retrying that push can never
deliver it twice. 429 and 5xx answers, timeouts and lost connections are
retried a bounded number of times with backoff.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import aiohttp
import structlog
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging.exceptions import ApiException

from bot.metrics import line_call

log = structlog.get_logger("bot.line")

REPLY_TOKEN_MAX_AGE = dt.timedelta(seconds=50)
RETRY_NAMESPACE = uuid.UUID("6c0f2a55-4a0e-4d6a-9b1e-2f3f7c1d9e10")
MAX_CONNECTIONS = 100  # to LINE's API at once, per process


class DeliveryError(Exception):
    """LINE did not take the messages after the allowed retries."""


class LineApiError(Exception):
    """LINE answered with an error status (4xx other than those handled, or 5xx/429 once)."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(f"LINE answered {status}: {message[:200]}")
        self.status = status
        self.retried = False  # an earlier attempt of the same call failed (and may have worked)


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
        self._conf = Configuration(access_token=access_token, host=base_url.rstrip("/"))
        self._conf.connection_pool_maxsize = MAX_CONNECTIONS
        self._timeout = timeout
        self._attempts = attempts
        self._backoff = backoff
        self._client: AsyncApiClient | None = None
        self._api: AsyncMessagingApi | None = None
        self._sleep = asyncio.sleep  # the backoff's wait (tests record it)

    async def start(self) -> None:
        self._client = AsyncApiClient(self._conf)
        self._api = AsyncMessagingApi(self._client)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = self._api = None

    async def _post(self, what: str, body: dict[str, Any], key: str | None) -> None:
        """One call to LINE; an error status is raised as LineApiError."""
        if self._api is None:
            raise RuntimeError("LineClient.start() was not awaited")
        try:
            if what == "reply":
                await self._api.reply_message(
                    ReplyMessageRequest.from_dict(body), _request_timeout=self._timeout
                )
            else:
                await self._api.push_message(
                    PushMessageRequest.from_dict(body),
                    x_line_retry_key=key,
                    _request_timeout=self._timeout,
                )
        except ApiException as e:
            line_call(what, e.status or 0)
            raise LineApiError(e.status or 0, str(e.body or e.reason or "")) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            line_call(what, type(e).__name__)
            raise
        line_call(what, 200)

    async def show_loading(self, chat_id: str, seconds: int = 20) -> bool:
        """Start LINE's loading animation in a one-to-one chat (it stops when a message
        arrives). Best effort, one attempt: False if LINE did not take it."""
        if self._api is None:
            raise RuntimeError("LineClient.start() was not awaited")
        request = ShowLoadingAnimationRequest(chat_id=chat_id, loading_seconds=seconds)
        try:
            await self._api.show_loading_animation(request, _request_timeout=self._timeout)
        except ApiException as e:
            line_call("loading", e.status or 0)
            log.warning("loading_animation_refused", status=e.status)
            return False
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            line_call("loading", type(e).__name__)
            log.warning("loading_animation_failed", error=type(e).__name__)
            return False
        line_call("loading", 200)
        return True

    async def _call(self, what: str, body: dict[str, Any], key: str | None = None) -> None:
        delay = self._backoff
        for attempt in range(1, self._attempts + 1):
            try:
                await self._post(what, body, key)
                return
            except LineApiError as e:
                if what == "push" and e.status == 409:
                    return  # LINE already accepted a push with this retry key
                if e.status == 429 or e.status >= 500:
                    if attempt == self._attempts:
                        raise DeliveryError(f"{what}: LINE answered {e.status}") from e
                    log.warning("line_retry", call=what, status=e.status, attempt=attempt)
                    await self._sleep(delay)
                    delay *= 2
                    continue
                e.retried = attempt > 1
                raise
            except (TimeoutError, aiohttp.ClientError, OSError) as e:
                if attempt == self._attempts:
                    raise DeliveryError(f"{what}: {type(e).__name__}") from e
                log.warning("line_retry", call=what, error=type(e).__name__, attempt=attempt)
                await self._sleep(delay)
                delay *= 2

    async def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> None:
        body = {"replyToken": reply_token, "messages": messages}
        await self._call("reply", body)

    async def push(self, user_id: str, messages: list[dict[str, Any]], key: str) -> None:
        body = {"to": user_id, "messages": messages}
        await self._call("push", body, key)

    async def deliver(
        self,
        user_id: str,
        batches: list[list[dict[str, Any]]],
        key: str,
        reply_token: str | None = None,
        token_age: dt.timedelta = dt.timedelta(0),
        replay: bool = False,
    ) -> str:
        """Send batches: the first as a reply while the token is usable, else pushes.

        A reply token works once, so LINE refusing it where the answer may have gone out
        already means it did: when an earlier attempt of the reply failed (its answer was
        lost), or on a `replay` (the event is handled again after its worker died). Later
        batches are pushed again under the same retry keys, which LINE accepts once.
        Returns how the first batch went out: "reply", "push" or "already".
        """
        how = "push"
        for i, batch in enumerate(batches):
            if i == 0 and reply_token and token_age < REPLY_TOKEN_MAX_AGE:
                try:
                    await self.reply(reply_token, batch)
                    how = "reply"
                    continue
                except LineApiError as e:
                    if e.status != 400:
                        raise DeliveryError(f"reply: LINE answered {e.status}") from e
                    if replay or e.retried:
                        how = "already"
                        continue
                    log.info("reply_token_refused_push_instead")
            try:
                await self.push(user_id, batch, retry_key(key, str(i)))
            except LineApiError as e:
                raise DeliveryError(f"push: LINE answered {e.status}") from e
        return how
