"""Why a staff request cannot be done: a kind the surfaces map (HTTP status, CLI exit, page
message) and a reason in plain words."""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    INVALID = "invalid"  # the request itself is wrong (a date in the past, a bad number)
    NOT_FOUND = "not_found"  # what it names does not exist
    CONFLICT = "conflict"  # the data does not allow it now (booked, already cleared)
    FORBIDDEN = "forbidden"  # the person asking may not act on it


class StaffError(Exception):
    """A staff request that cannot be done; the message says why, in plain words.

    `worded`: the message is the catalogue's, in staff's own words (config.yaml `staff.
    messages`), so every surface shows it as it is."""

    kind: ErrorKind = ErrorKind.INVALID

    def __init__(
        self, message: str, kind: ErrorKind | None = None, *, worded: bool = False
    ) -> None:
        super().__init__(message)
        self.worded = worded
        if kind is not None:
            self.kind = kind


class Invalid(StaffError):
    kind = ErrorKind.INVALID


class NotFound(StaffError):
    kind = ErrorKind.NOT_FOUND


class Conflict(StaffError):
    kind = ErrorKind.CONFLICT


class Forbidden(StaffError):
    kind = ErrorKind.FORBIDDEN
