"""The one place the console runs staff operations (the same ones the CLI and admin API run).

Operations are named as in the staff CLI (`add-slot`, `set-seats`, ...) and get
their parameters as a mapping; the result is plain JSON data. The actor is the
logged-in account.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.context import BOT
from bot.staff.console.auth import ACCOUNT

# operation -> (staff method, its parameters in order)
_CALLS: dict[str, tuple[str, tuple[str, ...]]] = {
    "slots": ("interview_slots", ("nursery",)),
    "add-slot": ("add_interview_slot", ("nursery", "at", "capacity")),
    "remove-slot": ("remove_interview_slot", ("nursery", "at")),
    "waiting": ("waiting_interviews", ("nursery",)),
    "complete": ("complete_interview", ("nursery", "child", "birth_date")),
    "registrations": ("registrations", ("nursery",)),
    "duplicates": ("duplicates", ("nursery",)),
    "seats": ("day_seats", ("nursery", "date")),
    "set-seats": ("set_capacity", ("nursery", "date", "seats", "hours")),
    "phone-booking": ("phone_booking", ("nursery", "date", "start", "end", "child")),
    "cancel-booking": ("cancel_booking", ("nursery", "child", "date")),
    "roster": ("roster", ("nursery", "date")),
    "export": ("bookings_csv", ("nursery", "first", "last")),
}


async def run(request: web.Request, name: str, params: Mapping[str, Any]) -> Any:
    """Run operation `name` as the logged-in account; StaffError when it cannot be done."""
    assert request[ACCOUNT] is not None
    method, order = _CALLS[name]
    staff = request.app[BOT].staff
    return await getattr(staff, method)(*(params.get(k) for k in order))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


async def export_csv(request: web.Request, params: Mapping[str, Any]) -> str:
    """The bookings export as CSV text whose cells cannot run as spreadsheet formulas."""
    text = await run(request, "export", params)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in csv.reader(io.StringIO(text)):
        writer.writerow([_cell(c) for c in row])
    return out.getvalue()
