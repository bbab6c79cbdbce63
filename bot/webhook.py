"""`POST /callback`: verify LINE's signature, store the events, answer at once."""

from __future__ import annotations

import json
from typing import Any

import structlog
from aiohttp import web
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError

from bot.dispatcher import Dispatcher
from bot.events import user_of
from storage.mongo import StoreUnavailable

log = structlog.get_logger("bot.webhook")


class Webhook:
    def __init__(self, channel_secret: str, dispatcher: Dispatcher) -> None:
        self.parser = WebhookParser(channel_secret)
        self.dispatcher = dispatcher

    async def callback(self, request: web.Request) -> web.Response:
        signature = request.headers.get("X-Line-Signature", "")
        body = await request.text()
        if not signature:
            return web.Response(status=400, text="missing signature")
        try:
            # Verifies the signature and that the body is a webhook payload.
            self.parser.parse(body, signature)
        except InvalidSignatureError:
            log.warning("webhook_bad_signature")
            return web.Response(status=400, text="bad signature")
        except (ValueError, KeyError, TypeError):
            log.warning("webhook_bad_body")
            return web.Response(status=400, text="bad body")
        entries = _entries(json.loads(body))
        try:
            await self.dispatcher.accept(entries)
        except StoreUnavailable as e:
            # 5xx makes LINE redeliver; nothing was half-handled (only inbox inserts happened).
            log.error("webhook_store_unavailable", error=type(e).__name__, events=len(entries))
            return web.Response(status=503, text="store unavailable")
        return web.Response(text="OK")


def _entries(payload: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for event in payload.get("events", []):
        if not isinstance(event, dict):
            continue
        event_id = event.get("webhookEventId")
        if not isinstance(event_id, str) or not event_id:
            continue
        out.append((event_id, user_of(event), event))
    return out
