"""Prometheus metrics: what the bot counts, and `GET /metrics` to read them.

Counters and the latency histogram live in this process (prometheus-client);
with several gunicorn workers, `PROMETHEUS_MULTIPROC_DIR` (set by scripts/web
before the workers start) makes every worker write them to files there, and a
scrape of any worker adds up all of them. What the database knows (events
waiting in the inbox, the oldest one's age, events parked) is read at scrape
time instead, so it is right whichever worker answers.

A scrape answers even while the database does not: those reads are bounded by
STORE_READ_TIMEOUT, and when they fail or run out of time their gauges are left
out of that scrape, the in-process counters still come out (the LINE-error
alerts keep working), and `hoiku_store_up` is 0.

`/metrics` answers only a request from `METRICS_ALLOW` (address ranges, default
loopback) or one carrying `Authorization: Bearer $METRICS_TOKEN`.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import os
from collections.abc import Iterable
from typing import Any

import structlog
from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric

from storage.mongo import StoreUnavailable

log = structlog.get_logger(__name__)

PREFIX = "hoiku"
# How long a scrape waits for the database: well within Prometheus' own scrape timeout
# (10 s by default), so a hung database costs the store gauges, not the whole scrape.
STORE_READ_TIMEOUT = 2.0  # seconds

EVENTS_RECEIVED = Counter(f"{PREFIX}_events_received", "Webhook events stored (redeliveries not)")
EVENTS_HANDLED = Counter(f"{PREFIX}_events_handled", "Events handled to the end")
EVENTS_RETRIED = Counter(f"{PREFIX}_events_retried", "Event attempts that failed, to be retried")
EVENTS_PARKED = Counter(f"{PREFIX}_events_parked", "Events parked as dead after their attempts")
HANDLING = Histogram(
    f"{PREFIX}_event_handling_seconds",
    "Time to handle one event (flows, store, replies to LINE)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
LINE_CALLS = Counter(
    f"{PREFIX}_line_api_calls", "Calls to LINE's API by endpoint and answer", ["endpoint", "status"]
)
BOOKINGS = Counter(f"{PREFIX}_bookings", "Childcare bookings made", ["nursery", "source"])
CANCELLATIONS = Counter(f"{PREFIX}_cancellations", "Bookings cancelled", ["nursery", "by"])
REPAIRS = Counter(f"{PREFIX}_repairs", "Bookings a crash left half-way, settled", ["outcome"])
REMINDERS = Counter(
    f"{PREFIX}_reminders", "Reminders by kind and result", ["kind", "result", "nursery"]
)

_TALLIES = {
    "booking": BOOKINGS,
    "cancellation": CANCELLATIONS,
    "repair": REPAIRS,
    "reminder": REMINDERS,
}


def tally(event: str, **labels: str) -> None:
    """The domain's events (`Services.tally`), counted."""
    counter = _TALLIES.get(event)
    if counter is not None:
        counter.labels(**labels).inc()


_line_children: dict[tuple[str, int | str], Any] = {}


def line_call(endpoint: str, status: int | str) -> None:
    """One call to LINE answered `status` (on every reply and push: the labelled child is
    looked up once per pair, not per call)."""
    child = _line_children.get((endpoint, status))
    if child is None:
        child = _line_children[(endpoint, status)] = LINE_CALLS.labels(endpoint, str(status))
    child.inc()


# -- the scrape ----------------------------------------------------------------------------
class _Families:
    """A collector handing out metric families read beforehand."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self.families


async def _inbox_families(bot: Any) -> list[Metric]:
    """The gauges read from the database: the inbox's depth and its oldest event's age."""
    repos, now = bot.repos, bot.services.clock.now()
    waiting, oldest = await repos.leases.waiting()
    depth = GaugeMetricFamily(
        f"{PREFIX}_inbox_events", "Events queued (pending) and parked (dead)", labels=["status"]
    )
    depth.add_metric(["pending"], waiting)
    depth.add_metric(["dead"], await repos.parked.count())
    age = GaugeMetricFamily(
        f"{PREFIX}_inbox_oldest_pending_seconds",
        "Age of the longest-waiting queued event (0 when none waits)",
    )
    age.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
    return [depth, age]


async def _store_families(bot: Any) -> list[Metric]:
    """The database's gauges and `hoiku_store_up`; only the latter when the database fails
    or does not answer within STORE_READ_TIMEOUT."""
    up = GaugeMetricFamily(
        f"{PREFIX}_store_up", "Whether the database answered this scrape's reads in time (1/0)"
    )
    try:
        families = await asyncio.wait_for(_inbox_families(bot), STORE_READ_TIMEOUT)
    except (StoreUnavailable, TimeoutError) as e:
        log.warning("metrics_store_unavailable", error=type(e).__name__)
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    return [*families, up]


def render(extra: list[Metric]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Families(REGISTRY.collect()))
    registry.register(_Families(extra))
    return generate_latest(registry)


# -- who may read it -----------------------------------------------------------------------
def networks(spec: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """`10.0.0.0/8,127.0.0.1/32` -> networks; a bad entry stops start-up with its text."""
    out = []
    for part in (p.strip() for p in spec.split(",")):
        if part:
            try:
                out.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(f"METRICS_ALLOW: {part!r} is not an address range") from None
    return out


def allowed(request: web.Request, nets: list[Any], token: str) -> bool:
    auth = request.headers.get("Authorization", "")
    given = auth.removeprefix("Bearer ").encode()
    if token and auth.startswith("Bearer ") and hmac.compare_digest(given, token.encode()):
        return True
    try:
        addr = ipaddress.ip_address(request.remote or "")
    except ValueError:
        return False
    return any(addr in net for net in nets)


def add_metrics_route(app: web.Application, bot: Any) -> None:
    nets = networks(bot.settings.metrics_allow)
    token = bot.settings.metrics_token

    async def metrics(request: web.Request) -> web.Response:
        if not allowed(request, nets, token):
            return web.Response(status=403, text="metrics are not served to this address")
        body = render(await _store_families(bot))
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/metrics", metrics)
