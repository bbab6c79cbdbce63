"""Every staff operation, declared once (bot/staff/interview_operations.py,
bot/staff/booking_operations.py, bot/staff/waiting_operations.py), and the runner every
staff surface calls.

Adding an operation: its declaration in one of those lists, its service method in
domain/, and its tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from pydantic import AliasChoices, ValidationError

from bot.staff.booking_operations import BOOKING_OPERATIONS
from bot.staff.interview_operations import INTERVIEW_OPERATIONS
from bot.staff.operation import Actor, Operation, jsonable
from bot.staff.params import NurseryParams, Params
from bot.staff.waiting_operations import WAITING_OPERATIONS
from domain import lookup
from domain.config import StaffRules
from domain.errors import Forbidden, Invalid
from domain.staff import Staff
from storage.audit import AuditEntry, AuditLog

log = structlog.get_logger(__name__)


def _registry(*groups: list[Operation]) -> dict[str, Operation]:
    out: dict[str, Operation] = {}
    for op in (op for group in groups for op in group):
        if op.name in out:
            raise ValueError(f"staff operation {op.name} is declared twice")
        out[op.name] = op
    return out


OPERATIONS: dict[str, Operation] = _registry(
    INTERVIEW_OPERATIONS, BOOKING_OPERATIONS, WAITING_OPERATIONS
)


def by_replay_name(action: str) -> Operation:
    for op in OPERATIONS.values():
        if op.replay == action:
            return op
    raise KeyError(action)


def refusal(err: ValidationError, staff: StaffRules, model: type[Params] | None = None) -> str:
    """The first bad value in staff's words: the field's label (`staff.fields`) and the
    kind of error (`staff.errors`, by pydantic's error type) with its limits (ge, le, ...).
    A value sent under another accepted name (the API's `from` for `start`) is labelled as
    its field."""
    first = err.errors()[0]
    names = [str(p) for p in first["loc"] if not isinstance(p, int)]  # hours.0 is hours
    name = _field_of(model, names[0]) if names else ""
    field = staff.fields.get(name, name)
    text = staff.errors.get(first["type"], staff.errors["other"])
    return text.format_map(_Limits(field=field, **first.get("ctx", {})))


def _field_of(model: type[Params] | None, name: str) -> str:
    """The field a name given in a request stands for (itself or one of its aliases)."""
    if model is None or name in model.model_fields:
        return name
    for field, info in model.model_fields.items():
        alias = info.validation_alias
        if alias == name or (isinstance(alias, AliasChoices) and name in alias.choices):
            return field
    return name


class _Limits(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


class Operations:
    """Runs declared operations for an actor: checks the parameters and who may, calls the
    service, writes changes to the operation log."""

    def __init__(self, staff: Staff, audit: AuditLog) -> None:
        self.staff = staff
        self.audit = audit

    async def record(
        self,
        actor: Actor,
        operation: str,
        params: dict[str, Any],
        *,
        nursery: str | None = None,
        before: Any = None,
        after: Any = None,
    ) -> None:
        """A change in the operation log: an operation's, or one made outside them (staff
        accounts and API tokens, from the console or the CLI). Never a password or token."""
        await self.audit.record(
            AuditEntry(
                id=self.staff.services.ids.new(),
                at=self.staff.services.now(),
                actor_kind=actor.kind,
                actor=actor.name,
                scope=actor.scope,
                operation=operation,
                nursery=nursery,
                params=params,
                before=before,
                after=after,
            )
        )

    def parse(self, op: Operation, raw: Mapping[str, Any] | Params) -> Params:
        if isinstance(raw, op.params):
            return raw
        try:
            return op.params.model_validate(dict(raw))
        except ValidationError as e:
            config = self.staff.services.config.staff
            raise Invalid(refusal(e, config, op.params), worded=True) from None

    async def run(self, op: Operation | str, raw: Mapping[str, Any] | Params, actor: Actor) -> Any:
        op = OPERATIONS[op] if isinstance(op, str) else op
        params = self.parse(op, raw)
        if op.who == "city" and not actor.city:
            raise Forbidden(self.staff.services.config.staff.messages.city_only, worded=True)
        nursery: str | None = None
        if isinstance(params, NurseryParams):
            n = lookup.nursery(self.staff.services, params.nursery)
            if not actor.city and actor.scope != n.id:
                text = self.staff.services.config.staff.messages.other_nursery
                raise Forbidden(text.format(nursery=n.name), worded=True)
            nursery = n.id
            params = params.model_copy(update={"nursery": n.id})
        before = await op.before(self.staff, params) if op.changes and op.before else None
        result = await op.call(self.staff, params)
        if op.changes:
            await self.record(
                actor,
                op.name,
                params.model_dump(mode="json"),
                nursery=nursery,
                before=jsonable(before),
                after=jsonable(result),
            )
            # the demo data's many steps are one line of their own (demo_data_seeded)
            note = log.debug if actor.kind == "demo" else log.info
            note("staff_operation", operation=op.name, nursery=nursery, actor=actor.kind)
        return result
