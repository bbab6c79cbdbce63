"""Configuration mistakes stop start-up with one line: admin tokens, the web process's store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from bot.app import build
from bot.cli import main
from bot.context import Settings
from domain.config import ConfigError
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
GOOD = "x" * 32
SECRET_LOOKING = "short-secret-word"


@pytest.mark.parametrize(
    ("entries", "says"),
    [
        (["futaba:"], "ADMIN_TOKENS entry 1 (futaba): the token after ':' is missing"),
        (
            [f"city:{GOOD}", SECRET_LOOKING],
            "entry 2 (no scope: a city token): the token is shorter",
        ),
        ([f"futabaa:{GOOD}"], "entry 1 (futabaa): no nursery has this id"),
        ([f":{GOOD}"], "entry 1 (no scope): the scope before ':' is missing"),
        ([f"kuwanomi:{'y' * 31}"], "entry 1 (kuwanomi): the token is shorter than 32"),
        ([f"city:{GOOD}", f"futaba:{GOOD}"], "entry 2 (futaba): the same token as entry 1"),
    ],
)
def test_malformed_admin_tokens_stop_the_build(config, entries, says):
    with pytest.raises(ConfigError) as e:
        build(Settings(admin_tokens=entries), config=config)
    line = str(e.value)
    assert says in line
    assert "\n" not in line
    assert SECRET_LOOKING not in line and "y" * 31 not in line and GOOD not in line


def test_well_formed_admin_tokens_start(config):
    tokens = [f"city:{GOOD}", f"futaba:{'f' * 40}", "b" * 43]
    assert build(Settings(admin_tokens=tokens), config=config).settings.admin_tokens == tokens


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("LINE_TIMEOUT_SECONDS", "5s", "LINE_TIMEOUT_SECONDS must be a number above 0, not '5s'"),
        ("LINE_TIMEOUT_SECONDS", "-1", "LINE_TIMEOUT_SECONDS must be a number above 0"),
        ("LINE_TIMEOUT_SECONDS", "nan", "LINE_TIMEOUT_SECONDS must be a number above 0"),
        ("TRUSTED_PROXY_HOPS", "two", "TRUSTED_PROXY_HOPS must be a whole number, 0 or more"),
        ("TRUSTED_PROXY_HOPS", "-1", "TRUSTED_PROXY_HOPS must be a whole number, 0 or more"),
    ],
)
def test_a_malformed_number_setting_stops_start_up_naming_it(
    monkeypatch, capsys, name, value, says
):
    monkeypatch.delenv("MONGODB_URI", raising=False)
    monkeypatch.setenv(name, value)
    assert main(["preflight"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("configuration error: ") and says in line


def test_number_settings_read_as_numbers(monkeypatch):
    monkeypatch.setenv("LINE_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "2")
    settings = Settings.from_env()
    assert (settings.line_timeout, settings.proxy_hops) == (2.5, 2)


def test_the_command_line_prints_one_line_naming_the_entry(monkeypatch, capsys):
    monkeypatch.delenv("MONGODB_URI", raising=False)
    monkeypatch.setenv("ADMIN_TOKENS", f"city:{GOOD},angelica:")
    assert main(["staff", "tokens"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "configuration error: ADMIN_TOKENS entry 2 (angelica): the token after ':' is missing"
    ]


def _web(**env: str) -> tuple[subprocess.Popen[str], str]:
    """The Procfile's web process (scripts/web: gunicorn) with `env` on top of a bare one."""
    port = free_port()
    base = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "ADMIN_TOKENS")}
    base["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{base.get('PATH', '')}"
    base.update(PORT=str(port), LOG_LEVEL="WARNING", WEB_CONCURRENCY="1", **env)
    proc = subprocess.Popen(
        ["bash", "scripts/web"],
        cwd=ROOT,
        env=base,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    return proc, f"http://127.0.0.1:{port}"


def _stops(proc: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=10)
        pytest.fail("the web process kept running")
    return proc.returncode, err


def test_the_web_process_refuses_the_in_memory_store():
    code, err = _stops(_web()[0])
    assert code != 0
    lines = [x for x in err.splitlines() if x.startswith("configuration error:")]
    assert lines == [
        "configuration error: MONGODB_URI is not set: the web process would keep every "
        "registration and booking in memory and lose them on exit (set BOT_ALLOW_MEMORY_STORE=1 "
        "to run so anyway)"
    ]


def test_the_web_process_stops_on_a_bad_admin_token_instead_of_restarting():
    code, err = _stops(_web(BOT_ALLOW_MEMORY_STORE="1", ADMIN_TOKENS=SECRET_LOOKING)[0])
    assert code != 0
    assert err.count("configuration error: ADMIN_TOKENS entry 1 (no scope: a city token)") == 1
    assert SECRET_LOOKING not in err


def test_the_web_process_runs_on_memory_when_the_operator_allows_it():
    """…and says at start what is left before going live (the preflight's findings)."""
    proc, url = _web(BOT_ALLOW_MEMORY_STORE="1")
    out = ""
    try:
        deadline = time.monotonic() + 90  # start-up takes seconds on a busy machine
        body = b""
        while not body and time.monotonic() < deadline:
            try:
                body = urllib.request.urlopen(url + "/healthz", timeout=1).read()
            except OSError:
                assert proc.poll() is None, proc.communicate()[1]
                time.sleep(0.05)
        assert b'"store": "memory"' in body
        time.sleep(1)  # the preflight runs in the background
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out = "".join(proc.communicate(timeout=30))
    findings = [json.loads(x) for x in out.splitlines() if '"preflight_finding"' in x]
    assert all(f["level"] == "warning" for f in findings)
    keys = {f["key"] for f in findings}
    assert {"MONGODB_URI", "STAFF_SESSION_KEY", "LINE_CHANNEL_SECRET"} <= keys
    assert {"BOT_ALLOW_MEMORY_STORE", "nurseries.futaba.phone", "forms_url"} <= keys
    assert "03-0000-0001" not in out and "双葉の園保育園" not in out  # keys only, no sentences
