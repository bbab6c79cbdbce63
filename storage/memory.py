"""The embedded in-memory store: mongomock-motor, the same queries as MongoDB, held in this
process's memory and lost when it exits. Used when MONGODB_URI is not set (development, the
demo, tests); the start-up log says so. Several processes cannot share it.

mongomock is used as published: it answers each query by testing every document of the
collection and has no indexes, so it suits a development store and the test suite's
volumes (a test of 500 parents takes a couple of minutes), not a city's load. It also
checks every TTL index by scanning the collection on each access, so this store gets
none: `connect` marks it (`Store.ttl_indexes`), and the maintenance pass deletes what
expired instead (`Repos.purge_expired`).
"""

from __future__ import annotations

from typing import Any

from mongomock_motor import AsyncMongoMockClient


def memory_client() -> Any:
    """A fresh in-memory client (timezone-aware datetimes, as the MongoDB client is set up)."""
    return AsyncMongoMockClient(tz_aware=True)
