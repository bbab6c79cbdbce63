"""`POST /callback`: verify LINE's signature, store the events, answer at once."""

from __future__ import annotations

from typing import Any

import structlog
from aiohttp import web
from linebot.v3 import SignatureValidator
from linebot.v3.exceptions import InvalidSignatureError

from bot import json_body
from bot.line.dispatcher import Dispatcher
from bot.line.events import SharedChats, clean_event, in_shared_chat, user_of
from bot.metrics import EVENTS_RECEIVED
from storage.mongo import StoreUnavailable

log = structlog.get_logger(__name__)


class Webhook:
    def __init__(self, channel_secret: str, dispatcher: Dispatcher, shared: SharedChats) -> None:
        self.validator = SignatureValidator(channel_secret) if channel_secret else None
        self.dispatcher = dispatcher
        self.shared = shared
        # False while a worker that started without its database waits for it (bot/context.py)
        self.store_ready = True

    def parse(self, body: bytes, signature: str) -> dict[str, Any] | None:
        """The payload, once line-bot-sdk's validator has checked the signature; None for a
        body that is not a JSON object (LINE sends UTF-8 JSON only), or is one nested deeper
        than `json_body.MAX_DEPTH`. The JSON is read once, here: the events are checked
        field by field by `clean_event`, not by SDK models.
        Raises InvalidSignatureError for a wrong signature, or when no secret is configured."""
        if self.validator is None:
            raise InvalidSignatureError("no channel secret configured")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if not self.validator.validate(text, signature):
            raise InvalidSignatureError("signature does not match")
        try:
            payload = json_body.loads(text)
        except ValueError:
            return None
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
        if not self.store_ready:  # 5xx: LINE sends the events again
            log.error("webhook_store_unavailable", during="start")
            return web.Response(status=503, text="store unavailable")
        raw = [e for e in payload["events"] if isinstance(e, dict)]
        for event in raw:
            if in_shared_chat(event):  # answered with a notice, never stored
                self.dispatcher.detach(self.shared.answer(event))
        entries = _entries([e for e in raw if not in_shared_chat(e)])
        try:
            new = await self.dispatcher.accept(entries)
        except StoreUnavailable as e:
            # 5xx makes LINE redeliver; nothing was half-handled (only inbox inserts happened).
            log.error("webhook_store_unavailable", error=type(e).__name__, events=len(entries))
            return web.Response(status=503, text="store unavailable")
        EVENTS_RECEIVED.inc(len(new))
        return web.Response(text="OK")


def _entries(events: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for raw in events:
        event = clean_event(raw)
        if event is not None:
            out.append((event["webhookEventId"], user_of(event), event))
    return out
