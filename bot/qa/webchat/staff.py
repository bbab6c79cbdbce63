"""Staff operations for the chat's demo panel and demo data, as the staff surfaces run them.

One function, so that moving to the declared operations (`bot/staff/operations.py`)
changes this module only. Actions and fields are the replay scripts' `staff:`
steps, which the chat also records.
"""

from __future__ import annotations

import inspect
from typing import Any

from bot.context import Bot
from bot.qa.replay.target import STAFF_CALLS


async def staff_do(bot: Bot, action: str, params: dict[str, Any]) -> dict[str, Any]:
    """Run a staff action; raises `StaffError` (a plain reason) when staff would be refused."""
    method_name, args = STAFF_CALLS[action]
    extra = {"birth_date": params["birth_date"]} if params.get("birth_date") else {}
    result = getattr(bot.staff, method_name)(*args(params), **extra)
    if inspect.isawaitable(result):
        result = await result
    return result if isinstance(result, dict) else {}
