"""The city's second security review, repeated against the Procfile's server (gunicorn,
two workers) on the MongoDB wire server, reached only over loopback: a burst of password
guesses, the same answer for unknown, wrong and locked logins, a cookie copied before
logout, searches for a name and a phone number (then the server's whole output is
scanned for them), webhook and admin API bodies nested 200,000 deep, dates at the
calendar's ends, the headers over https; a reply taken by LINE before a kill -9, the
server started again when the reply token is too old; and a database of its own stopped
under the running server."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pymongo
import pytest
from cryptography.fernet import Fernet

from qa.harness import sign
from qa.line_events import EventBuilder
from qa.standin import LineStandIn
from storage.staff_accounts import Passwords
from tests.conftest import WIRE_URI
from tests.console_support import PASSWORD
from tests.ports import free_port
from tests.test_console_login_limits import Browser
from tests.test_replay_target import _database_uri

ROOT = Path(__file__).resolve().parents[1]
SECRET = "live-security-secret"
TOKEN = "live-city-token-" + "s" * 32
NAME, PHONE = "目黒 花子", "09012345678"

pytestmark = [
    pytest.mark.skipif(not WIRE_URI, reason="needs the MongoDB wire server"),
    pytest.mark.slow,
]


class Server:
    def __init__(
        self, url: str, log: Path, line: LineStandIn, proc: subprocess.Popen[bytes], db: str
    ) -> None:
        self.url, self.log, self.line, self.proc, self.db = url, log, line, proc, db

    def kill(self) -> None:
        """kill -9 the master and its workers at once."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextlib.asynccontextmanager
