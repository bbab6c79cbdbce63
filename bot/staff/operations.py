"""Every staff operation, declared once.

A declaration names the operation, its parameters (a pydantic model), the staff
service call, who may run it (a nursery's staff or only the city) and whether it
changes data (then it is written to the operation log). The staff surfaces are
derived from these declarations: the admin API's routes (`http`), the staff CLI's
sub-commands (`name`, `help`, `positionals`), the replay scripts' `staff:` steps
(`replay`, local and against a server) and the web console's actions.

Adding an operation: one `declare(...)` here, its service method in
domain/, and its tests.
"""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import structlog
from pydantic import (
    BaseModel,
    ValidationError,
)

from bot.staff.params import (
    AddSlotParams,
    CancelParams,
    CompleteParams,
    DayParams,
    Export,
    ExportParams,
    NoParams,
    NurseryParams,
    Params,
    PhoneBookingParams,
    SearchParams,
    SeatsParams,
    SlotParams,
)
from domain import lookup
from domain.errors import Forbidden, Invalid
from domain.staff import Staff
from storage.audit import AuditEntry, AuditLog
from storage.tokens import CITY

log = structlog.get_logger(__name__)

Call = Callable[[Staff, Any], Awaitable[Any]]


@dataclass(frozen=True)
class Operation:
    name: str  # the CLI sub-command and the operation log's name for it
    help: str
    params: type[Params]
    call: Call
    who: Literal["nursery", "city"] = "nursery"  # city: city staff only
    changes: bool = False  # written to the operation log
    http: tuple[str, str] | None = None  # method, path under /admin/api/
    created: bool = False  # the admin API answers 201
    output: Literal["json", "csv"] = "json"
    replay: str | None = None  # the `staff:` action name in replay scripts
    positionals: tuple[str, ...] = ("nursery",)  # CLI positionals; `name?` is optional
    before: Call | None = None  # the state it changes, read first for the operation log


OPERATIONS: dict[str, Operation] = {}


def declare(op: Operation) -> Operation:
    if op.name in OPERATIONS:
        raise ValueError(f"staff operation {op.name} is declared twice")
    OPERATIONS[op.name] = op
    return op


def by_replay_name(action: str) -> Operation:
    for op in OPERATIONS.values():
        if op.replay == action:
            return op
    raise KeyError(action)


# -- interview slots and clearance ------------------------------------------------------------
declare(
    Operation(
        "slots",
        "interview slots from now on, with who holds them",
        NurseryParams,
        lambda staff, params: staff.interviews.interview_slots(params.nursery),
        http=("GET", "nurseries/{nursery}/interview-slots"),
    )
)
declare(
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
    )
)
declare(
    Operation(
        "remove-slot",
        "delete an interview slot nobody holds",
        SlotParams,
        lambda staff, params: staff.interviews.remove_interview_slot(params.nursery, params.at),
        changes=True,
        http=("DELETE", "nurseries/{nursery}/interview-slots/{at}"),
        positionals=("nursery", "at"),
    )
)
declare(
    Operation(
        "waiting",
        "registrations waiting for an interview",
        NurseryParams,
        lambda staff, params: staff.interviews.waiting_interviews(params.nursery),
        http=("GET", "nurseries/{nursery}/interviews/waiting"),
    )
)
declare(
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
    )
)
declare(
    Operation(
        "registrations",
        "every registration",
        NurseryParams,
        lambda staff, params: staff.interviews.registrations(params.nursery),
        http=("GET", "nurseries/{nursery}/registrations"),
    )
)
declare(
    Operation(
        "children",
        "registered children whose name or furigana holds Q (for a phone booking)",
        SearchParams,
        lambda staff, params: staff.interviews.find_children(params.nursery, params.q),
        http=("GET", "nurseries/{nursery}/children"),
        positionals=("nursery", "q"),
    )
)
declare(
    Operation(
        "duplicates",
        "children registered by more than one LINE account",
        NurseryParams,
        lambda staff, params: staff.interviews.duplicates(params.nursery),
        http=("GET", "nurseries/{nursery}/duplicates"),
    )
)


async def _all_duplicates(staff: Staff, params: NoParams) -> dict[str, Any]:
    return {n.id: await staff.interviews.duplicates(n.id) for n in staff.services.config.nurseries}


declare(
    Operation(
        "all-duplicates",
        "(city) every nursery's duplicates report",
        NoParams,
        _all_duplicates,
        who="city",
        http=("GET", "duplicates"),
        positionals=(),
    )
)


