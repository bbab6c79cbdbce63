"""The one module that imports motor: MongoDB for the repositories.

Motor is deprecated; moving to PyMongo's `AsyncMongoClient` is a change to this module
(its `close` is a coroutine there). Without MONGODB_URI the bot runs on the embedded
in-memory store, storage/memory.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import parse_qsl, urlsplit

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError

__all__ = [
    "AFTER",
    "ASCENDING",
    "BEFORE",
    "DESCENDING",
    "Database",
    "DuplicateKeyError",
    "IndexModel",
    "Store",
    "StoreUnavailable",
    "StoreUnreachable",
    "connect",
    "create_indexes",
]

AFTER = ReturnDocument.AFTER
BEFORE = ReturnDocument.BEFORE
if TYPE_CHECKING:
    Database: TypeAlias = AsyncIOMotorDatabase[dict[str, Any]]
else:
    Database = AsyncIOMotorDatabase
StoreUnavailable = PyMongoError  # any driver failure: connection lost, timeout, ...
StoreUnreachable = ConnectionFailure  # no server answered (not a refused command)


@dataclass
class Store:
    """A connected database and what kind it is (`memory` or `mongodb`)."""

    client: Any
    db: Any
    kind: str
    ttl_indexes: bool = True  # False: expired documents are deleted by the maintenance pass

    def close(self) -> None:
        self.client.close()


def connect(uri: str | None, db_name: str = "ichiji_hoiku", timeout_ms: int = 5000) -> Store:
    """MongoDB at `uri`; without one, the embedded in-memory store (storage/memory.py)."""
    if not uri:
        # imported here only: a server process on MongoDB never loads mongomock (start-up cost)
        from storage.memory import memory_client

        client: Any = memory_client()
        # mongomock checks each TTL index by scanning its collection on every access
        return Store(client, client[db_name], "memory", ttl_indexes=False)
    timeouts = {
        "serverSelectionTimeoutMS": timeout_ms,
        "connectTimeoutMS": timeout_ms,
        "socketTimeoutMS": timeout_ms * 2,
    }
    given = {key.lower() for key, _ in parse_qsl(urlsplit(uri).query)}
    # a timeout the URI names is the operator's (the driver lets keywords override it)
    mine: dict[str, Any] = {k: ms for k, ms in timeouts.items() if k.lower() not in given}
    client = AsyncIOMotorClient(uri, tz_aware=True, retryWrites=True, **mine)
    return Store(client, client.get_default_database(db_name), "mongodb")


async def create_indexes(collection: Any, models: list[IndexModel]) -> None:
    """A collection's indexes in one command (the server builds them together, and a start-up
    costs one round trip per collection); none when there are none."""
    if models:
        await collection.create_indexes(models)