async def procfile_server(
    base_uri: str,
    log: Path,
    line: LineStandIn | None = None,
    name: str = "",
    env_extra: dict[str, str] | None = None,
    keep: bool = False,
) -> AsyncIterator[Server]:
    """The Procfile's web process (two workers) on a fresh database at `base_uri` (or the
    database `name` a server before it used), with the accounts futaba1 and city1, the
    LINE stand-in (or `line`, kept across a restart), and its output in `log`; the
    database is dropped after, unless `keep` (for the server that follows)."""
    port = free_port()
    own_line = line is None
    if line is None:
        line = LineStandIn()
        await line.start(port=free_port())
    line_port = int(line.url.rsplit(":", 1)[1])
    fresh = not name
    name = name or f"test_{uuid.uuid4().hex[:16]}"
    uri = _database_uri(base_uri, name)
    with pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        if fresh:
            hashed = Passwords().hash(PASSWORD)
            now = dt.datetime.now(dt.UTC)
            client[name]["staff_accounts"].insert_many(
                [
                    {
                        "_id": login,
                        "scope": scope,
                        "name": login,
                        "password_hash": hashed,
                        "created_at": now,
                    }
                    for login, scope in (("futaba1", "futaba"), ("city1", "city"))
                ]
            )
    env = {
        **os.environ,
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": "t",
        "LINE_API_BASE_URL": f"http://127.0.0.1:{line_port}",
        "ADMIN_TOKENS": f"city:{TOKEN}",
        "MONGODB_URI": uri,
        "PORT": str(port),
        "LOG_LEVEL": "INFO",
        "STAFF_SESSION_KEY": Fernet.generate_key().decode(),
        "TRUSTED_PROXY_HOPS": "1",
        "WEB_CONCURRENCY": "2",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **(env_extra or {}),
    }
    with log.open("ab") as out:
        proc = subprocess.Popen(  # noqa: ASYNC220 (starts at once; waited on below)
            [shutil.which("bash") or "bash", str(ROOT / "scripts" / "web")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: `kill` ends master and workers
        )
        url = f"http://127.0.0.1:{port}"
        try:
            await _wait_up(url, proc)
            yield Server(url, log, line, proc, name)
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
            if own_line:
                await line.stop()
            if not keep:
                with contextlib.suppress(pymongo.errors.PyMongoError):
                    with pymongo.MongoClient(base_uri, serverSelectionTimeoutMS=2000) as client:
                        client.drop_database(name)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    async with procfile_server(WIRE_URI or "", tmp_path / "server.log") as running:
        yield running


async def _wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            assert proc.poll() is None, "the server stopped at start-up"
            try:
                async with http.get(url + "/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the server did not start")


async def test_the_procfile_server_repeats_none_of_the_reviews_findings(server: Server) -> None:
    url = server.url
    people: list[Browser] = []

    def browser(address: str) -> Browser:
        people.append(Browser(url, address))
        return people[-1]

    try:
        # 1. A burst of guesses, then the right password: refused; the owner elsewhere is not.
        attacker = browser("192.0.2.10")
        token = await attacker.csrf()
        guesses = [attacker.login("futaba1", f"guess {i}", token, flash=False) for i in range(59)]
        assert await asyncio.gather(*guesses) == ["/staff/login"] * 59
        assert await attacker.login("futaba1", PASSWORD, flash=False) == "/staff/login"
        owner = browser("198.51.100.7")
        assert await owner.login("futaba1", PASSWORD) == "/staff/"

        # 8. Unknown, wrong and locked: the same words, each after one password hash.
        probe = browser("192.0.2.20")
        took: dict[str, float] = {}
        answers: dict[str, str] = {}
        for case, login, password in (
            ("unknown", "nobody", "whatever it is"),
            ("wrong", "futaba1", "not the password"),
        ):
            started = time.perf_counter()
            answers[case] = await probe.login(login, password)
            took[case] = time.perf_counter() - started
        for i in range(4):
            await probe.login("futaba1", f"guess {i}")
        started = time.perf_counter()
        answers["locked"] = await probe.login("futaba1", PASSWORD)
        took["locked"] = time.perf_counter() - started
        assert len(set(answers.values())) == 1, answers
        assert answers["locked"].startswith("ログインできませんでした。")
        assert took["locked"] > took["wrong"] / 3, took  # not answered before the hash

        # 3. Searches for a name and a phone number (later looked for in the output).
        for path in (
            f"/staff/n/futaba/registrations?q={quote(NAME)}",
            f"/staff/n/futaba/registrations?q={PHONE}",
        ):
            assert (await owner.get(path))[0] == 200

        # 7. Dates at the calendar's ends: 400 in Japanese, never 500.
        for path in (
            "/staff/n/futaba/day?date=0001-01-01",
            "/staff/n/futaba/calendar?from=0001-01-01",
            "/staff/n/futaba/bookings?first=9999-12-31",
        ):
            status, text = await owner.get(path)
            assert status == 400 and "Traceback" not in text, path

        # 2. Logout ends the session: a cookie copied before it opens nothing.
        thief = browser("203.0.113.66")
        thief.headers["Cookie"] = f"staff_console={owner.cookie()}"
        assert (await thief.get("/staff/n/futaba/day"))[0] == 200  # the copy works until...
        form = {"csrf": await owner.csrf("/staff/n/futaba/day")}
        async with owner.http.post(url + "/staff/logout", data=form, headers=owner.headers):
            pass
        status, _ = await thief.get("/staff/n/futaba/day")
        assert thief.last_url.endswith("/staff/login"), thief.last_url

        # 4. Bodies nested 200,000 deep: 400, never 500.
        async with aiohttp.ClientSession() as http:
            for body in (b"[" * 200_000 + b"]" * 200_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000):
                headers = {"X-Line-Signature": sign(SECRET, body)}
                async with http.post(url + "/callback", data=body, headers=headers) as r:
                    assert r.status == 400
                headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
                async with http.post(
                    url + "/admin/api/nurseries/futaba/interview-slots", data=body, headers=headers
                ) as r:
                    assert r.status == 400

            # HSTS and a Secure cookie over https (the documented proxy header).
            async with http.get(url + "/staff/login", headers={"X-Forwarded-Proto": "https"}) as r:
                assert r.headers["Strict-Transport-Security"].startswith("max-age=")
                assert "Secure" in r.headers["Set-Cookie"]
    finally:
        for b in people:
            await b.close()

    # 3. No request line with what staff typed reaches any log; each request is one JSON line.
    await asyncio.sleep(0.5)  # the workers' last lines
    output = server.output()
    for typed in (NAME, PHONE, quote(NAME), "?q=", "目黒"):
        assert typed not in output, typed
    requests = [
        json.loads(line)
        for line in output.splitlines()
        if line.startswith("{") and '"http_request"' in line
    ]
    paths = {r["path"] for r in requests}
    assert "/staff/n/futaba/registrations" in paths and "/callback" in paths
    assert len({r["worker"] for r in requests}) >= 1
    assert all(isinstance(r["status"], int) and "?" not in r["path"] for r in requests)


async def test_the_procfile_server_answers_while_its_database_is_down(tmp_path: Path) -> None:
    """A wire server of its own, stopped under the running server: /metrics still answers
    with its counters and says the store is down; the admin API and the console answer
    503 with Retry-After."""
    store = subprocess.Popen(  # noqa: ASYNC220 (prints its address at once)
        [
            str(ROOT / ".venv-mongoeco" / "bin" / "python"),
            str(ROOT / "scripts" / "mongoeco_server.py"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    try:
        assert store.stdout is not None
        base_uri = (await asyncio.to_thread(store.stdout.readline)).decode().strip()
        base_uri += "?serverSelectionTimeoutMS=1000"  # the URI's own, as an operator may set
        async with procfile_server(base_uri, tmp_path / "server.log") as running:
            staff = Browser(running.url)
            assert await staff.login("futaba1", PASSWORD) == "/staff/"
            store.kill()
            store.wait(timeout=10)
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with aiohttp.ClientSession() as http:
                async with http.get(running.url + "/metrics") as r:
                    text = await r.text()
                    assert r.status == 200 and "hoiku_store_up 0.0" in text
                    assert "hoiku_events_received_total" in text  # the counters still there
                async with http.get(
                    running.url + "/admin/api/nurseries/futaba/interview-slots", headers=headers
                ) as r:
                    assert r.status == 503 and r.headers["Retry-After"].isdigit()
                    assert "データベース" in (await r.json())["error"]
            status, text = await staff.get("/staff/n/futaba/day")
            assert status == 503 and "データベースに接続できない" in text
            await staff.close()
    finally:
        store.kill()
        store.wait(timeout=10)


class Events(EventBuilder):
    """Events from LINE, stamped at a moment the test chooses."""

    def __init__(self, line: LineStandIn, at: dt.datetime) -> None:
        super().__init__("01HLIVECRASH", "live-token-")
        self.line, self.at = line, at

    def event_time(self) -> dt.datetime | None:
        return self.at


async def _until(done: Callable[[], bool], seconds: float = 30) -> None:
    for _ in range(int(seconds / 0.1)):
        if done():
            return
        await asyncio.sleep(0.1)


async def _post(http: aiohttp.ClientSession, url: str, path: str, body: object) -> int:
    data = json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    if path == "/callback":
        headers = {"X-Line-Signature": sign(SECRET, data), "Content-Type": "application/json"}
    async with http.post(url + path, data=data, headers=headers) as r:
        return r.status


async def test_a_reply_taken_before_a_kill_is_not_pushed_again_after_restart(
    tmp_path: Path,
) -> None:
    """LINE takes the reply, its answer never comes back, the server is killed (kill -9)
    and started again when the reply token is too old: the parent sees the answer once."""
    line = LineStandIn()
    await line.start(port=free_port())
    log = tmp_path / "server.log"
    test_clock = {"BOT_TEST_CLOCK": "1"}
    at = dt.datetime(2024, 4, 20, 9, 0, tzinfo=dt.UTC)
    events = Events(line, at)
    try:
        async with aiohttp.ClientSession() as http:
            async with procfile_server(
                WIRE_URI or "", log, line, env_extra=test_clock, keep=True
            ) as first:
                assert (
                    await _post(http, first.url, "/admin/api/test/clock", {"at": at.isoformat()})
                    == 200
                )
                line.hang_next()  # taken by LINE, the answer lost with the server
                event = events.text("U1", "児童の登録")
                assert (
                    await _post(
                        http, first.url, "/callback", {"destination": "x", "events": [event]}
                    )
                    == 200
                )
                await _until(lambda: bool(line.by_user.get("U1")))
                assert [s.via for s in line.by_user["U1"]] == ["reply"]
                first.kill()
            later = (at + dt.timedelta(seconds=61)).isoformat()  # lease over, token too old
            async with procfile_server(
                WIRE_URI or "", log, line, first.db, env_extra=test_clock
            ) as second:
                assert await _post(http, second.url, "/admin/api/test/clock", {"at": later}) == 200
                await _until(lambda: "event_handled" in second.output())
                assert "event_handled" in second.output()  # the sweeper ran it again
                await asyncio.sleep(0.5)
        assert [s.via for s in line.by_user["U1"]] == ["reply"]  # once: no push after it
        assert len(line.retry_keys) == 0
    finally:
        await line.stop()
