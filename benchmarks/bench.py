"""`python -m bot bench`: the webhook benchmark.

Starts the real server (`python -m bot serve`: one process, embedded store) with
its LINE API pointed at a stand-in in this, the driver's, process, and drives it
over HTTP with signed webhooks of many parents walking real conversations: each
registers a child, books the interview (staff then clear it through the admin
API), and then books childcare and cancels it, again and again, with a look at
the menu, a free-text message and the website link in between. A parent sends
its next message when the reply to the last one has reached the stand-in, and
taps what that reply showed (the button's real action: message or postback).
In the same run it drives a bare aiohttp endpoint that only checks signatures.

Prints events/s and p50/p95/p99 latency from webhook sent to reply received by
the stand-in, at full speed and at a fixed rate (500 events/s), the server's
peak memory, and the ratio of the bot's events/s to the bare endpoint's.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

from bot.qa.harness import sign
from bot.qa.screen import ScreenButton, buttons, has_sticker

SECRET = "bench-channel-secret"
ADMIN_TOKEN = "bench-admin-token-0123456789abcdef"
ROOT = Path(__file__).resolve().parents[1]
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


@dataclass
class StandIn:
    """LINE's API for the benchmark: matches replies to the reply tokens waited for."""

    pending: dict[str, asyncio.Future[tuple[float, list[dict[str, Any]]]]] = field(
        default_factory=dict
    )
    pushes: int = 0
    late: int = 0

    async def on_reply(self, request: web.Request) -> web.Response:
        at = time.perf_counter()
        body = await request.json()
        fut = self.pending.pop(body.get("replyToken", ""), None)
        if fut is None:
            self.late += 1
            return web.json_response({"message": "Invalid reply token"}, status=400)
        if not fut.done():
            fut.set_result((at, body["messages"]))
        return web.json_response(_sent(body["messages"]))

    async def on_push(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.pushes += 1
        return web.json_response(_sent(body["messages"]))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v2/bot/message/reply", self.on_reply)
        app.router.add_post("/v2/bot/message/push", self.on_push)
        return app


def _sent(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {"sentMessages": [{"id": str(i), "quoteToken": "q"} for i in range(len(messages))]}


_ids = itertools.count(1)
_NONCE = f"{os.getpid():x}{int(time.time()) % 100000:05d}"


def _event(user: str, action: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A webhook event for typing text or tapping a button; and its reply token."""
    n = next(_ids)
    token = f"bt{_NONCE}{n:09d}"
    event: dict[str, Any] = {
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user},
        "webhookEventId": f"01BENCH{_NONCE}{n:012d}",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": token,
    }
    if action.get("type") in ("postback", "datetimepicker"):
        event["type"] = "postback"
        event["postback"] = {"data": action.get("data", "")}
    else:
        event["type"] = "message"
        event["message"] = {"type": "text", "id": str(n), "quoteToken": "q", "text": action["text"]}
    return event, token


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
        url: str,
        standin: StandIn | None,
        session: aiohttp.ClientSession,
        birth: str,
        rate: float | None = None,
    ) -> None:
        self.url = url
        self.admin = url.rsplit("/", 1)[0] + "/admin/api/nurseries/"
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
        """Post one signed event; with a stand-in, wait for the reply and return it."""
        event, token = _event(user, action)
        body = json.dumps({"destination": "Ubench", "events": [event]}).encode()
        headers = {"X-Line-Signature": sign(SECRET, body), "Content-Type": "application/json"}
        fut: asyncio.Future[tuple[float, list[dict[str, Any]]]] | None = None
        if self.standin is not None:
            fut = asyncio.get_running_loop().create_future()
            self.standin.pending[token] = fut
        start = time.perf_counter()
        async with self.session.post(self.url, data=body, headers=headers) as r:
            await r.read()
            ok = r.status == 200
        if not ok or fut is None:
            if fut is not None and self.standin is not None:
                self.standin.pending.pop(token, None)
            if ok:
                self.tally.took(step, time.perf_counter() - start)
            else:
                self.tally.errors += 1
            return None
        try:
            at, messages = await asyncio.wait_for(fut, REPLY_TIMEOUT)
        except TimeoutError:
            self.standin.pending.pop(token, None)  # type: ignore[union-attr]
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
    driver = Driver(url, None, session, "")
    today = dt.datetime.now(TOKYO).date()
    for nursery in NURSERIES:
        key = quote(nursery, safe="")
        for days in (1, 2):
            at = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(10), TOKYO)
            body = {"at": at.isoformat(), "capacity": 100000}
            await driver._admin("POST", f"{key}/interview-slots", body)
        # Today and tomorrow are closed: their bookings could not be cancelled any more
        # (the deadline is 17:00 the day before), and every journey cancels what it booked.
        for days in range(11):
            day = (today + dt.timedelta(days=days)).isoformat()
            seats = 100 if days >= 2 else 0
            await driver._admin("PUT", f"{key}/capacity/{day}", {"seats": seats})


def _birth() -> str:
    today = dt.datetime.now(TOKYO).date()
    return (today - dt.timedelta(days=2 * 365)).strftime("%Y/%m/%d")


async def _run_load(
    session: aiohttp.ClientSession,
    url: str,
    standin: StandIn | None,
    users: int,
    events: int,
    rate: float | None,
    first_user: int,
    pid: int | None = None,
    lockstep: bool = False,
) -> dict[str, Any]:
    """One phase: `users` parents at once, `events` events in all; figures, and the CPU time
    the server process `pid` spent per event."""
    driver = Driver(url, standin, session, _birth(), rate)
    cpu_before = _cpu_seconds(pid)
    per_user = max(1, events // users)
    parents = [
        Parent(driver, n, f"Ubench{_NONCE}{n:06d}") for n in range(first_user, first_user + users)
    ]
    start = time.perf_counter()
    # At a fixed rate parents start one after another, spread over one turn of the booking
    # loop, so that they are at different steps: all at the same step at once (a burst of
    # the heavier steps) is not how the traffic of many parents looks.
    stagger = LOOP_STEPS / rate if rate and not lockstep else 0.0
    await asyncio.gather(*(p.walk(per_user, i * stagger) for i, p in enumerate(parents)))
    elapsed = time.perf_counter() - start
    cpu = _cpu_seconds(pid) - cpu_before
    t = driver.tally
    lat = sorted(t.latencies)

    return {
        "events": len(lat),
        "errors": t.errors,
        "off_script": t.off_script,
        "misses": t.misses,
        "bookings": t.booked,
        "cleared": t.cleared,
        "seconds": elapsed,
        "events_per_s": len(lat) / elapsed if elapsed else 0.0,
        "p50_ms": _pct(lat, 0.50),
        "p95_ms": _pct(lat, 0.95),
        "p99_ms": _pct(lat, 0.99),
        "max_ms": lat[-1] * 1000 if lat else float("nan"),
        "mean_ms": statistics.fmean(lat) * 1000 if lat else float("nan"),
        "server_cpu_ms_per_event": cpu * 1000 / len(lat) if lat else float("nan"),
        "steps": {
            name: {"n": len(xs), "p50_ms": _pct(sorted(xs), 0.5), "p95_ms": _pct(sorted(xs), 0.95)}
            for name, xs in t.by_step.items()
        },
    }


def _pct(lat: list[float], p: float) -> float:
    """The p-th quantile of sorted seconds, in milliseconds."""
    return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")


async def _bare_app() -> web.Application:
    from linebot.v3 import WebhookParser
    from linebot.v3.exceptions import InvalidSignatureError

    parser = WebhookParser(SECRET)

    async def callback(request: web.Request) -> web.Response:
        body = await request.text()
        try:
            parser.parse(body, request.headers.get("X-Line-Signature", ""))
        except InvalidSignatureError:
            return web.Response(status=400)
        return web.Response(text="OK")

    app = web.Application()
    app.router.add_post("/callback", callback)
    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process so far (Linux /proc), 0 if unknown."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


async def _wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as s:
        for _ in range(300):
            if proc.poll() is not None:
                raise RuntimeError("server exited during start-up")
            try:
                async with s.get(url) as r:
                    if r.status in (200, 404, 405):
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


def _spawn(args: list[str], env: dict[str, str], log: str | None = None) -> subprocess.Popen[bytes]:
    """Start a Python process; its log lines are written as in production, to `log` or
    /dev/null."""
    out = open(log, "wb") if log else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=out
        )
    finally:
        if log:
            out.close()  # type: ignore[union-attr]


async def run(
    users: int, events: int, rate: float, profile: str | None = None, lockstep: bool = False
) -> dict[str, Any]:
    standin = StandIn()
    runner = web.AppRunner(standin.app(), access_log=None)
    await runner.setup()
    line_port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", line_port).start()

    bot_port, bare_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "BOT_TEST_CLOCK")}
    env.update(
        LINE_CHANNEL_SECRET=SECRET,
        LINE_CHANNEL_ACCESS_TOKEN="bench-token",
        LINE_API_BASE_URL=f"http://127.0.0.1:{line_port}",
        ADMIN_TOKENS=f"city:{ADMIN_TOKEN}",
        LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "INFO"),  # as in production
    )
    serve = ["-m", "bot", "serve", "--host", "127.0.0.1"]
    if os.environ.get("BENCH_SERVER_SCRIPT"):  # a wrapper script, for experiments
        serve = [os.environ["BENCH_SERVER_SCRIPT"], *serve[2:]]
    if profile:
        serve = ["-m", "pyinstrument", "-r", "text", "-o", profile, *serve]
    server = _spawn([*serve, "--port", str(bot_port)], env, os.environ.get("BENCH_SERVER_LOG"))
    bare = _spawn([__file__, "bench-bare", "--port", str(bare_port)], env)
    results: dict[str, Any] = {"users": users, "rate": rate, "lockstep": lockstep}
    try:
        await _wait_up(f"http://127.0.0.1:{bot_port}/healthz", server)
        await _wait_up(f"http://127.0.0.1:{bare_port}/callback", bare)
        bot_url = f"http://127.0.0.1:{bot_port}/callback"
        bare_url = f"http://127.0.0.1:{bare_port}/callback"
        conn = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=conn) as session:
            await set_up(session, bot_url)
            # Each phase has its own parents, each starting from registration.
            await _run_load(session, bot_url, standin, 20, 600, None, 900_000)  # warm-up
            results["full_speed"] = await _run_load(
                session, bot_url, standin, users, events, None, 0, server.pid
            )
            results["at_rate"] = await _run_load(
                session,
                bot_url,
                standin,
                users,
                int(rate * 6),
                rate,
                100_000,
                server.pid,
                lockstep,
            )
            results["bare"] = await _run_load(
                session, bare_url, None, users, events, None, 0, bare.pid
            )
        results["peak_memory_mb"] = _peak_rss_mb(server.pid)
        results["pushes"] = standin.pushes
    finally:
        for p in (server, bare):
            p.terminate()
            try:
                p.wait(timeout=120 if profile else 10)  # the profiler writes its report
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        await runner.cleanup()
    full, bare_r = results["full_speed"], results["bare"]
    results["ratio_to_bare"] = full["events_per_s"] / bare_r["events_per_s"]
    return results


def report(r: dict[str, Any]) -> str:
    f, a, b = r["full_speed"], r["at_rate"], r["bare"]

    def cpu(x: dict[str, Any]) -> str:
        return f"server CPU {x['server_cpu_ms_per_event']:.2f} ms/event"

    def journey_line(x: dict[str, Any]) -> str:
        return (
            f"({x['events']} events, {x['errors']} errors, {x['off_script']} off script, "
            f"{x['bookings']} bookings)"
        )

    lines = [
        f"bot, full speed  : {f['events_per_s']:7.0f} events/s  p50 {f['p50_ms']:.1f} ms  "
        f"p95 {f['p95_ms']:.1f} ms  p99 {f['p99_ms']:.1f} ms  {journey_line(f)}",
        f"bot, {r['rate']:.0f} events/s: {a['events_per_s']:7.0f} events/s  "
        f"p50 {a['p50_ms']:.1f} ms  "
        f"p95 {a['p95_ms']:.1f} ms  p99 {a['p99_ms']:.1f} ms  {journey_line(a)}",
        f"bare endpoint    : {b['events_per_s']:7.0f} requests/s  p50 {b['p50_ms']:.1f} ms  "
        f"p99 {b['p99_ms']:.1f} ms",
        f"ratio to bare    : {r['ratio_to_bare']:.2f}",
        f"server CPU       : full speed {cpu(f)}, at rate {cpu(a)}, bare {cpu(b)}",
        f"server peak RSS  : {r['peak_memory_mb']:.0f} MB",
        f"parents          : {r['users']} at once per phase"
        + (", at the fixed rate all at the same step" if r["lockstep"] else ""),
        "targets          : >= 2000 events/s per worker, ratio >= 0.15,"
        " p99 <= 20 ms at 500 events/s",
    ]
    slow = sorted(a["steps"].items(), key=lambda kv: -kv[1]["p95_ms"])[:4]
    lines.append(
        f"slowest steps at {r['rate']:.0f}/s (p95): "
        + ", ".join(f"{name} {x['p95_ms']:.1f} ms" for name, x in slow)
    )
    for phase in ("full_speed", "at_rate"):
        lines += [f"off script ({phase}): {m}" for m in r[phase]["misses"]]
    return "\n".join(lines)


def _bench(args: argparse.Namespace) -> int:
    r = asyncio.run(run(args.users, args.events, args.rate, args.profile, args.lockstep))
    print(report(r))
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2))
    failed = any(r[k]["errors"] or r[k]["off_script"] for k in ("full_speed", "at_rate"))
    return 1 if failed else 0


def _bare(args: argparse.Namespace) -> int:
    web.run_app(_bare_app(), host="127.0.0.1", port=args.port, access_log=None, print=None)
    return 0


def register(sub: Any) -> None:
    """Adds `bench` (and the hidden `bench-bare`) to an argparse sub-parser set."""
    p = sub.add_parser("bench", help="benchmark the webhook against a bare endpoint")
    p.add_argument("--users", type=int, default=100, help="parents at once")
    p.add_argument("--events", type=int, default=6000, help="events at full speed")
    p.add_argument("--rate", type=float, default=500.0, help="events/s of the fixed-rate run")
    p.add_argument(
        "--lockstep",
        action="store_true",
        help="at the fixed rate, start every parent at once (all at the same step together)",
    )
    p.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    p.add_argument(
        "--profile",
        metavar="FILE",
        help="run the server under pyinstrument (installed by hand) and write its report here",
    )
    p.set_defaults(func=_bench)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/bench.py", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    p = sub.add_parser("bench-bare", help="(internal) the bare endpoint compared against")
    p.add_argument("--port", type=int, required=True)
    p.set_defaults(func=_bare)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
