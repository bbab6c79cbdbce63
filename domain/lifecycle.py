"""A child's registration at a nursery, from 児童の登録 to its expiry: one state machine.

    registered ──book_interview──> interview_booked ──clear──> cleared ──expire──> expired
        ^  ^                          │      │
        │  └───────cancel_interview───┘      └─lapse─> interview_lapsed ──book_interview──┐
        │                                                  (rebooked with 面談予約の再開)   │
        └──────── any state but removed ──remove──> removed             interview_booked <┘

    (move_interview: staff move a booked interview to another slot; it stays interview_booked)

The state is read from stored facts, never stored beside them: the registration
document (cleared until `expiry`, `missed_interview`, `removed_at`) and the
interview slot that holds it. Time moves a registration too: an interview whose
day has ended uncleared is `interview_lapsed` (its slot is given back by the
maintenance pass), a clearance whose expiry has passed is `expired`.

The machine (built with `transitions`, like the dialogs) says which move each
state allows and guards the clearance; the use cases (domain/registrations.py,
domain/interview_booking.py) ask it before they write, and every channel calls
those use cases: the LINE dialogs, the staff operations, the maintenance pass.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from transitions import Machine, MachineError

from domain.errors import Conflict
from storage.interviews import SlotDoc
from storage.registrations import RegistrationDoc

State = Literal[
    "registered", "interview_booked", "interview_lapsed", "cleared", "expired", "removed"
]
STATES: tuple[State, ...] = (
    "registered",
    "interview_booked",
    "interview_lapsed",
    "cleared",
    "expired",
    "removed",
)
WAITING: tuple[State, ...] = ("registered", "interview_booked", "interview_lapsed")
LIVE: tuple[State, ...] = (*WAITING, "cleared")

TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "book_interview", "source": ["registered", "interview_lapsed"],
     "dest": "interview_booked"},
    {"trigger": "cancel_interview", "source": "interview_booked", "dest": "registered"},
    {"trigger": "move_interview", "source": "interview_booked", "dest": "interview_booked"},
    {"trigger": "lapse", "source": "interview_booked", "dest": "interview_lapsed"},
    {"trigger": "clear", "source": list(WAITING), "dest": "cleared",
     "conditions": "interview_year_open"},
    {"trigger": "expire", "source": "cleared", "dest": "expired"},
    {"trigger": "remove", "source": [s for s in STATES if s != "removed"], "dest": "removed"},
]  # fmt: skip


def fiscal_year_end(day: dt.date) -> dt.date:
    """31 March of the fiscal year (April to March) that `day` falls in."""
    return dt.date(day.year if day.month <= 3 else day.year + 1, 3, 31)


@dataclass
class Life:
    """One registration as the machine moves it: the stored facts and the state read from them.

    `slot` is the interview slot holding it, if any; `today` and `zone` place it in time.
    """

    reg: RegistrationDoc
    slot: SlotDoc | None
    today: dt.date
    zone: dt.tzinfo
    state: State = field(init=False)

    def __post_init__(self) -> None:
        self.state = self._read()

    def _read(self) -> State:
        r = self.reg
        if r.removed_at is not None:
            return "removed"
        if r.expiry is not None:
            return "expired" if dt.date.fromisoformat(r.expiry) < self.today else "cleared"
        if self.slot is not None:
            return "interview_lapsed" if self.slot_day() < self.today else "interview_booked"
        return "interview_lapsed" if r.missed_interview is not None else "registered"

    def slot_day(self) -> dt.date:
        assert self.slot is not None
        return self.slot.at.astimezone(self.zone).date()

    def interview_day(self) -> dt.date | None:
        """The day of the interview a clearance is for: the booked one, else the missed one."""
        if self.reg.interview_date is not None:
            return dt.date.fromisoformat(self.reg.interview_date)
        if self.slot is not None:
            return self.slot_day()
        if self.reg.missed_interview is not None:
            return self.reg.missed_interview.astimezone(self.zone).date()
        return None

    def clearance_day(self) -> dt.date:
        """The interview day the expiry is counted from: the interview's, or today without one
        (an interview held without a booked slot)."""
        return self.interview_day() or self.today

    def interview_year_open(self, event: Any = None) -> bool:
        """The fiscal year of the interview has not ended: a clearance would still be valid."""
        return fiscal_year_end(self.clearance_day()) >= self.today

    def expiry(self) -> dt.date | None:
        return dt.date.fromisoformat(self.reg.expiry) if self.reg.expiry else None


class Lifecycle:
    """The machine, built once; `move` checks one transition of one registration."""

    name = "lifecycle"  # as `python -m bot diagram` names it, beside the dialogs
    transitions = TRANSITIONS

    def __init__(self) -> None:
        self.machine = Machine(
            model=None,
            states=list(STATES),
            transitions=TRANSITIONS,
            initial="registered",
            auto_transitions=False,
            send_event=True,
        )

    def allows(self, life: Life, trigger: str) -> bool:
        """Whether `trigger` may move `life` from its state (its guards aside)."""
        return trigger in self.machine.get_triggers(life.state)

    def move(self, life: Life, trigger: str, refusal: str) -> State:
        """Move `life` by `trigger`; Conflict(`refusal`) if its state or a guard forbids it.

        Only the model is moved: the caller writes what the move means, with its own
        conditional update deciding any race.
        """
        try:
            moved = self.machine.events[trigger].trigger(life)
        except MachineError:
            moved = False
        if not moved:
            raise Conflict(refusal, worded=True)
        return life.state

    def edges(self) -> list[tuple[str, str, str]]:
        """(source, trigger, dest) of every transition, from the entry (`start`, as the dialogs
        draw it) on: for `python -m bot diagram`."""
        out = [("start", "register", "registered")]
        for t in TRANSITIONS:
            sources = t["source"] if isinstance(t["source"], list) else [t["source"]]
            out += [(s, t["trigger"], t["dest"]) for s in sources]
        return out


LIFECYCLE = Lifecycle()
