"""Staff operations on interview slots, registrations and clearance (declared once: see
bot/staff/operation.py)."""

from __future__ import annotations

from typing import Any

from bot.staff.operation import Operation
from bot.staff.params import (
    AddSlotParams,
    CallParams,
    ChildParams,
    CompleteParams,
    ContactParams,
    MoveParams,
    NoParams,
    NurseryParams,
    SearchParams,
    SlotParams,
)
from domain.staff import Staff


async def _all_duplicates(staff: Staff, params: NoParams) -> dict[str, Any]:
    return {n.id: await staff.interviews.duplicates(n.id) for n in staff.services.config.nurseries}


INTERVIEW_OPERATIONS: list[Operation] = [
    Operation(
        "slots",
        "interview slots from now on, with who holds them",
        NurseryParams,
        lambda staff, params: staff.interviews.interview_slots(params.nursery),
        http=("GET", "nurseries/{nursery}/interview-slots"),
    ),
    Operation(
        "add-slot",
        "open an interview slot, e.g. 2024-04-23T10:00",
        AddSlotParams,
        lambda staff, params: staff.interviews.add_interview_slot(
            params.nursery, params.at, params.capacity
        ),
        changes=True,
        http=("POST", "nurseries/{nursery}/interview-slots"),
        created=True,
        replay="interview_slot",
        positionals=("nursery", "at"),
    ),
    Operation(
        "remove-slot",
        "delete an interview slot nobody holds",
        SlotParams,
        lambda staff, params: staff.interviews.remove_interview_slot(params.nursery, params.at),
        changes=True,
        http=("DELETE", "nurseries/{nursery}/interview-slots/{at}"),
        positionals=("nursery", "at"),
    ),
    Operation(
        "waiting",
        "registrations waiting for an interview",
        NurseryParams,
        lambda staff, params: staff.interviews.waiting_interviews(params.nursery),
        http=("GET", "nurseries/{nursery}/interviews/waiting"),
    ),
    Operation(
        "complete",
        "interview done: clear the child and tell the parent",
        CompleteParams,
        lambda staff, params: staff.interviews.complete_interview(
            params.nursery,
            params.child,
            params.birth_date.isoformat() if params.birth_date else None,
            params.parent,
        ),
        changes=True,
        http=("POST", "nurseries/{nursery}/interviews/complete"),
        replay="complete_interview",
        positionals=("nursery", "child"),
    ),
    Operation(
        "cancel-interview",
        "cancel a booked interview; the parent is told how to book another",
        ChildParams,
        lambda staff, params: staff.changes.cancel(params.nursery, params.child, params.reason),
        changes=True,
        http=("POST", "nurseries/{nursery}/interviews/cancel"),
        replay="cancel_interview",
        positionals=("nursery", "child"),
    ),
    Operation(
        "move-interview",
        "move a booked interview to another slot with room, e.g. 2024-04-24T10:00",
        MoveParams,
        lambda staff, params: staff.changes.move(
            params.nursery, params.child, params.to, params.reason
        ),
        changes=True,
        http=("POST", "nurseries/{nursery}/interviews/move"),
        replay="move_interview",
        positionals=("nursery", "child", "to"),
    ),
    Operation(
        "missed-interview",
        "the parent did not come: the slot is freed, the child waits for another interview",
        ChildParams,
        lambda staff, params: staff.changes.missed(params.nursery, params.child, params.reason),
        changes=True,
        http=("POST", "nurseries/{nursery}/interviews/missed"),
        replay="missed_interview",
        positionals=("nursery", "child"),
    ),
    Operation(
        "remove-registration",
        "remove a registration (a duplicate): its interview and bookings go, the parent is told",
        ChildParams,
        lambda staff, params: staff.changes.remove(params.nursery, params.child, params.reason),
        changes=True,
        http=("POST", "nurseries/{nursery}/registrations/remove"),
        replay="remove_registration",
        positionals=("nursery", "child"),
    ),
    Operation(
        "correct-contact",
        "correct a registration's parent name, postal code, address or phone",
        ContactParams,
        lambda staff, params: staff.contacts.correct(
            params.nursery, params.child, params.contact(), params.reason
        ),
        changes=True,
        http=("POST", "nurseries/{nursery}/registrations/contact"),
        replay="correct_contact",
        positionals=("nursery", "child"),
        before=lambda staff, params: staff.contacts.current(params.nursery, params.child),
    ),
    Operation(
        "removal",
        "what removing a registration would end: its interview and bookings",
        ChildParams,
        lambda staff, params: staff.changes.preview(params.nursery, params.child),
        http=("GET", "nurseries/{nursery}/registrations/removal"),
        positionals=("nursery", "child"),
    ),
    Operation(
        "registrations",
        "every registration",
        NurseryParams,
        lambda staff, params: staff.interviews.registrations(params.nursery),
        http=("GET", "nurseries/{nursery}/registrations"),
    ),
    Operation(
        "children",
        "registered children whose name or furigana holds Q (for a phone booking)",
        SearchParams,
        lambda staff, params: staff.interviews.find_children(params.nursery, params.q),
        http=("GET", "nurseries/{nursery}/children"),
        positionals=("nursery", "q"),
    ),
    Operation(
        "duplicates",
        "children registered by more than one LINE account",
        NurseryParams,
        lambda staff, params: staff.interviews.duplicates(params.nursery),
        http=("GET", "nurseries/{nursery}/duplicates"),
    ),
    Operation(
        "calls",
        "parents to phone: staff notices that did not reach them, phone bookings",
        NurseryParams,
        lambda staff, params: staff.calls.open_calls(params.nursery),
        http=("GET", "nurseries/{nursery}/calls"),
    ),
    Operation(
        "phoned",
        "the parent was phoned: the call leaves the list",
        CallParams,
        lambda staff, params: staff.calls.phoned(params.nursery, params.call),
        changes=True,
        http=("POST", "nurseries/{nursery}/calls/phoned"),
        replay="phoned",
        positionals=("nursery", "call"),
    ),
    Operation(
        "all-duplicates",
        "(city) every nursery's duplicates report",
        NoParams,
        _all_duplicates,
        who="city",
        http=("GET", "duplicates"),
        positionals=(),
    ),
]
