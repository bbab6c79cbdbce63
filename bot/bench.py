"""`python -m bot bench`: the webhook benchmark.

Starts the real server (`python -m bot serve`, one process, embedded store) with
its LINE API pointed at a stand-in in this (the driver's) process, and drives it
over HTTP with signed webhooks of many users walking real conversations, each
user sending its next message when the reply to the last one has arrived. In
the same run it drives a bare aiohttp endpoint that only checks the signature.

Prints events/s, p50/p95/p99 latency from webhook sent to reply received by the
stand-in (at full speed, and at a fixed 500 events/s), the server's peak memory,
and the ratio to the bare endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.harness import sign

SECRET = "bench-channel-secret"
ROOT = Path(__file__).resolve().parents[1]

# What each simulated parent types, in order: the registration journey, then browsing.
JOURNEY = [
    "児童の登録",
    "双葉の園保育園",
    "目黒 花子",
    "153-0061",
    "東京都目黒区中目黒1-1-1",
    "03-1234-5678",
    "目黒 太郎",
    "めぐろ たろう",
    "2022/5/1",
    "男",
    "いいえ",
    "予約を取り消す",
    "予約をする",
    "こんにちは",
    "区ウェブサイトで概要を確認する",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Waiters:
    """Reply tokens sent and the futures resolved when the stand-in receives their reply."""

    pending: dict[str, asyncio.Future[float]] = field(default_factory=dict)
    pushes: int = 0

    async def on_reply(self, request: web.Request) -> web.Response:
        body = await request.json()
        fut = self.pending.pop(body.get("replyToken", ""), None)
        if fut is not None and not fut.done():
            fut.set_result(time.perf_counter())
        return web.json_response(
            {"sentMessages": [{"id": "1", "quoteToken": "q"} for _ in body["messages"]]}
        )

    async def on_push(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.pushes += 1
        return web.json_response(
            {"sentMessages": [{"id": "1", "quoteToken": "q"} for _ in body["messages"]]}
        )


def _event(user: str, text: str, n: int, token: str) -> dict[str, Any]:
    return {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user},
        "webhookEventId": f"01BENCH{os.getpid():x}{n:012d}",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": token,
        "message": {"type": "text", "id": str(n), "quoteToken": "q", "text": text},
    }


class Driver:
    def __init__(self, url: str, waiters: Waiters | None) -> None:
        self.url = url
        self.waiters = waiters
        self.n = 0
        self.latencies: list[float] = []
        self.errors = 0

    async def one(self, session: aiohttp.ClientSession, user: str, text: str) -> None:
        self.n += 1
        token = f"bt{self.n}"
        body = json.dumps(
            {"destination": "Ubench", "events": [_event(user, text, self.n, token)]}
        ).encode()
        headers = {"X-Line-Signature": sign(SECRET, body), "Content-Type": "application/json"}
        fut: asyncio.Future[float] | None = None
        if self.waiters is not None:
            fut = asyncio.get_running_loop().create_future()
            self.waiters.pending[token] = fut
        start = time.perf_counter()
        async with session.post(self.url, data=body, headers=headers) as r:
            await r.read()
            if r.status != 200:
                self.errors += 1
                if fut is not None:
                    self.waiters.pending.pop(token, None)  # type: ignore[union-attr]
                return
        if fut is None:
            self.latencies.append(time.perf_counter() - start)
            return
        try:
            done = await asyncio.wait_for(fut, 10)
        except TimeoutError:
            self.errors += 1
            return
        self.latencies.append(done - start)

    async def walk(
        self, session: aiohttp.ClientSession, user: str, count: int, pace: asyncio.Queue | None
    ) -> None:
        for i in range(count):
            if pace is not None:
                await pace.get()
            await self.one(session, user, JOURNEY[i % len(JOURNEY)])


async def _run_load(
    url: str, waiters: Waiters | None, users: int, events: int, rate: float | None
) -> dict[str, float]:
    driver = Driver(url, waiters)
    per_user = max(1, events // users)
    pace: asyncio.Queue[None] | None = None
    feeder: asyncio.Task[None] | None = None
    if rate:
        pace = asyncio.Queue()

        async def feed() -> None:
            interval = 1 / rate
            next_at = time.perf_counter()
            while True:
                pace.put_nowait(None)  # type: ignore[union-attr]
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

        feeder = asyncio.create_task(feed())
    conn = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=conn) as session:
        start = time.perf_counter()
        await asyncio.gather(
            *(
                driver.walk(session, f"Ubench{u:05d}{os.getpid()}", per_user, pace)
                for u in range(users)
            )
        )
        elapsed = time.perf_counter() - start
    if feeder is not None:
        feeder.cancel()
    lat = sorted(driver.latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

    return {
        "events": len(lat),
        "errors": driver.errors,
        "seconds": elapsed,
        "events_per_s": len(lat) / elapsed if elapsed else 0.0,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": statistics.fmean(lat) * 1000 if lat else float("nan"),
    }


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


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def run(users: int, events: int, rate: float) -> dict[str, Any]:
    waiters = Waiters()
    standin = web.Application()
    standin.router.add_post("/v2/bot/message/reply", waiters.on_reply)
    standin.router.add_post("/v2/bot/message/push", waiters.on_push)
    runner = web.AppRunner(standin, access_log=None)
    await runner.setup()
    line_port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", line_port).start()

    bot_port, bare_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
    env.update(
        LINE_CHANNEL_SECRET=SECRET,
        LINE_CHANNEL_ACCESS_TOKEN="bench-token",
        LINE_API_BASE_URL=f"http://127.0.0.1:{line_port}",
        LOG_LEVEL="WARNING",
    )
    server = _spawn(["-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(bot_port)], env)
    bare = _spawn(["-m", "bot", "bench-bare", "--port", str(bare_port)], env)
    results: dict[str, Any] = {}
    try:
        await _wait_up(f"http://127.0.0.1:{bot_port}/healthz", server)
        await _wait_up(f"http://127.0.0.1:{bare_port}/callback", bare)
        bot_url = f"http://127.0.0.1:{bot_port}/callback"
        await _run_load(bot_url, waiters, 20, 200, None)  # warm-up
        results["full_speed"] = await _run_load(bot_url, waiters, users, events, None)
        results["at_rate"] = await _run_load(bot_url, waiters, users, int(rate * 4), rate)
        results["bare"] = await _run_load(
            f"http://127.0.0.1:{bare_port}/callback", None, users, events, None
        )
        results["peak_memory_mb"] = _peak_rss_mb(server.pid)
    finally:
        for p in (server, bare):
            p.terminate()
            p.wait(timeout=10)
        await runner.cleanup()
    full, bare_r = results["full_speed"], results["bare"]
    results["ratio_to_bare"] = full["events_per_s"] / bare_r["events_per_s"]
    results["rate"] = rate
    return results


def report(r: dict[str, Any]) -> str:
    f, a, b = r["full_speed"], r["at_rate"], r["bare"]
    lines = [
        f"bot, full speed : {f['events_per_s']:8.0f} events/s  "
        f"p50 {f['p50_ms']:.1f} ms  p95 {f['p95_ms']:.1f} ms  p99 {f['p99_ms']:.1f} ms  "
        f"({f['events']} events, {f['errors']} errors)",
        f"bot, {r['rate']:.0f} events/s: p50 {a['p50_ms']:.1f} ms  p95 {a['p95_ms']:.1f} ms  "
        f"p99 {a['p99_ms']:.1f} ms  ({a['events']} events, {a['errors']} errors)",
        f"bare endpoint   : {b['events_per_s']:8.0f} requests/s",
        f"ratio to bare   : {r['ratio_to_bare']:.2f}",
        f"server peak RSS : {r['peak_memory_mb']:.0f} MB",
        "targets         : >= 2000 events/s per worker, ratio >= 0.15,"
        " p99 <= 20 ms at 500 events/s",
    ]
    return "\n".join(lines)


def _bench(args: argparse.Namespace) -> int:
    r = asyncio.run(run(args.users, args.events, args.rate))
    print(report(r))
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2))
    return 0


def _bare(args: argparse.Namespace) -> int:
    web.run_app(_bare_app(), host="127.0.0.1", port=args.port, access_log=None, print=None)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("bench", help="benchmark the webhook against a bare endpoint")
    p.add_argument("--users", type=int, default=100)
    p.add_argument("--events", type=int, default=6000)
    p.add_argument("--rate", type=float, default=500.0)
    p.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    p.set_defaults(func=_bench)
    p = sub.add_parser("bench-bare", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, required=True)
    p.set_defaults(func=_bare)