# -- seats and bookings -------------------------------------------------------------------------
declare(
    Operation(
        "seats",
        "a day's seats, bookings and free seats per hour",
        DayParams,
        lambda staff, params: staff.bookings.day_seats(params.nursery, params.date),
        http=("GET", "nurseries/{nursery}/capacity/{date}"),
        positionals=("nursery", "date"),
    )
)
declare(
    Operation(
        "set-seats",
        "seats per hour on a day (0 closes; opens a closed day)",
        SeatsParams,
        lambda staff, params: staff.bookings.set_capacity(
            params.nursery, params.date, params.seats, params.hours
        ),
        changes=True,
        http=("PUT", "nurseries/{nursery}/capacity/{date}"),
        replay="capacity",
        positionals=("nursery", "date", "seats"),
        before=lambda staff, params: staff.bookings.day_seats(params.nursery, params.date),
    )
)
declare(
    Operation(
        "phone-booking",
        "a booking taken by phone for a registered child, e.g. 2024-04-23 9 12 --child 目黒太郎",
        PhoneBookingParams,
        lambda staff, params: staff.bookings.phone_booking(
            params.nursery,
            params.date,
            params.start,
            params.end,
            params.child,
            params.unregistered,
            params.phone,
            params.idempotency_key,
        ),
        changes=True,
        http=("POST", "nurseries/{nursery}/phone-bookings"),
        created=True,
        replay="phone_booking",
        positionals=("nursery", "date", "start", "end"),
    )
)
declare(
    Operation(
        "cancel-booking",
        "cancel a child's booking; the parent is told",
        CancelParams,
        lambda staff, params: staff.bookings.cancel_booking(
            params.nursery, params.child, params.date
        ),
        changes=True,
        http=("POST", "nurseries/{nursery}/bookings/cancel"),
        replay="cancel",
        positionals=("nursery", "child", "date"),
    )
)
declare(
    Operation(
        "roster",
        "who comes on a day, with the answers to the booking questions",
        DayParams,
        lambda staff, params: staff.bookings.roster(params.nursery, params.date),
        http=("GET", "nurseries/{nursery}/roster/{date}"),
        positionals=("nursery", "date"),
    )
)


async def _export(staff: Staff, params: ExportParams) -> Export:
    last = params.last or params.first
    rows = await staff.bookings.export(params.nursery, params.first, last)
    return Export(
        nursery=params.nursery,
        first=params.first.isoformat(),
        last=last.isoformat(),
        questions=staff.bookings.questions(params.nursery),
        rows=rows,
    )


declare(
    Operation(
        "export",
        "held bookings from FIRST to LAST (inclusive) as CSV",
        ExportParams,
        _export,
        http=("GET", "nurseries/{nursery}/bookings.csv"),
        output="csv",
        positionals=("nursery", "first", "last?"),
    )
)


# -- running them -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Actor:
    """Who runs an operation: the kind of credential, a name that is not a secret, a scope."""

    kind: Literal["token", "account", "cli", "replay", "demo"]
    name: str
    scope: str  # `city` or a nursery id

    @property
    def city(self) -> bool:
        return self.scope == CITY


def plain_types(annotation: Any) -> set[Any]:
    """The plain types inside a parameter's annotation (`list[Annotated[int, ...]] | None` ->
    list, int, None): what the CLI and replay scripts convert typed text to."""
    origin = typing.get_origin(annotation)
    if origin is None:
        return {annotation}
    out = {origin} if isinstance(origin, type) else set()
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        args = args[:1]
    for arg in args:
        out |= plain_types(arg)
    return out


def jsonable(value: Any) -> Any:
    """A service result as plain JSON data."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def _reason(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "parameters"
    reason = "missing" if first["type"] == "missing" else first["msg"]
    return f"{where}: {reason}"


class Operations:
    """Runs declared operations for an actor: checks the parameters and who may, calls the
    service, writes changes to the operation log."""

    def __init__(self, staff: Staff, audit: AuditLog) -> None:
        self.staff = staff
        self.audit = audit

    def parse(self, op: Operation, raw: Mapping[str, Any] | Params) -> Params:
        if isinstance(raw, op.params):
            return raw
        try:
            return op.params.model_validate(dict(raw))
        except ValidationError as e:
            raise Invalid(_reason(e)) from None

    async def run(self, op: Operation | str, raw: Mapping[str, Any] | Params, actor: Actor) -> Any:
        op = OPERATIONS[op] if isinstance(op, str) else op
        params = self.parse(op, raw)
        if op.who == "city" and not actor.city:
            raise Forbidden("this needs city staff")
        nursery: str | None = None
        if isinstance(params, NurseryParams):
            n = lookup.nursery(self.staff.services, params.nursery)
            if not actor.city and actor.scope != n.id:
                raise Forbidden(f"this account is not for {n.name}")
            nursery = n.id
            params = params.model_copy(update={"nursery": n.id})
        before = await op.before(self.staff, params) if op.changes and op.before else None
        result = await op.call(self.staff, params)
        if op.changes:
            await self.audit.record(
                AuditEntry(
                    id=self.staff.services.ids.new(),
                    at=self.staff.services.now(),
                    actor_kind=actor.kind,
                    actor=actor.name,
                    scope=actor.scope,
                    operation=op.name,
                    nursery=nursery,
                    params=params.model_dump(mode="json"),
                    before=jsonable(before),
                    after=jsonable(result),
                )
            )
            # the demo data's many steps are one line of their own (demo_data_seeded)
            note = log.debug if actor.kind == "demo" else log.info
            note("staff_operation", operation=op.name, nursery=nursery, actor=actor.kind)
        return result
