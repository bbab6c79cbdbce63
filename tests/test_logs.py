"""Logs are JSON lines with ids and timings, never personal data or typed text."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bot.logs import configure, user_hash

ROOT = Path(__file__).resolve().parents[1]


async def test_logs_carry_ids_but_no_typed_text_or_user_id(harness):
    buf = io.StringIO()
    configure("DEBUG", stream=buf)
    try:
        secret_text = "目黒 花子 東京都目黒区中目黒1-1-1 03-1234-5678 2022-05-01"
        await harness.say("U-private-1", secret_text)
    finally:
        configure("INFO")
    lines = [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]
    handled = [x for x in lines if x["event"] == "event_handled"]
    assert handled and handled[0]["user"] == user_hash("U-private-1")
    assert "handle_ms" in handled[0] and handled[0]["event_id"]
    text = buf.getvalue()
    for needle in ("目黒 花子", "中目黒", "03-1234-5678", "2022-05-01", "U-private-1"):
        assert needle not in text


def test_first_readme_command_starts_on_memory_and_says_so():
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "LINE_CHANNEL_SECRET")}
    env["PORT"] = "0"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        started = None
        while time.monotonic() < deadline and started is None:
            line = proc.stderr.readline()
            if not line:
                break
            if line.startswith("{"):
                doc = json.loads(line)
                if doc.get("event") == "bot_started":
                    started = doc
        assert started is not None, "no bot_started log line"
        assert started["store"] == "memory"
        assert "in memory" in started["note"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
