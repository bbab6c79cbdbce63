"""`python -m bot bench`: the webhook benchmark.

Starts the real server (`python -m bot serve`; one process, or `--workers N` of them
on one MongoDB) with its LINE API pointed at the QA side's LINE stand-in
(bot/qa/standin.py) in this, the driver's, process, and drives it over HTTP with
signed webhooks built by the QA side's event builder (bot/qa/line_events.py): many
parents walking real conversations. Each registers a child, books the interview
(staff then clear it through the admin API), and then books childcare and cancels
it, again and again, with a look at the menu, a free-text message and the website
link in between. A parent sends its next message when the reply to the last one has
reached the stand-in, and taps what that reply showed (the button's real action:
message or postback). In the same run it drives a bare aiohttp endpoint that only
checks signatures.

The store: the embedded in-memory one, `--mongodb-uri URI` (a database of its own
per run, dropped after), or `--mongoeco` (starts `scripts/mongoeco`, a MongoDB
wire-protocol server in memory). Against MongoDB the servers count their database
commands by name (pymongo's command monitoring, bot/qa/commands.py).

Prints events/s, p50/p95/p99 latency from webhook sent to reply received by the
stand-in, the servers' CPU per event and database commands per event, at full
speed and at a fixed rate (by default 60% of the full-speed figure), the servers'
peak memory, and the ratio of the bot's events/s to the bare endpoint's.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aiohttp
from aiohttp import web

from bot.qa.harness import sign
from bot.qa.line_events import EventBuilder
from bot.qa.screen import ScreenButton, buttons, has_sticker
from bot.qa.standin import LineStandIn, Sent
from domain.interviews import MAX_INTERVIEW_CAPACITY

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


_NONCE = f"{os.getpid():x}{int(time.time()) % 100000:05d}"


class StandIn(EventBuilder):
    """The QA side's LINE stand-in and event builder, with each parent's reply awaited.

    The stand-in does not check bodies against the SDK's models here (the tests do):
    that work would be the driver's, on the cores the servers use."""

    def __init__(self) -> None:
        super().__init__(f"01BENCH{_NONCE}", f"bt{_NONCE}")
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


def _birth() -> str:
    today = dt.datetime.now(TOKYO).date()
    return (today - dt.timedelta(days=2 * 365)).strftime("%Y/%m/%d")


@dataclass
class Servers:
    """The bot's server processes and how to read their CPU time and command counts."""

    procs: list[subprocess.Popen[bytes]]
    counts_file: str | None

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def cpu(self) -> float:
        return sum(_cpu_seconds(pid) for pid in self.pids)

    async def commands(self) -> Counter[str]:
        """Database commands sent so far by all servers, by name (empty: not counted)."""
        total: Counter[str] = Counter()
        if not self.counts_file:
            return total
        for pid in self.pids:
            target = Path(f"{self.counts_file}.{pid}")
            _ask_counts(pid, target)
            for _ in range(100):
                got = _read_counts(target)
                if got is not None:
                    total.update(got)
                    break
                await asyncio.sleep(0.05)
            else:
                raise RuntimeError(f"server {pid} wrote no command counts")
        return total


def _ask_counts(pid: int, target: Path) -> None:
    target.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR1)


def _read_counts(target: Path) -> dict[str, int] | None:
    return json.loads(target.read_text()) if target.exists() else None


async def _run_load(
    session: aiohttp.ClientSession,
    urls: list[str],
    standin: StandIn | None,
    users: int,
    events: int,
    rate: float | None,
    first_user: int,
    servers: Servers | None = None,
    lockstep: bool = False,
) -> dict[str, Any]:
    """One phase: `users` parents at once, `events` events in all; figures, and the CPU time
    and database commands the servers spent per event."""
    driver = Driver(urls, standin, session, _birth(), rate)
    cpu_before = servers.cpu() if servers else 0.0
    commands_before = await servers.commands() if servers else Counter()
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
    cpu = (servers.cpu() if servers else 0.0) - cpu_before
    commands = (await servers.commands() if servers else Counter()) - commands_before
    t = driver.tally
    lat = sorted(t.latencies)
    n = len(lat)
    return {
        "events": n,
        "errors": t.errors,
        "off_script": t.off_script,
        "misses": t.misses,
        "bookings": t.booked,
        "cleared": t.cleared,
        "seconds": elapsed,
        "events_per_s": n / elapsed if elapsed else 0.0,
        "p50_ms": _pct(lat, 0.50),
        "p95_ms": _pct(lat, 0.95),
        "p99_ms": _pct(lat, 0.99),
        "max_ms": lat[-1] * 1000 if lat else float("nan"),
        "mean_ms": statistics.fmean(lat) * 1000 if lat else float("nan"),
        "server_cpu_ms_per_event": cpu * 1000 / n if n else float("nan"),
        "commands_per_event": sum(commands.values()) / n if n and commands else None,
        "commands_by_name": _by_name(commands, n),
        "commands_by_collection": {k: v / n for k, v in commands.most_common()} if n else {},
        "steps": {
            name: {"n": len(xs), "p50_ms": _pct(sorted(xs), 0.5), "p95_ms": _pct(sorted(xs), 0.95)}
            for name, xs in t.by_step.items()
        },
    }


