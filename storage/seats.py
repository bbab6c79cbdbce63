"""Placeholder: filled in by its issue."""

from __future__ import annotations

from storage.mongo import Database


class Seats:
    def __init__(self, db: Database) -> None:
        self._db = db
