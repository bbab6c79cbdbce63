"""The operation log: every change staff make, from any surface (admin API, CLI, web console).

One document per change: when, who (the kind of credential, a name that is not a
secret, its scope), the operation, the nursery, its parameters and what it changed
(before and after, as the staff services described them). Kept in MongoDB for the
city's records; it holds the names staff typed, so it is read only by city staff.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from storage.mongo import DESCENDING, Database, IndexModel, create_indexes


class AuditEntry(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(alias="_id")
    at: dt.datetime
    actor_kind: str  # token, account, cli, replay, demo
    actor: str  # a token's hash prefix, an account's login, the OS user of the CLI
    scope: str  # `city` or the nursery id the actor may act on
    operation: str
    nursery: str | None = None
    params: dict[str, Any] = {}
    before: Any = None
    after: Any = None


class AuditLog:
    def __init__(self, db: Database) -> None:
        self._c = db["audit_log"]

    async def ensure_indexes(self) -> None:
        await create_indexes(
            self._c,
            [
                IndexModel([("at", DESCENDING)]),
                IndexModel([("nursery", 1), ("at", DESCENDING)]),
            ],
        )

    async def record(self, entry: AuditEntry) -> None:
        await self._c.insert_one(entry.model_dump(by_alias=True))

    async def recent(
        self,
        *,
        nursery: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        limit: int = 200,
    ) -> list[AuditEntry]:
        """Newest first; `since` inclusive, `until` exclusive."""
        query: dict[str, Any] = {}
        if nursery:
            query["nursery"] = nursery
        when: dict[str, dt.datetime] = {}
        if since:
            when["$gte"] = since
        if until:
            when["$lt"] = until
        if when:
            query["at"] = when
        cur = self._c.find(query).sort("at", DESCENDING).limit(limit)
        return [AuditEntry.model_validate(d) async for d in cur]
