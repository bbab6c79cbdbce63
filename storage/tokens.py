"""Staff API tokens: only a SHA-256 hash of each token is stored, with its scope.

A scope is a nursery's config id, or `city` for every nursery. Tokens are long
random strings, so a plain (unsalted) hash is enough to make a leaked database
useless for signing in, and lets a token be found by its hash in one lookup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from pydantic import BaseModel, ConfigDict, Field

from storage.mongo import Database, IndexModel, create_indexes

CITY = "city"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh random token (about 256 bits), shown once to whoever created it."""
    return secrets.token_urlsafe(32)


class TokenDoc(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(alias="_id")  # the token's hash
    scope: str
    created_at: dt.datetime

    def short(self) -> str:
        """The first characters of the hash: enough for staff to name a token to revoke."""
        return self.id[:12]


class StaffTokens:
    def __init__(self, db: Database) -> None:
        self._c = db["staff_tokens"]

    async def ensure_indexes(self) -> None:
        await create_indexes(self._c, [IndexModel("scope")])

    async def create(self, scope: str, now: dt.datetime) -> str:
        """Store a new token for `scope`; returns the token itself (not kept anywhere)."""
        token = new_token()
        await self._c.insert_one({"_id": token_hash(token), "scope": scope, "created_at": now})
        return token

    async def scope_of(self, token: str) -> str | None:
        raw = await self._c.find_one({"_id": token_hash(token)})
        return str(raw["scope"]) if raw else None

    async def all(self) -> list[TokenDoc]:
        cur = self._c.find({}).sort("created_at", 1)
        return [TokenDoc.model_validate(d) async for d in cur]

    async def matching(self, prefix: str) -> list[TokenDoc]:
        """Tokens whose hash starts with `prefix` (as `short()` shows it)."""
        prefix = prefix.strip().lower()
        return [d for d in await self.all() if prefix and d.id.startswith(prefix)]

    async def delete(self, hashed: str) -> bool:
        res = await self._c.delete_one({"_id": hashed})
        return res.deleted_count == 1
