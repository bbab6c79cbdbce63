"""`/metrics`: a scrape, read with prometheus_client's own parser, moves with real events."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import aiohttp
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.app import build, create_app
from bot.context import Settings
from storage.inbox import Queued
from storage.mongo import connect
from tests.test_booking import book, cleared

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def scrape(harness, headers: dict[str, str] | None = None) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(harness.url + "/metrics", headers=headers) as r,
    ):
        return r.status, await r.text()


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


async def test_a_scrape_counts_events_bookings_line_calls_and_the_queue(harness, clock):
    status, text = await scrape(harness)
    assert status == 200
    before = parse(text)

    await cleared(harness.bot, "Umetrics")
    said = await book(harness, "Umetrics", "目黒 太郎/双葉の園保育園", "4/23(火)")
    assert any("予約が完了しました" in t for t in said)
    await harness.say("Umetrics", "予約を取り消す")
    await harness.say("Umetrics", "キャンセル")
    await harness.say("Umetrics", "はい")
    harness.line.fail_next(503, 4)  # LINE down for one event's every attempt
    await harness.say("Umetrics", "メニュー")
    # an event queued for a user another worker holds, waiting 90 s
    other = Queued("queued-1", "Uother", "0", {"timestamp": 0}, clock.now())
    await harness.bot.repos.leases.offer(
        "Uother", [other], "another-worker", clock.now(), dt.timedelta(minutes=5)
    )
    clock.advance(dt.timedelta(seconds=90))

    status, text = await scrape(harness)
    after = parse(text)
    assert moved(before, after, "hoiku_events_received_total") == 11
    assert moved(before, after, "hoiku_events_handled_total") == 10
    assert moved(before, after, "hoiku_events_retried_total") == 1
    assert moved(before, after, "hoiku_event_handling_seconds_count") == 10
    assert moved(before, after, "hoiku_bookings_total", nursery="futaba", source="line") == 1
    assert moved(before, after, "hoiku_cancellations_total", nursery="futaba", by="parent") == 1
    assert moved(before, after, "hoiku_line_api_calls_total", endpoint="reply", status="200") == 10
    assert moved(before, after, "hoiku_line_api_calls_total", endpoint="reply", status="503") == 4
    assert moved(before, after, "hoiku_line_api_calls_total", endpoint="loading", status="200") == 2
    # the failed event is queued again (a retry is due), with the one nobody handles yet
    assert after[("hoiku_inbox_events", (("status", "pending"),))] == 2
    assert after[("hoiku_inbox_oldest_pending_seconds", ())] == 90


async def test_reminders_and_repairs_are_counted(harness, clock):
    from tests.test_reminders import NOON
    from tests.test_reminders import book as book_on_monday

    before = parse((await scrape(harness))[1])
    await book_on_monday(harness, "Uremind", "目黒 太郎")
    clock.set(NOON)
    await harness.tick()
    after = parse((await scrape(harness))[1])
    labels = {"kind": "childcare", "result": "sent", "nursery": "futaba"}
    assert moved(before, after, "hoiku_reminders_total", **labels) == 1
    assert moved(before, after, "hoiku_line_api_calls_total", endpoint="push", status="200") == 1


async def test_only_allowed_addresses_or_the_token_may_read(config):
    settings = Settings(metrics_allow="10.0.0.0/8", metrics_token="s3cret-token")
    app = create_app(build(settings, config=config, store=connect(None)))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        assert (await client.get("/metrics")).status == 403
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer guess"})
        assert wrong.status == 403
        ok = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status == 200
        assert "hoiku_events_received_total" in await ok.text()
    settings = Settings(metrics_allow="127.0.0.0/8")
    app = create_app(build(settings, config=config, store=connect(None)))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        assert (await client.get("/metrics")).status == 200


def test_several_workers_add_up(tmp_path):
    """prometheus-client's multiprocess mode, as scripts/web sets it up for gunicorn."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = (
        "from bot import metrics; metrics.EVENTS_RECEIVED.inc({n}); "
        "metrics.tally('booking', nursery='futaba', source='line')"
    )
    for n in (3, 4):
        subprocess.run([sys.executable, "-c", count.format(n=n)], env=env, check=True)
    out = subprocess.run(
        [sys.executable, "-c", "from bot import metrics; print(metrics.render([]).decode())"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    samples = parse(out)
    assert samples[("hoiku_events_received_total", ())] == 7
    assert samples[("hoiku_bookings_total", (("nursery", "futaba"), ("source", "line")))] == 2
