"""Errors staff operations report to the person who asked (admin API, CLI, replay)."""

from __future__ import annotations


class StaffError(Exception):
    """A staff request that cannot be done; the message says why, in plain words."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