def _by_name(commands: Counter[str], n: int) -> dict[str, float]:
    """Commands per event by command name ("find", "update", ...)."""
    names: Counter[str] = Counter()
    for key, count in commands.items():
        names[key.split(" ")[0]] += count
    return {k: v / n for k, v in names.most_common()} if n else {}


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
        for _ in range(1200):  # two minutes: a loaded machine starts slowly
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


def _start_mongoeco() -> tuple[subprocess.Popen[bytes], str]:
    """scripts/mongoeco: a MongoDB wire-protocol server in memory; its process and URI."""
    script = ROOT / "scripts" / "mongoeco"
    if not script.exists():
        raise SystemExit("--mongoeco needs scripts/mongoeco (the mongoeco test server)")
    proc = subprocess.Popen([str(script)], cwd=ROOT, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    uri = proc.stdout.readline().decode().strip()  # its first line, once it listens
    if not uri.startswith("mongodb://"):
        proc.terminate()
        raise SystemExit("scripts/mongoeco did not start")
    return proc, uri


def _own_database(uri: str, name: str) -> str:
    """The URI with its database replaced by `name` (each run starts from an empty one)."""
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _drop_database(uri: str) -> None:
    from pymongo import MongoClient

    client: MongoClient[Any] = MongoClient(uri, serverSelectionTimeoutMS=5000)
    try:
        client.drop_database(urlsplit(uri).path.lstrip("/"))
    finally:
        client.close()


async def run(
    users: int,
    events: int,
    rate: float | None,
    profile: str | None = None,
    lockstep: bool = False,
    mongodb_uri: str | None = None,
    mongoeco: bool = False,
    workers: int = 1,
) -> dict[str, Any]:
    standin = StandIn()
    line_url = await standin.line.start()
    store_proc = None
    if mongoeco:
        store_proc, mongodb_uri = _start_mongoeco()
    uri = _own_database(mongodb_uri, f"bench_{_NONCE}") if mongodb_uri else None
    if workers > 1 and not uri:
        raise SystemExit("--workers > 1 needs a shared store: --mongodb-uri or --mongoeco")

    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "BOT_TEST_CLOCK")}
    env.update(
        LINE_CHANNEL_SECRET=SECRET,
        LINE_CHANNEL_ACCESS_TOKEN="bench-token",
        LINE_API_BASE_URL=line_url,
        ADMIN_TOKENS=f"city:{ADMIN_TOKEN}",
        LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "INFO"),  # as in production
    )
    counts_file = None
    if uri:
        env["MONGODB_URI"] = uri
        counts_file = str(Path(tempfile.mkdtemp(prefix="bench-")) / "commands")
        env["BENCH_COMMAND_COUNTS"] = counts_file
    serve = ["-m", "bot", "serve", "--host", "127.0.0.1"]
    if os.environ.get("BENCH_SERVER_SCRIPT"):  # a wrapper script, for experiments
        serve = [os.environ["BENCH_SERVER_SCRIPT"], *serve[2:]]
    if profile:
        serve = ["-m", "pyinstrument", "-r", "text", "-o", profile, *serve]
    ports = [_free_port() for _ in range(workers)]
    log = os.environ.get("BENCH_SERVER_LOG")
    procs = [
        _spawn([*serve, "--port", str(port)], env, f"{log}.{i}" if log and i else log)
        for i, port in enumerate(ports)
    ]
    servers = Servers(procs, counts_file)
    bare_port = _free_port()
    bare = _spawn([__file__, "bench-bare", "--port", str(bare_port)], env)
    results: dict[str, Any] = {
        "users": users,
        "lockstep": lockstep,
        "store": "mongoeco" if mongoeco else ("mongodb" if uri else "memory"),
        "workers": workers,
    }
    try:
        for port, proc in zip(ports, procs, strict=True):
            await _wait_up(f"http://127.0.0.1:{port}/healthz", proc)
        await _wait_up(f"http://127.0.0.1:{bare_port}/callback", bare)
        urls = [f"http://127.0.0.1:{port}/callback" for port in ports]
        bare_url = f"http://127.0.0.1:{bare_port}/callback"
        conn = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=conn) as session:
            await set_up(session, urls[0])
            # Each phase has its own parents, each starting from registration.
            await _run_load(session, urls, standin, 20, 600, None, 900_000)  # warm-up
            full = await _run_load(session, urls, standin, users, events, None, 0, servers)
            results["full_speed"] = full
            rate = rate or round(0.6 * full["events_per_s"])  # 60% of what was measured
            results["rate"] = rate
            results["at_rate"] = await _run_load(
                session,
                urls,
                standin,
                users,
                events,  # the full-speed phase's journeys again: the same mix of steps
                rate,
                100_000,
                servers,
                lockstep,
            )
            results["bare"] = await _run_load(session, [bare_url], None, users, events, None, 0)
            results["bare"]["server_cpu_ms_per_event"] = float("nan")
        results["peak_memory_mb"] = sum(_peak_rss_mb(pid) for pid in servers.pids)
        results["pushes"] = standin.pushes
        if store_proc is not None:
            results["store_cpu_s"] = _cpu_seconds(store_proc.pid)
    finally:
        for p in [*procs, bare]:
            p.terminate()
            try:
                p.wait(timeout=120 if profile else 10)  # the profiler writes its report
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if uri and not mongoeco:
            _drop_database(uri)
        if store_proc is not None:
            store_proc.terminate()
            store_proc.wait(timeout=10)
        await standin.line.stop()
    full, bare_r = results["full_speed"], results["bare"]
    results["ratio_to_bare"] = full["events_per_s"] / bare_r["events_per_s"]
    return results


