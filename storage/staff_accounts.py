"""Staff console accounts: login name, scope and an argon2 password hash.

A scope is a nursery's config id (that nursery's staff) or `city` (every nursery,
accounts and the operation log). Only the argon2id hash of a password is kept.
`epoch` grows when an account is disabled or its password set, and a console session
made under an older epoch is no longer accepted. Failed logins are counted apart, per
account and address (storage/login_attempts.py).
"""

from __future__ import annotations

import datetime as dt
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field

from storage.mongo import AFTER, Database, DuplicateKeyError, IndexModel, create_indexes

MIN_PASSWORD = 10  # characters, for a password a person chooses
LOGIN_MAX = 32
LOGIN = re.compile(rf"[a-z0-9][a-z0-9._-]{{2,{LOGIN_MAX - 1}}}")  # a login ID, as staff create one


class Passwords:
    """Hashes and checks passwords with one argon2id hasher.

    The default is the library's recommended profile; a test harness passes a cheap one
    (`argon2.profiles.CHEAPEST`), as the clock and IDs are injected. A stored hash carries
    its own parameters, so checking costs what hashing it cost.
    """

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def matches(self, stored: str | None, password: str) -> bool:
        """Whether `password` matches the stored hash (slow on purpose: call it off the
        loop). An unknown login is checked against a dummy hash, so that case takes as long
        as a wrong password."""
        if self._dummy is None:
            self._dummy = self._hasher.hash("not a password of anyone")
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False


class AccountDoc(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(alias="_id")  # the login name
    scope: str  # a nursery id, or "city"
    name: str = ""  # shown in the console and the operation log
    password_hash: str
    disabled: bool = False
    epoch: int = 0
    created_at: dt.datetime
    must_change: bool = False  # a one-time password: a new one is chosen at the next login


class StaffAccounts:
    def __init__(self, db: Database, passwords: Passwords | None = None) -> None:
        self._c = db["staff_accounts"]
        self.passwords = passwords or Passwords()

    async def ensure_indexes(self) -> None:
        await create_indexes(self._c, [IndexModel("scope")])

    async def add(
        self,
        login: str,
        scope: str,
        name: str,
        password: str,
        now: dt.datetime,
        must_change: bool = False,
    ) -> AccountDoc | None:
        """A new account; None if the login name is taken."""
        doc = AccountDoc(
            id=login,
            scope=scope,
            name=name,
            password_hash=self.passwords.hash(password),
            created_at=now,
            must_change=must_change,
        )
        try:
            await self._c.insert_one(doc.model_dump(by_alias=True))
        except DuplicateKeyError:
            return None
        return doc

    async def get(self, login: str) -> AccountDoc | None:
        raw = await self._c.find_one({"_id": login})
        return AccountDoc.model_validate(raw) if raw else None

    async def all(self) -> list[AccountDoc]:
        cur = self._c.find({}).sort([("scope", 1), ("_id", 1)])
        return [AccountDoc.model_validate(d) async for d in cur]

    async def set_disabled(self, login: str, disabled: bool) -> AccountDoc | None:
        update: dict[str, object] = {"$set": {"disabled": disabled}}
        if disabled:
            update["$inc"] = {"epoch": 1}  # sessions already open end too
        raw = await self._c.find_one_and_update({"_id": login}, update, return_document=AFTER)
        return AccountDoc.model_validate(raw) if raw else None

    async def set_password(
        self, login: str, password: str, must_change: bool = False
    ) -> AccountDoc | None:
        """A new password (`must_change`: a one-time one); sessions open with the old end."""
        raw = await self._c.find_one_and_update(
            {"_id": login},
            {
                "$set": {
                    "password_hash": self.passwords.hash(password),
                    "must_change": must_change,
                },
                "$inc": {"epoch": 1},
            },
            return_document=AFTER,
        )
        return AccountDoc.model_validate(raw) if raw else None
