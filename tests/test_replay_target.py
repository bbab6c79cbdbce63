"""`--target`: the same scripts replayed against a running server over HTTP, as QA staff do
before a release: the whole suite, one script after another, each on an emptied store, with
JUnit output; against one `python -m bot serve` and against the Procfile's server (gunicorn,
two workers) on a MongoDB server, where a `clock:` step holds in both workers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pymongo
import pytest

from bot.cli import main
from tests.conftest import WIRE_URI
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "replays"  # beside the checkout, as in CI
SECRET = "target-test-secret"
TOKEN = "qa-city-token-" + "q" * 32  # the city's token for the test routes
ADMIN = TOKEN  # for other tests replaying against a server


def _database_uri(uri: str, name: str) -> str:
    """`uri` with its default database set to `name` (credentials still checked where they were)."""
    parts = urlsplit(uri)
    query = dict(parse_qsl(parts.query))
    if "@" in parts.netloc and "authSource" not in query:
        query["authSource"] = parts.path.strip("/") or "admin"
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, urlencode(query), ""))


Server = tuple[str, int]  # (url, LINE stand-in port)
StartServer = Callable[..., Server]


@pytest.fixture
def start_server() -> Iterator[StartServer]:
    """`start_server(command, mongodb_uri)`: a server on free loopback ports, stopped after."""
    procs: list[subprocess.Popen[bytes]] = []
    databases: list[str] = []

    def start(command: str = "serve", mongodb_uri: str | None = None) -> Server:
        port, line_port = free_port(), free_port()
        env = {
            **os.environ,
            "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": "t",
            "LINE_API_BASE_URL": f"http://127.0.0.1:{line_port}",
            "BOT_TEST_CLOCK": "1",
            "ADMIN_TOKENS": f"city:{TOKEN}",
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        env.pop("MONGODB_URI", None)
        if mongodb_uri is not None:
            name = f"test_{uuid.uuid4().hex[:16]}"
            databases.append(name)
            env["MONGODB_URI"] = _database_uri(mongodb_uri, name)
        if command == "serve":
            argv = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"]
        else:  # the Procfile's web process
            argv = [shutil.which("bash") or "bash", str(ROOT / "scripts" / "web")]
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90  # a busy CI machine imports slowly
        while time.monotonic() < deadline:
            assert proc.poll() is None, "the server stopped at start-up"
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1).read()
                break
            except OSError:
                assert proc.poll() is None, f"the server stopped (exit {proc.returncode})"
                time.sleep(0.1)
        return url, line_port

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=30)
    if databases and WIRE_URI:
        with pymongo.MongoClient(WIRE_URI, serverSelectionTimeoutMS=5000) as client:
            for name in databases:
                client.drop_database(name)


@pytest.fixture
def server(start_server: StartServer) -> Server:
    return start_server()


def _replay(
    server: Server, *paths: Path, token: str = TOKEN, secret: str = SECRET, extra: tuple = ()
) -> list[str]:
    url, line_port = server
    args = ["replay", *map(str, paths), "--target", url, "--secret", secret]
    return [*args, "--line-port", str(line_port), "--admin-token", token, *extra]


def _whole_suite(server: Server, junit: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = [ROOT / "tests" / "replays"] + ([SHARED] if SHARED.is_dir() else [])
    code = main(_replay(server, *paths, extra=("--junit", str(junit))))
    out = capsys.readouterr().out
    cases = ET.parse(junit).getroot().iter("testcase")
    names = [c.get("name") for c in cases]
    failed = [line for line in out.splitlines() if line.startswith("✗")]
    assert failed == [], out
    assert len(names) >= 33 and out.splitlines()[-1] == f"{len(names)} passed, 0 failed", out
    assert code == 0


@pytest.mark.slow
def test_whole_suite_passes_against_a_server(
    backend: str, start_server: StartServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In memory: one `python -m bot serve`, all scripts on its one store, none seeing what
    an earlier one left. On MongoDB: the Procfile's server, two workers sharing the clock."""
    if backend == "memory":
        server = start_server("serve")
    else:
        server = start_server("web", WIRE_URI)
    _whole_suite(server, tmp_path / "replays.xml", capsys)


def test_wrong_secret_is_reported_not_crashed(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    script = ROOT / "tests" / "replays" / "runner" / "say.yaml"
    assert main(_replay(server, script, secret="wrong")) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1].endswith(
        "step 1, line 4: the bot failed on this step: the webhook answered HTTP 400"
    )


def test_test_routes_need_the_city_token(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    script = ROOT / "tests" / "replays" / "runner" / "say.yaml"
    assert main(_replay(server, script, token="nope")) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1].endswith(
        "resetting the server's store failed (HTTP 401: この管理APIのトークンは使えません。)"
    )


def test_english_replays_against_a_server(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    """`language: en`: the runner's LINE stand-in gives the server each user's profile in
    English, and the parent is answered in English from the first event on."""
    english = ROOT / "tests" / "replays" / "english"
    code = main(_replay(server, english))
    out = capsys.readouterr().out
    count = len(list(english.glob("*.yaml")))
    assert out.splitlines()[-1] == f"{count} passed, 0 failed", out
    assert code == 0
