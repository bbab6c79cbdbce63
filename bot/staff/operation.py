"""What a staff operation is: its declaration, and who runs it.

A declaration names the operation, its parameters (a pydantic model), the staff
service call, who may run it (a nursery's staff or only the city) and whether it
changes data (then it is written to the operation log). The staff surfaces are
derived from the declarations (bot/staff/operations.py lists them): the admin API's
routes (`http`), the staff CLI's sub-commands (`name`, `help`, `positionals`), the
replay scripts' `staff:` steps (`replay`, local and against a server) and the web
console's actions.
"""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from bot.staff.params import Params
from domain.catalogue import StaffActions
from domain.staff import Staff
from storage.tokens import CITY

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

    def label(self, actions: StaffActions) -> str:
        """Its name in staff's words (config.yaml `staff.actions`, keyed by the name); a
        read-only operation, never logged nor on a button, keeps its name."""
        return label(self.name, actions)


def label(name: str, actions: StaffActions) -> str:
    """A logged change's name in staff's words (an operation's, or an account change's)."""
    return str(getattr(actions, name.replace("-", "_"), name))


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
