"""`POST /callback`: verify LINE's signature, store the events, answer at once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import structlog
from aiohttp import web

from bot.dispatcher import Dispatcher
from bot.events import clean_event, user_of
from storage.mongo import StoreUnavailable

log = structlog.get_logger("bot.webhook")


class Webhook:
    def __init__(self, channel_secret: str, dispatcher: Dispatcher) -> None:
        self._secret = channel_secret.encode()
        self.dispatcher = dispatcher

    def valid_signature(self, body: bytes, signature: str) -> bool:
        """LINE's signature: base64 of the HMAC-SHA256 of the raw body with the channel secret."""
        if not self._secret:
            return False
        digest = hmac.new(self._secret, body, hashlib.sha256).digest()
        return hmac.compare_digest(signature.encode(), base64.b64encode(digest))

    async def callback(self, request: web.Request) -> web.Response:
        signature = request.headers.get("X-Line-Signature", "")
        body = await request.read()
        if not signature:
            return web.Response(status=400, text="missing signature")
        if not self.valid_signature(body, signature):
            log.warning("webhook_bad_signature")
            return web.Response(status=400, text="bad signature")
        try:
            payload = json.loads(body)
        except ValueError:  # not JSON, or not UTF-8
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
            log.warning("webhook_bad_body")
            return web.Response(status=400, text="bad body")
        entries = _entries(payload)
        try:
            await self.dispatcher.accept(entries)
        except StoreUnavailable as e:
            # 5xx makes LINE redeliver; nothing was half-handled (only inbox inserts happened).
            log.error("webhook_store_unavailable", error=type(e).__name__, events=len(entries))
            return web.Response(status=503, text="store unavailable")
        return web.Response(text="OK")


def _entries(payload: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for raw in payload["events"]:
        event = clean_event(raw) if isinstance(raw, dict) else None
        if event is not None:
            out.append((event["webhookEventId"], user_of(event), event))
    return out
