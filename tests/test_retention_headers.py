"""Retention of parked events, security headers, the SDK's own output in the JSON log."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import subprocess
import sys

from bot.logs import configure

TYPED = "目黒 花子 東京都目黒区中目黒1-1-1"


async def _park_everything(harness, clock, *events) -> None:
    """LINE refuses every call: each event fails until it is parked."""
    harness.line.fail_next(500, 1000)
    await harness.post(harness.payload(*events))
    await harness.settle()
    for _ in range(8):
        clock.advance(dt.timedelta(minutes=10))
        await harness.bot.dispatcher.sweep_once()
        await harness.settle()


async def test_parked_events_expire_after_a_week_and_keep_no_typed_text(harness, clock):
    text = harness.text("U1", TYPED)
    tap = harness.postback("U2", "reg:confirm:secret-payload", "2022-05-01")
    await _park_everything(harness, clock, text, tap)
    collection = harness.bot.store.db["parked_events"]
    parked = [d async for d in collection.find({})]
    assert len(parked) == 2
    now = dt.datetime.now(dt.UTC)
    for doc in parked:
        kept = repr(doc)
        assert TYPED not in kept and "secret-payload" not in kept and "2022-05-01" not in kept
        assert "replyToken" not in doc["event"]
        # What staff need to diagnose it stays.
        assert doc["event"]["type"] in ("message", "postback")
        assert doc["event"]["webhookEventId"] == doc["_id"]
        assert doc["event"]["source"]["userId"] in ("U1", "U2")
        assert doc["event"]["timestamp"] and doc["received_at"] and doc["dead_at"]
        assert doc["attempts"] == 5 and doc["error"] == "DeliveryError"
        purge_at = doc["purge_at"].replace(tzinfo=dt.UTC)
        assert dt.timedelta(days=6) < purge_at - now <= dt.timedelta(days=7)
    by_type = {d["event"]["type"]: d["event"] for d in parked}
    assert by_type["message"]["message"] == {"type": "text"}
    # What removes them: MongoDB's TTL index, or on the in-memory store the maintenance pass.
    info = await collection.index_information()
    ttl = any(
        i.get("expireAfterSeconds") == 0 and list(i["key"]) == [("purge_at", 1)]
        for i in info.values()
    )
    assert ttl == harness.bot.store.ttl_indexes


async def test_events_and_reminder_claims_past_their_keep_are_deleted(harness):
    """MongoDB's TTL monitor deletes them; the in-memory store has no TTL index (mongomock
    would scan the collection on every access), so its maintenance pass deletes them."""
    db, past = harness.bot.store.db, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    future = past + dt.timedelta(days=7)
    for name in ("parked_events", "reminders"):
        await db[name].insert_many(
            [{"_id": "old", "purge_at": past}, {"_id": "kept", "purge_at": future}, {"_id": "live"}]
        )
    await harness.bot.maintenance.run_once()
    for name in ("parked_events", "reminders"):
        left = sorted(
            [d["_id"] async for d in db[name].find({"_id": {"$in": ["old", "kept", "live"]}})]
        )
        if harness.bot.store.ttl_indexes:
            # the server's TTL monitor deletes "old" when it next runs (every minute)
            assert {"kept", "live"} <= set(left), name
            info = await db[name].index_information()
            assert any(i.get("expireAfterSeconds") == 0 for i in info.values()), name
        else:
            assert left == ["kept", "live"], name


async def _get(harness, path: str, **kw):
    async with harness._session.get(harness.url + path, **kw) as r:
        await r.read()
        return r.status, r.headers


async def test_every_response_carries_the_security_headers(harness):
    host = harness.url.removeprefix("http://")
    responses = [
        await _get(harness, "/healthz"),
        await _get(harness, "/no-such-page"),
        await _get(harness, "/admin/api/nurseries/futaba/registrations"),  # 401
    ]
    async with harness._session.post(harness.url + "/callback", data=b"{}") as r:
        responses.append((r.status, r.headers))  # 400: no signature
    assert [s for s, _ in responses] == [200, 404, 401, 400]
    for _, headers in responses:
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        csp = dict(
            part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";")
        )
        assert csp["default-src"] == "'self'"
        assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
        assert csp["connect-src"] == f"'self' ws://{host} wss://{host}"
        assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
        assert not any(ch.isdigit() for ch in headers["Server"]), headers["Server"]


async def test_a_forged_host_header_does_not_widen_the_policy(harness):
    _, headers = await _get(harness, "/healthz", headers={"Host": "evil.example; script-src *"})
    assert "evil" not in headers["Content-Security-Policy"]
    assert "connect-src 'self';" in headers["Content-Security-Policy"]


async def test_the_sdks_own_log_lines_are_json(harness):
    buf = io.StringIO()
    configure("INFO", stream=buf)
    # line-bot-sdk logs through the stdlib (its REST layer's debug lines, its parser's
    # "Unknown event type"): a line from its logger comes out as JSON like the bot's own.
    logging.getLogger("linebot.v3.webhook").info("Unknown event type. type=somethingNew")
    lines = [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]
    sdk = [x for x in lines if x.get("logger", "").startswith("linebot")]
    assert sdk and sdk[0]["level"] == "info" and "somethingNew" in sdk[0]["event"]
    assert sdk[0]["timestamp"]


def test_python_warnings_are_json_log_lines():
    code = (
        "import warnings\nfrom bot.logs import configure\nconfigure()\n"
        "warnings.warn('an old call', DeprecationWarning, stacklevel=1)\n"
    )
    env = {**os.environ, "PYTHONWARNINGS": "always"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    doc = json.loads(lines[0])
    assert doc["logger"] == "py.warnings" and "an old call" in doc["event"]


async def test_a_failing_part_of_the_maintenance_pass_does_not_stop_the_others(
    harness, monkeypatch
):
    """The store failing during the repair is logged; reminders and the purge still run."""
    from pymongo.errors import AutoReconnect

    maintenance = harness.bot.maintenance
    await maintenance.stop()  # only the pass run here, not the background one
    ran: list[str] = []

    async def down() -> int:
        raise AutoReconnect("store unreachable")

    async def remind() -> None:
        ran.append("reminders")

    async def purge() -> int:
        ran.append("purge")
        return 0

    monkeypatch.setattr(maintenance.ledger, "repair", down)
    monkeypatch.setattr(maintenance.reminders, "run_once", remind)
    monkeypatch.setattr(maintenance.repos, "purge_expired", purge)
    assert await maintenance.run_once() == 0
    assert ran == ["reminders", "purge"]
