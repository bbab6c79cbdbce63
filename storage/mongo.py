"""The one module that imports motor.

Motor is deprecated (critical fixes until 2027-05-14); moving to PyMongo's
`AsyncMongoClient` is a change to this module alone. Without MONGODB_URI the
bot runs on mongomock-motor: the same queries, held in this process's memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

__all__ = [
    "AFTER",
    "ASCENDING",
    "DESCENDING",
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
        try:
            _speed_up_mongomock()
        except (ImportError, AttributeError) as e:  # mongomock's internals moved: run unpatched
            structlog.get_logger("storage.mongo").warning(
                "memory_store_shortcuts_off", error=type(e).__name__
            )
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
    """Shortcuts for the in-memory store: the same results, far less work per query.

    mongomock answers every query by testing every document of the collection, and
    checks each TTL index on every access by scanning the collection too. A query
    with a plain `_id` equality can only match that one document, so it is looked up
    directly (the rest of the filter is still applied); TTL expiry runs at most once
    a second per collection, as MongoDB's own TTL monitor runs once a minute. Other
    queries skip, before the full filter, documents a plain string field already rules
    out (`_quick_checks`). And mongomock copies every document it reads or writes with
    `copy.deepcopy`: documents are plain dicts, lists and immutable values, which a
    direct walk copies several times faster.
    """
    import sys
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
        quick = _quick_checks(filter) if isinstance(filter, dict) else []
        if not quick:
            return scan(self, filter)
        self._store._remove_expired_documents()
        docs = [d for d in self._store._documents.values() if all(q(d) for q in quick)]
        return (d for d in docs if filtering.filter_applies(filter, d))

    def remove_expired(self: Any) -> None:
        if not self._ttl_indexes:
            return
        now = time.monotonic()
        if now - getattr(self, "_bot_ttl_at", -_TTL_EVERY) >= _TTL_EVERY:
            self._bot_ttl_at = now
            expire(self)

    import copy
    import datetime as dt
    import types

    from bson import ObjectId

    immutable = (str, int, float, bool, type(None), bytes, dt.datetime, ObjectId)

    def fast_deepcopy(value: Any, memo: Any = None) -> Any:
        kind = type(value)
        if kind is dict:
            return {k: fast_deepcopy(v) for k, v in value.items()}
        if kind is list:
            return [fast_deepcopy(v) for v in value]
        if kind in immutable:
            return value
        return copy.deepcopy(value, memo)

    def fast_copy(value: Any) -> Any:
        return value if type(value) in immutable else copy.copy(value)

    collection_module = sys.modules[Collection.__module__]
    collection_module.copy = types.SimpleNamespace(  # type: ignore[attr-defined]
        deepcopy=fast_deepcopy, copy=fast_copy
    )
    Collection._iter_documents = iter_documents  # type: ignore[method-assign]
    CollectionStore._remove_expired_documents = remove_expired  # type: ignore[method-assign]
    Collection._bot_fast_ids = True  # type: ignore[attr-defined]
    Collection._bot_scan = scan  # type: ignore[attr-defined]  # mongomock's own, for tests


def _quick_checks(filter: dict[str, Any]) -> list[Any]:
    """Cheap tests that rule documents out before mongomock's full filter: a top-level
    field compared with a string, or `$in` a list of strings (also within each branch of a
    top-level `$or`). A document whose value there is an array is left to the full filter
    (an array matches by its elements)."""
    checks = []
    for field, want in filter.items():
        if field == "$or" and isinstance(want, list) and want:
            branches = [_quick_checks(b) if isinstance(b, dict) else [] for b in want]
            if all(branches):
                checks.append(_any_of(branches))
            continue
        if field.startswith("$") or "." in field:
            continue
        if type(want) is str:
            checks.append(_equals(field, want))
        elif type(want) is dict and list(want) == ["$in"]:
            values = want["$in"]
            if isinstance(values, list) and all(type(v) is str for v in values):
                checks.append(_one_of(field, frozenset(values)))
    return checks


def _equals(field: str, want: str) -> Any:
    def check(doc: dict[str, Any]) -> bool:
        value = doc.get(field)
        return value == want or type(value) is list

    return check


def _one_of(field: str, allowed: frozenset[str]) -> Any:
    def check(doc: dict[str, Any]) -> bool:
        value = doc.get(field)
        return type(value) is list or (type(value) is str and value in allowed)

    return check


def _any_of(branches: list[list[Any]]) -> Any:
    def check(doc: dict[str, Any]) -> bool:
        return any(all(q(doc) for q in branch) for branch in branches)

    return check
