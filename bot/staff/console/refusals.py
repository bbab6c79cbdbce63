"""A staff operation's refusal, told to staff in Japanese.

The rules word their refusals from the catalogue (`staff.messages`, `staff.errors`), the
same for the console, the CLI and the admin API; the console adds its own words only for
a page of another nursery.
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


def explain(request: web.Request, err: StaffError) -> Refused:
    """The rules' own reason, in staff's words; a refusal of another nursery's page in the
    console's words."""
    msg = messages(request)
    if kind(err) == "forbidden" and not err.worded:
        return Refused(msg.forbidden)
    if err.worded:
        return Refused(str(err))
    if kind(err) == "not_found":
        return Refused(msg.not_found)
    return Refused(msg.refused.format(reason=str(err)))


async def run(request: web.Request, name: str, params: Mapping[str, Any]) -> Any:
    """Run a changing operation; a refusal comes back as `Refused` in Japanese."""
    try:
        return await ops.run(request, name, params)
    except StaffError as e:
        raise explain(request, e) from None
