"""Replies and pushes through line-bot-sdk's REST layer, on the bot's own aiohttp session.

The SDK stays the LINE client: its `Configuration` (host, access token, proxy), its
`RESTClientObject.post_request` (the layer under `ApiClient.call_api`) and its
`ApiException`. What the bot does not take from it is the session the SDK makes for
itself: that one is created with `trust_env=True`, so aiohttp looks up `.netrc` and
the proxy variables in a worker thread on every request. Here the session ignores the
environment; a proxy, where a city's network needs one, is an explicit setting
(`LINE_API_PROXY`) read once at start-up. The renderer's JSON is sent as it is (the
tests check it against the SDK's message models), and LINE's answer body is not read:
any 2xx means delivered.

A reply token is good for about a minute and once: when it is too old or LINE refuses
it, the same messages go out as a push with an `X-Line-Retry-Key`, the same key for
every attempt, so retrying that push can never deliver it twice. Only calls without an
answer, 429 and 5xx are retried, a bounded number of times with backoff, and retries
stop at the first answer that shows delivery.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any
from urllib.parse import quote

import aiohttp
import structlog
from linebot import __version__ as sdk_version
from linebot.v3.messaging import Configuration, UserProfileResponse
from linebot.v3.messaging.async_rest import RESTClientObject
from linebot.v3.messaging.exceptions import ApiException

from bot.metrics import line_call

log = structlog.get_logger(__name__)

REPLY_TOKEN_MAX_AGE = dt.timedelta(seconds=50)
RETRY_NAMESPACE = uuid.UUID("6c0f2a55-4a0e-4d6a-9b1e-2f3f7c1d9e10")
MAX_CONNECTIONS = 100  # to LINE's API at once, per process
REPLY_PATH = "/v2/bot/message/reply"
PUSH_PATH = "/v2/bot/message/push"
PROFILE_PATH = "/v2/bot/profile/"


class DeliveryError(Exception):
    """LINE did not take the messages after the allowed retries."""


class LineApiError(Exception):
    """LINE answered with an error status (4xx other than those handled, or 5xx/429 once)."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(f"LINE answered {status}: {message[:200]}")
        self.status = status
        self.retried = False  # an earlier attempt of the same call failed (and may have worked)


def retry_key(*parts: str) -> str:
    """A stable UUID for one logical push: the same parts give the same key (a push to a
    user names the user among its parts, so no two users' pushes share one)."""
    return str(uuid.uuid5(RETRY_NAMESPACE, "/".join(parts)))


LOADING_PATH = "/v2/bot/chat/loading/start"
_ENDPOINTS = {REPLY_PATH: "reply", PUSH_PATH: "push", LOADING_PATH: "loading"}


def _endpoint(path: str) -> str:
    return _ENDPOINTS.get(path, path)


class SessionRest(RESTClientObject):  # type: ignore[misc]
    """The SDK's REST client on a session the bot makes: no `trust_env`, the pool sized
    for many replies at once, aiohttp's own TLS context (no CA store loaded per client).

    Only the public attributes `RESTClientObject.request` uses are set: `pool_manager`,
    `proxy`, `proxy_headers`.
    """

    def __init__(self, configuration: Configuration) -> None:  # no super(): no SDK session
        self.proxy = configuration.proxy
        self.proxy_headers = configuration.proxy_headers
        connector = aiohttp.TCPConnector(limit=configuration.connection_pool_maxsize)
        self.pool_manager = aiohttp.ClientSession(connector=connector, trust_env=False)


