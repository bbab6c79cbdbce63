"""The message catalogue's キャンセル待ち words for staff: how a day's line reads to staff and
how taking a child off it is refused (config.yaml `staff.messages.waiting`), and what the
console says about it (`console.messages.waiting`). Kept beside `domain/catalogue.py` so
that module stays small, as `domain/catalogue_waiting.py` is for the parents' side."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StaffWaitingMessages(BaseModel):
    """Filled by domain/waiting_staff.py for every staff surface (API, CLI, console)."""

    model_config = ConfigDict(extra="forbid", frozen=True)  # as catalogue.Strict

    status_waiting: str  # an entry waiting its turn: {place}
    status_offered: str  # freed seats are held for it: {until} (9:30, or 4/23(火) 9:30)
    status_removed: str  # staff took it off the line
    # refusals: {nursery} {date} {child} ({count} {which}: several children of that name)
    unknown: str
    ambiguous: str
    choice: str  # one entry in ambiguous's {which}: {registration} {start} {end} {parent}
    gone: str  # it left the line (booked, declined, ...) while staff acted: {child} {date}


class ConsoleWaitingMessages(BaseModel):
    """What the console says about the line: {date} {start} {end} {child} {until}."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    confirm_remove: str
    confirm_offered: str  # added when the seats are being offered to that parent now
    confirm_reason: str  # the reason staff typed, as the parent's notice will carry it
    confirm_button: str
    removed: str
