"""The parents the benchmark plays (qa/bench/bench.py): each one's conversation (a
journey: register, interview, then booking and cancelling again and again), the
LINE stand-in that records what the bot answers, and the driver that sends each
step signed, waits for its answer and times it."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from domain.interviews import MAX_INTERVIEW_CAPACITY
from qa.harness import sign
from qa.line_events import EventBuilder
from qa.screen import ScreenButton, buttons, has_sticker
from qa.standin import LineStandIn, Sent

SECRET = "bench-channel-secret"
ADMIN_TOKEN = "bench-admin-token-0123456789abcdef"
TOKYO = dt.timezone(dt.timedelta(hours=9))
NURSERIES = ["双葉の園保育園", "アンジェリカ下目黒2丁目保育園", "桑の実中目黒保育園"]
KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"
REPLY_TIMEOUT = 10.0
LOOP_STEPS = 12  # events in one turn of the booking loop of `journey`

# A step: (name, kind, value): ("say", text), ("tap", label or its start; "#0" the first
# button, "#nth" the parent's own n-th), ("clear", None) staff complete the interview.
Step = tuple[str, str, str | None]


def child_name(user_no: int) -> str:
    """A distinct valid child name per parent (names are letters only), so staff can clear
    one child by name at a nursery."""
    n, letters = user_no, ""
    while True:
        n, d = divmod(n, len(KANA))
        letters += KANA[d]
        if n == 0:
            return "目黒 " + letters


def journey(user_no: int, birth: str) -> Iterator[Step]:
    """What one parent does, for as long as the benchmark wants events: (step name, kind,
    value)."""
    nursery = NURSERIES[user_no % len(NURSERIES)]
    child = child_name(user_no)
    yield from [
        ("registration keyword", "say", "児童の登録"),
        ("nursery", "tap", nursery),
        ("parent name", "say", "目黒 花子"),
        ("postal code", "say", "153-0061"),
        ("address", "say", "東京都目黒区中目黒1-1-1"),
        ("phone", "say", "03-1234-5678"),
        ("child name", "say", child),
        ("furigana", "say", "めぐろ たろう"),
        ("birth date", "say", birth),
        ("sex", "tap", "男"),
        ("register", "tap", "はい"),  # registered; the interview booking starts by itself
        ("interview child", "tap", f"{child}/{nursery}"),
        ("interview slot", "tap", "#0"),  # the first slot
        ("interview confirm", "tap", "はい"),
        ("staff clear", "clear", None),  # interview done; the parent is pushed 利用可能
    ]
    for _ in itertools.count():
        yield from [
            ("booking keyword", "say", "予約をする"),
            ("booking child", "tap", f"{child}/{nursery}"),
            ("day", "tap", "#nth"),  # parents spread over the days
            ("start hour", "tap", "#0"),
            ("end hour", "tap", "#0"),  # 2 hours
            ("reason", "tap", "就労"),
            ("confirm 確定", "tap", "確定"),  # booked: a sticker and the completion message
            ("cancel keyword", "say", "予約を取り消す"),
            ("cancel button", "tap", "キャンセル"),
            ("cancel yes", "tap", "はい"),  # cancelled: the seats are free again
            ("free text", "say", "こんにちは"),  # the notice and the menu
            ("website keyword", "say", "区ウェブサイトで概要を確認する"),
        ]


NONCE = f"{os.getpid():x}{int(time.time()) % 100000:05d}"


class StandIn(EventBuilder):
    """The QA side's LINE stand-in and event builder, with each parent's reply awaited.

    The stand-in does not check bodies against the SDK's models here (the tests do):
    that work would be the driver's, on the cores the servers use."""

    def __init__(self) -> None:
        super().__init__(f"01BENCH{NONCE}", f"bt{NONCE}")
        self.line = LineStandIn(validate=False, on_sent=self._sent)
        self.waiting: dict[str, asyncio.Future[tuple[float, list[dict[str, Any]]]]] = {}
        self.pushes = 0

    def event_time(self) -> dt.datetime | None:
        return dt.datetime.now(dt.UTC)

    def _sent(self, s: Sent) -> None:
        at = time.perf_counter()
        self.line.sent.clear()  # kept by the stand-in for tests; not needed here
        self.line.by_user.pop(s.user, None)
        if s.via != "reply":
            self.pushes += 1
            return
        fut = self.waiting.pop(s.user, None)
        if fut is not None and not fut.done():
            fut.set_result((at, s.messages))

    def event(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        """A webhook event for typing text or tapping a button."""
        if action.get("type") in ("postback", "datetimepicker"):
            return self.postback(user, action.get("data", ""))
        return self.text(user, action["text"])


BARE = StandIn()  # builds the bare endpoint's events (nothing answers them)


def _pick(screen: list[ScreenButton], label: str, nth: int) -> ScreenButton | None:
    if label == "#nth":
        return screen[nth % len(screen)] if screen else None
    if label.startswith("#"):
        i = int(label[1:])
        return screen[i] if i < len(screen) else None
    exact = [b for b in screen if b.label == label]
    if exact:
        return exact[0]
    starting = [b for b in screen if b.label.startswith(label)]
    return starting[0] if len(starting) == 1 else None


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0  # webhook not 200, or no reply within REPLY_TIMEOUT
    off_script: int = 0  # the button a step taps was not on screen
    booked: int = 0  # completion stickers received
    cleared: int = 0
    misses: list[str] = field(default_factory=list)  # the first off-script steps, described
    by_step: dict[str, list[float]] = field(default_factory=dict)

    def took(self, step: str, seconds: float) -> None:
        self.latencies.append(seconds)
        self.by_step.setdefault(step, []).append(seconds)

    def miss(self, what: str) -> None:
        self.off_script += 1
        if len(self.misses) < 5:
            self.misses.append(what)


class Parent:
    """One simulated parent: walks its journey, tapping what the last reply showed."""

    def __init__(self, driver: Driver, user_no: int, user: str) -> None:
        self.d = driver
        self.no = user_no
        self.user = user
        self.steps = journey(user_no, driver.birth)
        self.screen: list[ScreenButton] = []

    async def walk(self, count: int, delay: float = 0.0) -> None:
        await asyncio.sleep(delay)
        sent = 0
        while sent < count:
            name, kind, value = next(self.steps)
            if kind == "clear":  # staff act at the same pace as parents, not all at once
                await self.d.pace()
                await self.d.clear(self.no)
                continue
            if kind == "say":
                action: dict[str, Any] = {"type": "message", "text": value}
            else:
                b = _pick(self.screen, str(value), self.no)
                if b is None or b.action.get("type") not in ("message", "postback"):
                    # Off script (a reply we did not expect): say the label and carry on.
                    labels = [x.label for x in self.screen]
                    self.d.tally.miss(f"tap {value!r}, on screen {labels}")
                    action = {"type": "message", "text": str(value or "")}
                else:
                    action = b.action
            await self.d.pace()
            messages = await self.d.send(self.user, action, name)
            sent += 1
            if messages is not None:
                self.screen = buttons(messages)
                if has_sticker(messages):
                    self.d.tally.booked += 1


class Driver:
    def __init__(
        self,
        urls: list[str],
        standin: StandIn | None,
        session: aiohttp.ClientSession,
        birth: str,
        rate: float | None = None,
    ) -> None:
        self.urls = urls
        self._turn = itertools.count()
        self.admin = urls[0].rsplit("/", 1)[0] + "/admin/api/nurseries/"
        self.standin = standin
        self.session = session
        self.birth = birth
        self.tally = Tally()
        self.rate = rate
        self._next_at = 0.0

    async def pace(self) -> None:
        """At a fixed rate, each event waits for its turn in one global schedule."""
        if not self.rate:
            return
        now = time.perf_counter()
        at = max(self._next_at, now)
        self._next_at = at + 1 / self.rate
        if at > now:
            await asyncio.sleep(at - now)

    async def send(
        self, user: str, action: dict[str, Any], step: str = ""
    ) -> list[dict[str, Any]] | None:
        """Post one signed event (to the workers in turn); with a stand-in, wait for the
        reply and return it."""
        fut: asyncio.Future[tuple[float, list[dict[str, Any]]]] | None = None
        if self.standin is not None:
            event = self.standin.event(user, action)
            fut = asyncio.get_running_loop().create_future()
            self.standin.waiting[user] = fut
        else:
            event = BARE.event(user, action)
        body = json.dumps({"destination": "Ubench", "events": [event]}).encode()
        headers = {"X-Line-Signature": sign(SECRET, body), "Content-Type": "application/json"}
        url = self.urls[next(self._turn) % len(self.urls)]
        start = time.perf_counter()
        async with self.session.post(url, data=body, headers=headers) as r:
            await r.read()
            ok = r.status == 200
        if not ok or fut is None:
            if fut is not None and self.standin is not None:
                self.standin.waiting.pop(user, None)
            if ok:
                self.tally.took(step, time.perf_counter() - start)
            else:
                self.tally.errors += 1
            return None
        try:
            at, messages = await asyncio.wait_for(fut, REPLY_TIMEOUT)
        except TimeoutError:
            self.standin.waiting.pop(user, None)  # type: ignore[union-attr]
            self.tally.errors += 1
            return None
        self.tally.took(step, at - start)
        return messages

    async def clear(self, user_no: int) -> None:
        """Staff mark the parent's interview done, as the admin API offers."""
        nursery = NURSERIES[user_no % len(NURSERIES)]
        try:
            await self._admin(
                "POST",
                f"{quote(nursery, safe='')}/interviews/complete",
                {"child": child_name(user_no)},
            )
        except RuntimeError as e:
            self.tally.miss(str(e))
            return
        self.tally.cleared += 1

    async def _admin(self, method: str, path: str, body: dict[str, Any]) -> None:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with self.session.request(method, self.admin + path, json=body, headers=headers) as r:
            if r.status >= 300:
                raise RuntimeError(f"admin {method} {path}: {r.status} {await r.text()}")


async def set_up(session: aiohttp.ClientSession, url: str) -> None:
    """Staff open interview slots and seats for the coming days at every nursery."""
    driver = Driver([url], None, session, "")
    today = dt.datetime.now(TOKYO).date()
    for nursery in NURSERIES:
        key = quote(nursery, safe="")
        # 40 slots of 20 (the most a slot may hold): 800 parents each
        for days in range(1, 6):
            for hour in range(9, 17):
                at = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour), TOKYO)
                body = {"at": at.isoformat(), "capacity": MAX_INTERVIEW_CAPACITY}
                await driver._admin("POST", f"{key}/interview-slots", body)
        # Today and tomorrow are closed: their bookings could not be cancelled any more
        # (the deadline is 17:00 the day before), and every journey cancels what it booked.
        for days in range(11):
            day = (today + dt.timedelta(days=days)).isoformat()
            seats = 100 if days >= 2 else 0
            await driver._admin("PUT", f"{key}/capacity/{day}", {"seats": seats})


def birth_date() -> str:
    today = dt.datetime.now(TOKYO).date()
    return (today - dt.timedelta(days=2 * 365)).strftime("%Y/%m/%d")
