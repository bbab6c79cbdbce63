"""`--target`: the same scripts replayed against a running server over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]
SECRET = "target-test-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server() -> Iterator[tuple[str, int]]:
    port, line_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": "t",
        "LINE_API_BASE_URL": f"http://127.0.0.1:{line_port}",
        "BOT_TEST_CLOCK": "1",
        "ADMIN_TOKENS": "qa-token",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("MONGODB_URI", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a busy CI machine imports slowly
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        yield url, line_port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_scripts_pass_against_a_running_server(
    server: tuple[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    url, line_port = server
    runner = ROOT / "tests" / "replays" / "runner"
    args = ["replay", str(runner), "--target", url, "--secret", SECRET]
    args += ["--line-port", str(line_port), "--admin-token", "qa-token"]
    code = main(args)
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "8 passed, 0 failed", out
    assert code == 0


def test_wrong_secret_is_reported_not_crashed(
    server: tuple[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    url, line_port = server
    script = ROOT / "tests" / "replays" / "runner" / "say.yaml"
    args = ["replay", str(script), "--target", url, "--secret", "wrong"]
    args += ["--line-port", str(line_port), "--admin-token", "qa-token"]
    assert main(args) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1].endswith(
        "step 1, line 4: the bot failed on this step: the webhook answered HTTP 400"
    )


def test_clock_needs_the_admin_token(
    server: tuple[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    url, line_port = server
    script = ROOT / "tests" / "replays" / "runner" / "say.yaml"
    args = ["replay", str(script), "--target", url, "--secret", SECRET]
    args += ["--line-port", str(line_port), "--admin-token", "nope"]
    assert main(args) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1].endswith("setting the server's clock failed (HTTP 401)")
