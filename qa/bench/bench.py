"""`python -m bot bench`: the webhook benchmark.

Starts the real server (`python -m bot serve`; one process, or `--workers N` of them
on one MongoDB) with its LINE API pointed at the QA side's LINE stand-in
(qa/standin.py) in this, the driver's, process, and drives it over HTTP with
signed webhooks built by the QA side's event builder (qa/line_events.py): many
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
commands by name (pymongo's command monitoring, qa/commands.py).

Prints events/s, p50/p95/p99 latency from webhook sent to reply received by the
stand-in, the servers' CPU per event and database commands per event, at full
speed and at a fixed rate (by default 60% of the full-speed figure), the servers'
peak memory, and the ratio of the bot's events/s to the bare endpoint's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from qa.bench.journeys import (
    ADMIN_TOKEN,
    LOOP_STEPS,
    NONCE,
    SECRET,
    Driver,
    Parent,
    StandIn,
    birth_date,
    set_up,
)
from qa.bench.processes import (
    Servers,
    bare_app,
    cpu_seconds,
    drop_database,
    free_port,
    own_database,
    peak_rss_mb,
    spawn,
    start_mongoeco,
    wait_up,
)


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
    driver = Driver(urls, standin, session, birth_date(), rate)
    cpu_before = servers.cpu() if servers else 0.0
    commands_before = await servers.commands() if servers else Counter()
    per_user = max(1, events // users)
    parents = [
        Parent(driver, n, f"Ubench{NONCE}{n:06d}") for n in range(first_user, first_user + users)
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
        store_proc, mongodb_uri = start_mongoeco()
    uri = own_database(mongodb_uri, f"bench_{NONCE}") if mongodb_uri else None
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
    ports = [free_port() for _ in range(workers)]
    log = os.environ.get("BENCH_SERVER_LOG")
    procs = [
        spawn([*serve, "--port", str(port)], env, f"{log}.{i}" if log and i else log)
        for i, port in enumerate(ports)
    ]
    servers = Servers(procs, counts_file)
    bare_port = free_port()
    bare = spawn(["-m", "qa.bench.bench", "bench-bare", "--port", str(bare_port)], env)
    results: dict[str, Any] = {
        "users": users,
        "lockstep": lockstep,
        "store": "mongoeco" if mongoeco else ("mongodb" if uri else "memory"),
        "workers": workers,
    }
    try:
        for port, proc in zip(ports, procs, strict=True):
            await wait_up(f"http://127.0.0.1:{port}/healthz", proc)
        await wait_up(f"http://127.0.0.1:{bare_port}/callback", bare)
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
        results["peak_memory_mb"] = sum(peak_rss_mb(pid) for pid in servers.pids)
        results["pushes"] = standin.pushes
        if store_proc is not None:
            results["store_cpu_s"] = cpu_seconds(store_proc.pid)
    finally:
        for p in [*procs, bare]:
            p.terminate()
            try:
                p.wait(timeout=120 if profile else 10)  # the profiler writes its report
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if uri and not mongoeco:
            drop_database(uri)
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
    web.run_app(bare_app(), host="127.0.0.1", port=args.port, access_log=None, print=None)
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
    parser = argparse.ArgumentParser(prog="python -m qa.bench.bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    p = sub.add_parser("bench-bare", help="(internal) the bare endpoint compared against")
    p.add_argument("--port", type=int, required=True)
    p.set_defaults(func=_bare)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
