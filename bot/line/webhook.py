"""`POST /callback`: verify LINE's signature, store the events, answer at once."""

from __future__ import annotations

import json
from typing import Any

import structlog
from aiohttp import web
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError

from bot.line.dispatcher import Dispatcher
from bot.line.events import clean_event, user_of
from bot.metrics import EVENTS_RECEIVED
from storage.mongo import StoreUnavailable

log = structlog.get_logger("bot.line.webhook")


class Webhook:
    def __init__(self, channel_secret: str, dispatcher: Dispatcher) -> None:
        self.parser = WebhookParser(channel_secret) if channel_secret else None
        self.dispatcher = dispatcher

    def parse(self, body: bytes, signature: str) -> dict[str, Any] | None:
        """The payload, once line-bot-sdk's parser has verified the signature and read the body
        as a webhook payload; None for a body it cannot read (LINE sends UTF-8 JSON only).
        Raises InvalidSignatureError for a wrong signature, or when no secret is configured."""
        if self.parser is None:
            raise InvalidSignatureError("no channel secret configured")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        try:
            self.parser.parse(text, signature)
        except InvalidSignatureError:
            raise
        except Exception:  # signature good, but the SDK cannot read it as a webhook payload
            return None
        payload = json.loads(text)
        return payload if isinstance(payload, dict) else None

    async def callback(self, request: web.Request) -> web.Response:
        signature = request.headers.get("X-Line-Signature", "")
        body = await request.read()
        if not signature:
            return web.Response(status=400, text="missing signature")
        try:
            payload = self.parse(body, signature)
        except InvalidSignatureError:
            log.warning("webhook_bad_signature")
            return web.Response(status=400, text="bad signature")
        if payload is None or not isinstance(payload.get("events"), list):
            log.warning("webhook_bad_body")
            return web.Response(status=400, text="bad body")
        entries = _entries(payload)
        try:
            new = await self.dispatcher.accept(entries)
        except StoreUnavailable as e:
            # 5xx makes LINE redeliver; nothing was half-handled (only inbox inserts happened).
            log.error("webhook_store_unavailable", error=type(e).__name__, events=len(entries))
            return web.Response(status=503, text="store unavailable")
        EVENTS_RECEIVED.inc(len(new))
        return web.Response(text="OK")


def _entries(payload: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for raw in payload["events"]:
        event = clean_event(raw) if isinstance(raw, dict) else None
        if event is not None:
            out.append((event["webhookEventId"], user_of(event), event))
    return out