def report(r: dict[str, Any]) -> str:
    f, a, b = r["full_speed"], r["at_rate"], r["bare"]

    def cpu(x: dict[str, Any]) -> str:
        return f"{x['server_cpu_ms_per_event']:.2f} ms/event"

    def journey_line(x: dict[str, Any]) -> str:
        return (
            f"({x['events']} events, {x['errors']} errors, {x['off_script']} off script, "
            f"{x['bookings']} bookings)"
        )

    def commands(x: dict[str, Any]) -> str:
        if x["commands_per_event"] is None:
            return "not counted (in-memory store)"
        by_name = ", ".join(f"{k} {v:.2f}" for k, v in x["commands_by_name"].items())
        by_coll = ", ".join(
            f"{k} {v:.2f}" for k, v in x["commands_by_collection"].items() if v >= 0.01
        )
        return f"{x['commands_per_event']:.2f}/event ({by_name}; {by_coll})"

    per_worker = f["events_per_s"] / r["workers"]
    lines = [
        f"store, workers   : {r['store']}, {r['workers']} server process(es)",
        f"bot, full speed  : {f['events_per_s']:7.0f} events/s ({per_worker:.0f} per worker)  "
        f"p50 {f['p50_ms']:.1f} ms  p95 {f['p95_ms']:.1f} ms  p99 {f['p99_ms']:.1f} ms  "
        f"{journey_line(f)}",
        f"bot, {r['rate']:.0f} events/s: {a['events_per_s']:7.0f} events/s  "
        f"p50 {a['p50_ms']:.1f} ms  "
        f"p95 {a['p95_ms']:.1f} ms  p99 {a['p99_ms']:.1f} ms  {journey_line(a)}",
        f"bare endpoint    : {b['events_per_s']:7.0f} requests/s  p50 {b['p50_ms']:.1f} ms  "
        f"p99 {b['p99_ms']:.1f} ms",
        f"ratio to bare    : {r['ratio_to_bare']:.2f}",
        f"bot CPU          : full speed {cpu(f)}, at rate {cpu(a)} (all server processes)",
        f"db commands      : full speed {commands(f)}",
        f"db commands      : at rate {commands(a)}",
        f"server peak RSS  : {r['peak_memory_mb']:.0f} MB",
        f"parents          : {r['users']} at once per phase"
        + (", at the fixed rate all at the same step" if r["lockstep"] else ""),
        "targets          : in memory <= 1.2 ms CPU/event (>= 800 events/s per worker),"
        " p99 <= 20 ms at 60% of capacity; MongoDB <= 6 commands/event, <= 2.5 ms CPU/event",
    ]
    if "store_cpu_s" in r:
        lines.append(f"mongoeco server  : {r['store_cpu_s']:.1f} s CPU over the whole run")
    slow = sorted(a["steps"].items(), key=lambda kv: -kv[1]["p95_ms"])[:4]
    lines.append(
        f"slowest steps at {r['rate']:.0f}/s (p95): "
        + ", ".join(f"{name} {x['p95_ms']:.1f} ms" for name, x in slow)
    )
    for phase in ("full_speed", "at_rate"):
        lines += [f"off script ({phase}): {m}" for m in r[phase]["misses"]]
    return "\n".join(lines)


def _bench(args: argparse.Namespace) -> int:
    r = asyncio.run(
        run(
            args.users,
            args.events,
            args.rate,
            args.profile,
            args.lockstep,
            args.mongodb_uri,
            args.mongoeco,
            args.workers,
        )
    )
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
    p.add_argument(
        "--rate",
        type=float,
        default=None,
        help="events/s of the fixed-rate run (default: 60%% of the full-speed events/s)",
    )
    p.add_argument(
        "--lockstep",
        action="store_true",
        help="at the fixed rate, start every parent at once (all at the same step together)",
    )
    p.add_argument("--mongodb-uri", metavar="URI", help="run on this MongoDB (own database)")
    p.add_argument(
        "--mongoeco",
        action="store_true",
        help="start scripts/mongoeco (a MongoDB wire-protocol server in memory) and run on it",
    )
    p.add_argument(
        "--workers", type=int, default=1, help="server processes on one store (needs MongoDB)"
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
