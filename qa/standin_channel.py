"""The LINE stand-in's channel endpoints: bot info, the webhook URL on record, and LINE's
webhook test, which `python -m bot preflight` asks for.

Like LINE: with an `access_token` set, these answer 401 to any other bearer token; the
webhook test posts a body signed with the channel's `secret` to the URL on record (or
the one asked for) and reports what that server answered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

import aiohttp
from aiohttp import web


@dataclass
class Channel:
    access_token: str = ""  # empty: any token is taken
    secret: str = ""
    endpoint: str = ""
    active: bool = False
    user_id: str = "U0000000000000000000000000000bot"
    basic_id: str = "@meguro_city"
    display_name: str = "目黒区"
    tests: int = 0  # webhook tests asked for

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v2/bot/info", self._info),
            web.get("/v2/bot/channel/webhook/endpoint", self._endpoint),
            web.put("/v2/bot/channel/webhook/endpoint", self._set_endpoint),
            web.post("/v2/bot/channel/webhook/test", self._test),
        ]

    def _refused(self, request: web.Request) -> web.Response | None:
        if self.access_token and request.headers.get("Authorization") != (
            f"Bearer {self.access_token}"
        ):
            return web.json_response(
                {
                    "message": "Authentication failed. Confirm that the access token in the "
                    "authorization header is valid."
                },
                status=401,
            )
        return None

    async def _info(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        if refused:
            return refused
        return web.json_response(
            {
                "userId": self.user_id,
                "basicId": self.basic_id,
                "displayName": self.display_name,
                "chatMode": "bot",
                "markAsReadMode": "auto",
            }
        )

    async def _endpoint(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        if refused:
            return refused
        return web.json_response({"endpoint": self.endpoint, "active": self.active})

    async def _set_endpoint(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        if refused:
            return refused
        body = await request.json()
        endpoint = body.get("endpoint", "") if isinstance(body, dict) else ""
        if not isinstance(endpoint, str) or not endpoint.startswith("https://"):
            return web.json_response({"message": "Invalid webhook endpoint URL"}, status=400)
        self.endpoint = endpoint
        return web.json_response({})

    async def _test(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        if refused:
            return refused
        self.tests += 1
        body = await request.json() if request.can_read_body else {}
        url = (body or {}).get("endpoint") or self.endpoint
        if not url:
            return web.json_response({"message": "The webhook URL is not set"}, status=400)
        payload = json.dumps({"destination": self.user_id, "events": []}).encode()
        digest = hmac.new(self.secret.encode(), payload, hashlib.sha256).digest()
        headers = {
            "Content-Type": "application/json",
            "X-Line-Signature": base64.b64encode(digest).decode(),
        }
        at = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        try:
            timeout = aiohttp.ClientTimeout(total=10)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(_reachable(url), data=payload, headers=headers) as r:
                    status = r.status
        except (aiohttp.ClientError, TimeoutError) as e:
            return web.json_response(
                {
                    "success": False,
                    "timestamp": at,
                    "statusCode": 0,
                    "reason": "Could not connect",
                    "detail": type(e).__name__,
                }
            )
        ok = status == 200
        return web.json_response(
            {
                "success": ok,
                "timestamp": at,
                "statusCode": status,
                "reason": "OK" if ok else "An unexpected status code was returned",
                "detail": str(status),
            }
        )


def _reachable(url: str) -> str:
    """The URL as this machine reaches it: a test server listens on plain http, so an
    https URL on 127.0.0.1 or localhost is called over http (LINE itself needs https)."""
    for host in ("https://127.0.0.1", "https://localhost"):
        if url.startswith(host):
            return "http://" + url.removeprefix("https://")
    return url
