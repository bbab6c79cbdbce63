"""The one module that imports motor.

Motor is deprecated (critical fixes until 2027-05-14); moving to PyMongo's
`AsyncMongoClient` is a change to this module alone. Without MONGODB_URI the
bot runs on mongomock-motor: the same queries, held in this process's memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

__all__ = [
    "AFTER",
    "ASCENDING",
    "Database",
    "DuplicateKeyError",
    "Store",
    "StoreUnavailable",
    "connect",
]

AFTER = ReturnDocument.AFTER
Database = AsyncIOMotorDatabase
StoreUnavailable = PyMongoError  # any driver failure: connection lost, timeout, ...


@dataclass
class Store:
    """A connected database and what kind it is (`memory` or `mongodb`)."""

    client: Any
    db: Any
    kind: str

    def close(self) -> None:
        self.client.close()


def connect(uri: str | None, db_name: str = "ichiji_hoiku", timeout_ms: int = 5000) -> Store:
    if not uri:
        _speed_up_mongomock()
        from mongomock_motor import AsyncMongoMockClient

        client: Any = AsyncMongoMockClient(tz_aware=True)
        return Store(client, client[db_name], "memory")
    client = AsyncIOMotorClient(
        uri,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=timeout_ms * 2,
        retryWrites=True,
    )
    return Store(client, client.get_default_database(db_name), "mongodb")


_TTL_EVERY = 1.0  # seconds between TTL sweeps of one in-memory collection (MongoDB: 60)


def _speed_up_mongomock() -> None:
    """Two shortcuts for the in-memory store, same results, far less work per query.

    mongomock answers every query by testing every document of the collection, and
    checks each TTL index on every access by scanning the collection too. A query
    with a plain `_id` equality can only match that one document, so it is looked up
    directly (the rest of the filter is still applied); TTL expiry runs at most once
    a second per collection, as MongoDB's own TTL monitor runs once a minute.
    """
    import time

    from mongomock import filtering
    from mongomock.collection import Collection
    from mongomock.store import CollectionStore

    if getattr(Collection, "_bot_fast_ids", False):
        return
    scan = Collection._iter_documents
    expire = CollectionStore._remove_expired_documents

    def iter_documents(self: Any, filter: Any) -> Any:
        key = filter.get("_id") if isinstance(filter, dict) else None
        if isinstance(key, str | int) and not isinstance(key, bool):
            self._store._remove_expired_documents()
            doc = self._store._documents.get(key)
            if doc is None or not filtering.filter_applies(filter, doc):
                return iter(())
            return iter((doc,))
        return scan(self, filter)

    def remove_expired(self: Any) -> None:
        if not self._ttl_indexes:
            return
        now = time.monotonic()
        if now - getattr(self, "_bot_ttl_at", -_TTL_EVERY) >= _TTL_EVERY:
            self._bot_ttl_at = now
            expire(self)

    Collection._iter_documents = iter_documents  # type: ignore[method-assign]
    CollectionStore._remove_expired_documents = remove_expired  # type: ignore[method-assign]
    Collection._bot_fast_ids = True  # type: ignore[attr-defined]
