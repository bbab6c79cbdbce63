"""A staff operation's refusal, told to staff in Japanese (with the numbers that explain it).

The staff services give their reasons in plain English for the CLI and the admin
API; the console says the same in the catalogue's words, keyed by the operation
and the kind of refusal, and looks up what it needs to explain (which hour is
booked beyond the new seats, for instance).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.staff.console import ops
from bot.staff.console.forms import Refused
from bot.staff.console.notices import messages
from domain.errors import StaffError

_KIND_OF_STATUS = {400: "invalid", 403: "forbidden", 404: "not_found", 409: "conflict"}


def kind(err: StaffError) -> str:
    found = getattr(err, "kind", None)
    if found is not None:
        return str(found)
    return _KIND_OF_STATUS.get(getattr(err, "status", 400), "invalid")


async def explain(
    request: web.Request, name: str, params: Mapping[str, Any], err: StaffError, label: str = ""
) -> Refused:
    """`label`: how the page names what the operation was about (a slot's time, a child)."""
    msg = messages(request)
    how = kind(err)
    if how == "forbidden":
        return Refused(msg.forbidden)
    if err.worded:  # the rules' own reason, in staff's words
        return Refused(str(err))
    if name == "set-seats" and how == "conflict":
        day = await ops.run(
            request, "seats", {"nursery": params["nursery"], "date": params["date"]}
        )
        hours, seats = params.get("hours"), params["seats"]
        for h in day["hours"]:
            if (not hours or int(h["hour"].split(":")[0]) in hours) and h["booked"] > seats:
                date, hour, booked = params["date"], h["hour"], h["booked"]
                text = msg.below_booked.format(date=date, hour=hour, booked=booked, seats=seats)
                return Refused(text)
    if name == "remove-slot":
        at = label
        if how == "conflict":
            return Refused(msg.slot_held.format(at=at))
        if how == "not_found":
            return Refused(msg.slot_gone.format(at=at))
    if name == "complete" and how == "conflict":
        return Refused(msg.already_cleared.format(child=label))
    if name == "cancel-booking" and how in ("conflict", "not_found"):
        return Refused(msg.already_cancelled)
    if how == "not_found":
        return Refused(msg.not_found)
    return Refused(msg.refused.format(reason=str(err)))


async def run(request: web.Request, name: str, params: Mapping[str, Any], label: str = "") -> Any:
    """Run a changing operation; a refusal comes back as `Refused` in Japanese."""
    try:
        return await ops.run(request, name, params)
    except StaffError as e:
        raise await explain(request, name, params, e, label) from None
