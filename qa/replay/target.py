"""Where a script is played: the app in this process, or a running server (`--target`).

Both sides look the same to the runner: build LINE webhook events, post them
signed, wait until the bot has answered, read what each user received from
the LINE stand-in, do staff actions, set the clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import re
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import aiohttp

from bot.staff.operation import Actor
from domain.config import AppConfig
from domain.errors import StaffError
from flows.base import Flow
from qa.harness import Harness, sign
from qa.line_events import EventBuilder
from qa.replay.coverage import Coverage
from qa.replay.script import staff_actions
from qa.standin import LineStandIn, Sent
from storage.clock import FrozenClock, SequentialIds
from storage.mongo import Store
from storage.tokens import CITY


class StepFailure(Exception):
    """The step did not go as the script says; `reason` is one plain line."""

    def __init__(self, reason: str, expected: str = "", came: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expected = expected
        self.came = came or []


class StaffRefused(StepFailure):
    """A staff action the bot refused; `message` is the reason staff were given. The step
    fails unless an `expect_refused` step follows it."""

    def __init__(self, action: str, message: str) -> None:
        super().__init__(f"staff action {action} was refused: {message}")
        self.message = message


def user_id(salt: str, name: str) -> str:
    """A stable LINE-like user ID for a script's user NAME."""
    return "U" + hashlib.sha1(f"{salt}\0{name}".encode()).hexdigest()[:32]


QA = Actor("replay", "qa", CITY)


