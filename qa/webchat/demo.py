"""Demo data for the embedded store: interview slots and seats for the coming days.

Done through the staff operations at start-up, so a newcomer can register, book an
interview and a day at once. The chat labels it as demo data; `BOT_DEMO=0` or
`serve --no-demo` leaves the store empty.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import structlog

from bot.context import Bot
from domain.calendar import closed
from qa.webchat.staff import staff_do

log = structlog.get_logger(__name__)

SLOT_DAYS = 4  # open days with interview slots, from tomorrow
SLOT_HOURS = (10, 14)


def demo_steps(bot: Bot) -> list[tuple[str, dict[str, Any]]]:
    """The staff actions that make the demo data, as replay `setup:` steps."""
    zone = bot.config.zone()
    today = bot.services.today()
    horizon = bot.config.booking.horizon_days
    steps: list[tuple[str, dict[str, Any]]] = []
    for n in bot.config.nurseries:
        days = [today + dt.timedelta(days=i) for i in range(1, horizon + 1)]
        open_days = [d for d in days if not closed(n, d)]
        for d in open_days[:SLOT_DAYS]:
            for h in SLOT_HOURS:
                at = dt.datetime.combine(d, dt.time(h), zone)
                steps.append(("interview_slot", {"nursery": n.name, "at": at}))
        # seats on every open day the parent is offered, today's too (so the panel's summary
        # names the days the day list shows)
        for d in ([today] if not closed(n, today) else []) + open_days:
            steps.append(("capacity", {"nursery": n.name, "date": d, "seats": n.seats_per_hour}))
    return steps


async def seed(bot: Bot) -> list[tuple[str, dict[str, Any]]]:
    """Make the demo data; returns the steps done."""
    steps = demo_steps(bot)
    for action, params in steps:
        await staff_do(bot, action, params)
    log.info("demo_data_seeded", steps=len(steps), note="demo data: BOT_DEMO=0 switches it off")
    return steps


def summary(steps: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """The demo data in a few lines, one per nursery (for the demo panel)."""
    slots: dict[str, list[dt.datetime]] = {}
    seats: dict[str, list[tuple[dt.date, int]]] = {}
    for action, p in steps:
        if action == "interview_slot":
            slots.setdefault(p["nursery"], []).append(p["at"])
        elif action == "capacity":
            seats.setdefault(p["nursery"], []).append((p["date"], p["seats"]))
    lines = []
    for nursery in dict.fromkeys([*slots, *seats]):
        days = sorted({at.date() for at in slots.get(nursery, [])})
        hours = sorted({f"{at:%H:%M}" for at in slots.get(nursery, [])})
        shown = ", ".join(f"{d:%m/%d}" for d in days)
        line = f"{nursery}: interview slots {shown} at {' and '.join(hours)}"
        if nursery in seats:
            per_day = seats[nursery]
            first, last = per_day[0][0], per_day[-1][0]
            line += (
                f"; {per_day[0][1]} seats per hour on {len(per_day)} open days "
                f"{first:%m/%d}–{last:%m/%d}"
            )
        lines.append(line)
    return lines


def still_possible(action: str, params: dict[str, Any], now: dt.datetime) -> bool:
    """Demo set-up steps a replay starting `now` can still do (slots ahead, days not past)."""
    if action == "interview_slot":
        return bool(params["at"] > now)
    if action == "capacity":
        return bool(params["date"] >= now.date())
    return True