class LineClient:
    def __init__(
        self,
        access_token: str,
        base_url: str = "https://api.line.me",
        timeout: float = 5.0,
        attempts: int = 4,
        backoff: float = 0.5,
        proxy: str | None = None,
    ) -> None:
        self._conf = Configuration(access_token=access_token, host=base_url.rstrip("/"))
        self._conf.connection_pool_maxsize = MAX_CONNECTIONS
        self._conf.proxy = proxy or None
        self._headers = {
            "Authorization": f"Bearer {access_token}",
            "User-Agent": f"line-bot-sdk-python/{sdk_version}",
            "Content-Type": "application/json",
        }
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._attempts = attempts
        self._backoff = backoff
        self._rest: SessionRest | None = None
        self._sleep = asyncio.sleep  # the backoff's wait (tests record it)

    async def start(self) -> None:
        self._rest = SessionRest(self._conf)

    async def close(self) -> None:
        if self._rest is not None:
            await self._rest.close()
            self._rest = None

    async def _post(self, path: str, body: dict[str, Any], key: str | None) -> None:
        """One call to LINE; an error status is raised as LineApiError. A 2xx is delivery,
        whatever its body says."""
        if self._rest is None:
            raise RuntimeError("LineClient.start() was not awaited")
        headers = self._headers if key is None else {**self._headers, "X-Line-Retry-Key": key}
        try:
            await self._rest.post_request(
                self._conf.host + path,
                headers=dict(headers),  # the SDK may add to it
                body=body,
                _request_timeout=self._timeout,
            )
        except ApiException as e:
            text = e.body.decode("utf-8", "replace") if isinstance(e.body, bytes) else e.body
            line_call(_endpoint(path), e.status or 0)
            raise LineApiError(e.status or 0, str(text or e.reason or "")) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            line_call(_endpoint(path), type(e).__name__)
            raise
        line_call(_endpoint(path), 200)

    @property
    def started(self) -> bool:
        """False for a client never started: a bot driven without LINE, as tests drive it."""
        return self._rest is not None

    async def call(self, method: str, path: str, endpoint: str) -> bytes:
        """One call without a body (a GET, a DELETE, a POST of the path alone), counted as
        `endpoint`; LINE's answer's body. An error status raises LineApiError, no answer
        what aiohttp raised (TimeoutError, aiohttp.ClientError, OSError)."""
        if self._rest is None:
            raise RuntimeError("LineClient.start() was not awaited")
        try:
            r = await self._rest.request(
                method,
                self._conf.host + path,
                headers=dict(self._headers),
                _request_timeout=self._timeout,
            )
        except ApiException as e:
            text = e.body.decode("utf-8", "replace") if isinstance(e.body, bytes) else e.body
            line_call(endpoint, e.status or 0)
            raise LineApiError(e.status or 0, str(text or e.reason or "")) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            line_call(endpoint, type(e).__name__)
            raise
        line_call(endpoint, r.status)
        return bytes(r.data)

    async def show_loading(self, chat_id: str, seconds: int = 20) -> bool:
        """Start LINE's loading animation in a one-to-one chat (it stops when a message
        arrives). Best effort, one attempt: False if LINE did not take it."""
        try:
            await self._post(LOADING_PATH, {"chatId": chat_id, "loadingSeconds": seconds}, None)
        except LineApiError as e:
            log.warning("loading_animation_refused", status=e.status)
            return False
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            log.warning("loading_animation_failed", error=type(e).__name__)
            return False
        return True

    async def language(self, user_id: str) -> str | None:
        """The language the user's LINE is set to, from their profile (the flows' Profiles).
        None when the profile does not say or LINE cannot be reached (logged; the bot asks
        again at the user's next event). None too from a client never started: a bot driven
        without LINE, as tests drive it."""
        if not self.started:
            return None
        try:
            data = await self.call("GET", PROFILE_PATH + quote(user_id, safe=""), "profile")
        except LineApiError as e:
            log.warning("profile_refused", status=e.status)
            return None
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            log.warning("profile_failed", error=type(e).__name__)
            return None
        said = UserProfileResponse.from_json(data.decode("utf-8")).language
        return str(said) if said else None

    async def _call(self, path: str, body: dict[str, Any], key: str | None = None) -> None:
        what = "push" if key is not None else "reply"
        delay = self._backoff
        for attempt in range(1, self._attempts + 1):
            try:
                await self._post(path, body, key)
                return
            except LineApiError as e:
                if key is not None and e.status == 409:
                    return  # LINE already accepted a push with this retry key: delivered
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
        await self._call(REPLY_PATH, {"replyToken": reply_token, "messages": messages})

    async def push(self, user_id: str, messages: list[dict[str, Any]], key: str) -> None:
        await self._call(PUSH_PATH, {"to": user_id, "messages": messages}, key)

    async def deliver(
        self,
        user_id: str,
        batches: list[list[dict[str, Any]]],
        key: str,
        reply_token: str | None = None,
        token_age: dt.timedelta = dt.timedelta(0),
        replay: bool = False,
        cut_short: bool = False,
    ) -> str:
        """Send batches: the first as a reply while the token is usable, else pushes.

        A reply token works once, so LINE refusing it where the answer may have gone out
        already means it did: when an earlier attempt of the reply failed (its answer was
        lost), or on a `replay` (the event is handled again). When the earlier run was
        `cut_short` (its worker died while answering), the reply is tried whatever the
        token's age: a push could repeat a reply that arrived, and LINE dedupes pushes
        only. Later batches are pushed again under the same retry keys, which LINE
        accepts once. Returns how the first batch went out: "reply", "push" or "already".
        """
        how = "push"
        for i, batch in enumerate(batches):
            usable = token_age < REPLY_TOKEN_MAX_AGE or cut_short
            if i == 0 and reply_token and usable:
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
