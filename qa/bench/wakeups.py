"""What waking from idle costs on this machine: a bare aiohttp endpoint's CPU per request,
flat out and at fixed rates.

    .venv/bin/python -m qa.bench.wakeups

At full speed one wake of the event loop serves many requests; at a low fixed rate
nearly every request wakes it. Where the second figure is much larger than the first,
the bot's CPU per event at a fixed rate (docs/performance.md) is larger than at full
speed for the same reason, whatever the bot does.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import socket
import time

import aiohttp
from aiohttp import web


def _serve(port: int) -> None:
    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="OK")

    app = web.Application()
    app.router.add_post("/", ok)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _load(url: str, requests: int, rate: float) -> None:
    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        for i in range(requests):
            if rate:
                wait = start + i / rate - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
            async with session.post(url, data=b"x" * 500) as r:
                await r.read()


async def _wait_up(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.post(url, data=b""):
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)


def main() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    server.start()
    assert server.pid is not None
    url = f"http://127.0.0.1:{port}/"
    try:
        asyncio.run(_wait_up(url))
        for rate, requests in ((0.0, 3000), (200.0, 1000), (60.0, 600)):
            before = _cpu_seconds(server.pid)
            asyncio.run(_load(url, requests, rate))
            ms = (_cpu_seconds(server.pid) - before) / requests * 1000
            label = f"{rate:.0f} requests/s" if rate else "full speed"
            print(f"{label:>16}: {ms:.2f} ms server CPU per request")
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
