"""Runs the real app on loopback with LINE replaced by the local stand-in.

One user's side of LINE: builds webhook events as LINE does, signs them with
the channel secret, posts them to `/callback`, waits until the bot has handled
them and returns what it sent back. Used by the console chat, the replay
runner and the tests.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import aiohttp
from aiohttp import web
from cryptography.fernet import Fernet

from bot.app import build, create_app
from bot.context import Bot, Settings
from domain.config import AppConfig
from flows.base import Flow
from qa.line_events import EventBuilder
from qa.standin import LineStandIn, Sent
from storage.clock import Clock, Ids
from storage.mongo import Store, connect
from storage.staff_accounts import Passwords


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class Harness(EventBuilder):
    def __init__(
        self,
        *,
        store: Store | None = None,
        clock: Clock | None = None,
        ids: Ids | None = None,
        config: AppConfig | None = None,
        secret: str = "harness-channel-secret",
        standin: LineStandIn | None = None,
        flows: list[type[Flow]] | None = None,
        passwords: Passwords | None = None,
    ) -> None:
        self.flows = flows
        self.passwords = passwords
        self.secret = secret
        self.store = store or connect(None)
        self.clock = clock
        self.ids = ids
        self.config = config
        self.line = standin or LineStandIn()
        self._own_standin = standin is None
        super().__init__(f"01H{id(self):x}", f"rt{id(self):x}")
        self.bot: Bot | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def __aenter__(self) -> Harness:
        if self._own_standin:
            await self.line.start()
        settings = Settings(
            channel_secret=self.secret,
            access_token="harness-access-token",
            line_api_base=self.line.url,
            line_timeout=5.0,
            line_backoff=0.01,  # keep retries quick on loopback
            # the console's cookie key of its own: its sessions last as long as the harness
            # (an operator's missing STAFF_SESSION_KEY is no warning for a chat or a test)
            staff_session_key=Fernet.generate_key().decode(),
        )
        self.bot = build(
            settings,
            config=self.config,
            store=self.store,
            clock=self.clock,
            ids=self.ids,
            flows=self.flows,
            passwords=self.passwords,
        )
        self._runner = web.AppRunner(create_app(self.bot), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._own_standin:
            await self.line.stop()

    def event_time(self) -> dt.datetime | None:
        return self.bot.services.now() if self.bot else None

    def payload(self, *events: dict[str, Any]) -> bytes:
        return json.dumps({"destination": "Ubot", "events": list(events)}).encode()

    # -- sending ---------------------------------------------------------------------------
    async def post(self, body: bytes, signature: str | None = "auto") -> int:
        headers = {"Content-Type": "application/json"}
        if signature == "auto":
            signature = sign(self.secret, body)
        if signature is not None:
            headers["X-Line-Signature"] = signature
        assert self._session is not None
        async with self._session.post(self.url + "/callback", data=body, headers=headers) as r:
            await r.read()
            return r.status

    async def settle(self) -> None:
        assert self.bot is not None
        await self.bot.dispatcher.idle()

    async def tick(self) -> None:
        """One background maintenance pass now (what the app's timer does as time passes:
        repairs, due reminders), as a replay's clock step needs it at once."""
        assert self.bot is not None
        await self.bot.maintenance.run_once()
        await self.settle()

    async def send(self, user: str, *events: dict[str, Any]) -> list[Sent]:
        """Post events in one webhook, wait until handled, return what `user` received."""
        status = await self.post(self.payload(*events))
        if status != 200:
            raise RuntimeError(f"webhook answered {status}")
        await self.settle()
        return self.line.take(user)

    async def say(self, user: str, text: str) -> list[Sent]:
        return await self.send(user, self.text(user, text))
