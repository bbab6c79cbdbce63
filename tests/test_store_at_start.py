"""The Procfile's server started while its database is down: gunicorn stops the whole
server when a worker fails to boot, so a worker must not fail for a database that does not
answer yet. It serves, the webhook answers 503 (LINE sends again), and once the database
answers the indexes are made and the event sent again is answered."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
from pathlib import Path

import aiohttp
import pytest

from qa.standin import LineStandIn
from tests.conftest import WIRE_URI
from tests.ports import free_port
from tests.test_security_live import ROOT, Events, _post, procfile_server

pytestmark = [
    pytest.mark.skipif(not WIRE_URI, reason="needs the MongoDB wire server"),
    pytest.mark.slow,
]


async def test_a_server_started_before_its_database_answers_once_it_does(
    tmp_path: Path,
) -> None:
    port = free_port()
    line = LineStandIn()
    await line.start(port=free_port())
    store: subprocess.Popen[bytes] | None = None
    events = Events(line, dt.datetime.now(dt.UTC))
    event = events.text("U1", "児童の登録")
    body = {"destination": "x", "events": [event]}
    try:
        async with (
            aiohttp.ClientSession() as http,
            procfile_server(
                f"mongodb://127.0.0.1:{port}/?serverSelectionTimeoutMS=1000",
                tmp_path / "server.log",
                line,
                "test_late_store",
            ) as running,
        ):
            assert await _post(http, running.url, "/callback", body) == 503
            async with http.get(running.url + "/healthz") as r:
                assert r.status == 200

            store = subprocess.Popen(  # noqa: ASYNC220 (prints its address at once)
                [
                    str(ROOT / ".venv-mongoeco" / "bin" / "python"),
                    str(ROOT / "scripts" / "mongoeco_server.py"),
                    *("--port", str(port), "--parent", str(os.getpid())),
                ],
                cwd=ROOT,
                stdout=subprocess.PIPE,
            )
            status = 503
            for _ in range(120):  # as LINE sends again: the same event, until answered
                status = await _post(http, running.url, "/callback", body)
                if status == 200:
                    break
                await asyncio.sleep(0.5)
            assert status == 200, running.output()[-3000:]
            for _ in range(100):
                if line.by_user.get("U1"):
                    break
                await asyncio.sleep(0.1)
            assert [s.via for s in line.by_user["U1"]] == ["reply"]
            output = running.output()
            assert running.proc.poll() is None and "Worker failed to boot" not in output
            assert '"event": "store_ready"' in output
            assert '"during": "start"' in output
    finally:
        if store is not None:
            store.kill()
            store.wait(timeout=10)
        await line.stop()
