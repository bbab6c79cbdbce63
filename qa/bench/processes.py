"""The processes a benchmark run starts and reads: the bot's servers (their CPU time and
database command counts), a bare endpoint to compare against, the mongoeco server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from aiohttp import web
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from pymongo import MongoClient

from qa.bench.journeys import SECRET

ROOT = Path(__file__).resolve().parents[2]  # the checkout: where `scripts/` and `.venv` are


@dataclass
class Servers:
    """The bot's server processes and how to read their CPU time and command counts."""

    procs: list[subprocess.Popen[bytes]]
    counts_file: str | None

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids)

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


async def bare_app() -> web.Application:
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process so far (Linux /proc), 0 if unknown."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


async def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
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


def spawn(args: list[str], env: dict[str, str], log: str | None = None) -> subprocess.Popen[bytes]:
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


def start_mongoeco() -> tuple[subprocess.Popen[bytes], str]:
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


def own_database(uri: str, name: str) -> str:
    """The URI with its database replaced by `name` (each run starts from an empty one)."""
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def drop_database(uri: str) -> None:
    client: MongoClient[Any] = MongoClient(uri, serverSelectionTimeoutMS=5000)
    try:
        client.drop_database(urlsplit(uri).path.lstrip("/"))
    finally:
        client.close()