def admin_request(action: str, p: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """The admin API call for a staff action (`--target`), from its declared operation."""
    op = staff_actions()[action]
    assert op.http is not None
    method, path = op.http
    data = op.params.model_validate(p).model_dump(mode="json", exclude_none=True)
    for name in re.findall(r"{(\w+)}", path):
        path = path.replace("{" + name + "}", quote(str(data.pop(name)), safe=""))
    if method in ("GET", "DELETE") and data:
        path += "?" + urlencode(data, doseq=True)
        data = {}
    return method, "/admin/api/" + path, data


class Target(Protocol):
    line: LineStandIn

    def user_id(self, name: str) -> str: ...
    def text(self, user: str, text: str) -> dict[str, Any]: ...
    def postback(self, user: str, data: str, date: str | None = None) -> dict[str, Any]: ...
    def follow(self, user: str) -> dict[str, Any]: ...
    def unfollow(self, user: str) -> dict[str, Any]: ...
    async def send(self, user: str, event: dict[str, Any]) -> str | None: ...
    async def staff(self, action: str, params: dict[str, Any]) -> None: ...
    async def set_clock(self, at: dt.datetime) -> None: ...
    def now(self) -> dt.datetime: ...
    def take(self, user: str) -> list[Sent]: ...
    def flows(self) -> list[Flow]: ...


class LocalTarget:
    """The real app in this process (`qa.harness.Harness`) on a fresh store (in memory
    unless `store` is given)."""

    STEP_LIMIT = 30.0  # seconds the bot may take over one step before the step fails

    def __init__(
        self,
        now: dt.datetime,
        salt: str,
        *,
        config: AppConfig | None = None,
        standin: LineStandIn | None = None,
        flows: list[type[Flow]] | None = None,
        coverage: Coverage | None = None,
        store: Store | None = None,
    ) -> None:
        self.clock = FrozenClock(now)
        self.salt = salt
        self.h = Harness(
            clock=self.clock,
            ids=SequentialIds(),
            config=config,
            standin=standin,
            flows=flows,
            store=store,
        )
        self.line = self.h.line
        self.coverage = coverage
        self._errors: dict[str, str] = {}

    async def __aenter__(self) -> LocalTarget:
        await self.h.__aenter__()
        bot = self.h.bot
        assert bot is not None
        if self.coverage is not None:
            self.coverage.define(self.flows())
            bot.services.observers.append(self.coverage.observe)
        handler = bot.dispatcher.handler
        errors = self._errors

        async def watched(entry: dict[str, Any]) -> None:
            try:
                await handler(entry)
            except Exception as e:
                errors[entry["_id"]] = one_line(e)
                raise

        bot.dispatcher.handler = watched
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.h.__aexit__(*exc)

    def user_id(self, name: str) -> str:
        return user_id(self.salt, name)

    def text(self, user: str, text: str) -> dict[str, Any]:
        return self.h.text(user, text)

    def postback(self, user: str, data: str, date: str | None = None) -> dict[str, Any]:
        return self.h.postback(user, data, date)

    def follow(self, user: str) -> dict[str, Any]:
        return self.h.follow(user)

    def unfollow(self, user: str) -> dict[str, Any]:
        return self.h.unfollow(user)

    async def send(self, user: str, event: dict[str, Any]) -> str | None:
        """Post one event and wait until handled; the bot's error, if it failed."""
        status = await self.h.post(self.h.payload(event))
        if status != 200:
            return f"the webhook answered HTTP {status}"
        if not await self._settle():
            return f"the bot did not finish within {self.STEP_LIMIT:.0f} s"
        return self._errors.pop(event["webhookEventId"], None)

    async def _settle(self) -> bool:
        try:
            await asyncio.wait_for(self.h.settle(), self.STEP_LIMIT)
        except TimeoutError:
            return False
        return True

    async def staff(self, action: str, params: dict[str, Any]) -> None:
        assert self.h.bot is not None
        try:
            await self.h.bot.operations.run(staff_actions()[action], params, QA)
        except StaffError as e:
            raise StaffRefused(action, str(e)) from None
        except Exception as e:
            raise StepFailure(f"staff action {action} failed: {one_line(e)}") from None
        if not await self._settle():
            raise StepFailure(f"the bot did not finish within {self.STEP_LIMIT:.0f} s")

    async def set_clock(self, at: dt.datetime) -> None:
        self.clock.set(at)
        await self.h.tick()  # the background upkeep due by then (reminders) runs now

    def now(self) -> dt.datetime:
        return self.clock.now()

    def take(self, user: str) -> list[Sent]:
        return self.line.take(user)

    def flows(self) -> list[Flow]:
        assert self.h.bot is not None
        return list(self.h.bot.dialog.flows.values())


class RemoteTarget(EventBuilder):
    """A running server: webhooks signed with `secret`, LINE API pointed at our stand-in.

    Each script starts on an empty store (`/admin/api/test/reset`: nothing an earlier
    script left, its `setup:` builds what it needs), staff steps go through the admin
    API and the clock through `/admin/api/test/clock`; the server offers both test
    routes only when started with `BOT_TEST_CLOCK=1`, on loopback, to a city token.
    Users still get IDs unique to this run, so nobody else's data is ever read.
    """

    WAIT = 10.0  # seconds the bot may take over one step before the step fails

    def __init__(
        self,
        url: str,
        secret: str,
        admin_token: str,
        standin: LineStandIn,
        session: aiohttp.ClientSession,
        now: dt.datetime,
        salt: str,
    ) -> None:
        self.url = url.rstrip("/")
        self.secret = secret
        self.admin_token = admin_token
        self.line = standin
        self.session = session
        self.salt = salt
        self._now = now
        self._clock_set = False
        tag = hashlib.sha1(salt.encode()).hexdigest()[:10]
        super().__init__(f"01R{tag}", f"rr{tag}")
        self._start = now

    async def __aenter__(self) -> RemoteTarget:
        await self.reset()
        await self.set_clock(self._now)
        return self

    async def reset(self) -> None:
        """Empty the server's store: the script starts from nothing."""
        status, data = await self._admin("POST", "/admin/api/test/reset", {})
        if status in (404, 405):
            raise StepFailure("the server's store cannot be reset: start it with BOT_TEST_CLOCK=1")
        if status >= 400:
            raise StepFailure(f"resetting the server's store failed ({_refusal(status, data)})")

    async def __aexit__(self, *exc: object) -> None:
        return None

    def user_id(self, name: str) -> str:
        return user_id(self.salt, name)

    def event_time(self) -> dt.datetime:
        return self._now

    async def send(self, user: str, event: dict[str, Any]) -> str | None:
        body = json.dumps({"destination": "Ubot", "events": [event]}).encode()
        headers = {"Content-Type": "application/json", "X-Line-Signature": sign(self.secret, body)}
        try:
            async with self.session.post(self.url + "/callback", data=body, headers=headers) as r:
                await r.read()
                if r.status != 200:
                    return f"the webhook answered HTTP {r.status}"
        except aiohttp.ClientError as e:
            return f"the server cannot be reached: {one_line(e)}"
        if not await self._settle():
            return f"the bot did not finish within {self.WAIT:.0f} s"
        return None

    async def _settle(self) -> bool:
        """Wait until the server has handled every event (any worker): what it sent is here."""
        status, data = await self._admin("POST", "/admin/api/test/settle", {"within": self.WAIT})
        if status in (404, 405):
            raise StepFailure(
                "the server cannot tell when it is done: start it with BOT_TEST_CLOCK=1"
            )
        if status >= 400:
            raise StepFailure(f"waiting for the server failed ({_refusal(status, data)})")
        return isinstance(data, dict) and data.get("settled") is True

    async def _admin(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.admin_token}"}
        try:
            async with self.session.request(
                method, self.url + path, json=body, headers=headers
            ) as r:
                try:
                    data = await r.json(content_type=None)
                except ValueError:
                    data = None
                return r.status, data
        except aiohttp.ClientError as e:
            raise StepFailure(f"the server cannot be reached: {one_line(e)}") from None

    async def staff(self, action: str, params: dict[str, Any]) -> None:
        method, path, body = admin_request(action, params)
        status, data = await self._admin(method, path, body)
        message = data.get("error") if isinstance(data, dict) else None
        if status == 405 or (status == 404 and not message):  # no such route: an older server
            raise StepFailure(f"staff action {action} is not available yet on the server")
        if status == 401 or status == 403:
            raise StepFailure(f"the admin API refused the token (HTTP {status}): see --admin-token")
        if status >= 400:
            raise StaffRefused(action, message or f"HTTP {status}")
        if not await self._settle():
            raise StepFailure(f"the bot did not finish within {self.WAIT:.0f} s")

    async def set_clock(self, at: dt.datetime) -> None:
        status, data = await self._admin("POST", "/admin/api/test/clock", {"at": at.isoformat()})
        if status in (404, 405):
            raise StepFailure("the server's clock cannot be set: start it with BOT_TEST_CLOCK=1")
        if status >= 400:
            raise StepFailure(f"setting the server's clock failed ({_refusal(status, data)})")
        self._now = at

    def now(self) -> dt.datetime:
        return self._now

    def take(self, user: str) -> list[Sent]:
        return self.line.take(user)

    def flows(self) -> list[Flow]:
        return []


def _refusal(status: int, data: Any) -> str:
    message = data.get("error") if isinstance(data, dict) else None
    return f"HTTP {status}: {message}" if message else f"HTTP {status}"


def one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return f"{type(e).__name__}: {text}" if text else type(e).__name__
