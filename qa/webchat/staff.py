"""Staff operations for the chat's demo panel and demo data: the declared operations
(`bot/staff/operations.py`) run by the operations runner, as the admin API runs them, so
they are checked and written to the operation log like any staff action (actor `demo`).
"""

from __future__ import annotations

from typing import Any

from bot.context import Bot
from bot.staff.operation import Actor, jsonable
from bot.staff.operations import by_replay_name
from storage.tokens import CITY

DEMO = Actor("demo", "webchat", CITY)


async def staff_do(bot: Bot, action: str, params: dict[str, Any]) -> Any:
    """Run a staff action by its replay-script name (`interview_slot`, `capacity`,
    `complete_interview`, ...); raises `StaffError` when staff would be refused."""
    return jsonable(await bot.operations.run(by_replay_name(action), params, DEMO))


async def waiting(bot: Bot, nursery: str) -> list[dict[str, Any]]:
    """Registrations at the nursery waiting for their interview."""
    rows: list[dict[str, Any]] = jsonable(
        await bot.operations.run("waiting", {"nursery": nursery}, DEMO)
    )
    return rows
