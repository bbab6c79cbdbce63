"""The parameters of the staff operations (bot/staff/operations.py): one pydantic model per
kind of request, with its limits; every surface (admin API, CLI, console, replays) is
checked against the same model."""

from __future__ import annotations

import datetime as dt
import typing
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
)

from domain.interviews import MAX_INTERVIEW_CAPACITY
from domain.seat_settings import MAX_SEATS
from domain.views import RosterRow

MAX_SLOT_CAPACITY = MAX_INTERVIEW_CAPACITY


def _not_a_number(value: Any) -> Any:
    """Dates come as text (2024-04-23, 2024-04-23T10:00) or dates, never as seconds."""
    if isinstance(value, int | float):
        raise ValueError("must be a date like 2024-04-23 (or 2024-04-23T10:00), not a number")
    return value


Day = Annotated[dt.date, BeforeValidator(_not_a_number)]
Moment = Annotated[dt.datetime, BeforeValidator(_not_a_number)]

StrictInt = Annotated[int, Strict()]
Hour = Annotated[int, Strict(), Field(ge=0, le=24)]


def bounds(model: type[BaseModel], name: str) -> tuple[int, int]:
    """The lowest and highest whole number a parameter takes (its `ge` and `le`): what a
    console form's `min`, `max` and its check read, so no surface repeats a limit."""
    found: dict[str, int] = {}

    def look(annotation: Any, metadata: list[Any]) -> None:
        for m in metadata:
            for key in ("ge", "le"):
                if isinstance(getattr(m, key, None), int):
                    found.setdefault(key, getattr(m, key))
            look(None, list(getattr(m, "metadata", ())))  # Field(ge=..., le=...) inside
        for arg in typing.get_args(annotation):
            look(arg, list(getattr(arg, "__metadata__", ())))

    field = model.model_fields[name]
    look(field.annotation, list(field.metadata))
    if set(found) != {"ge", "le"}:
        raise ValueError(f"{model.__name__}.{name} has no ge and le")
    return found["ge"], found["le"]


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class NurseryParams(Params):
    nursery: str = Field(description="the nursery's id or name")


class NoParams(Params):
    pass


class SlotParams(NurseryParams):
    at: Moment = Field(description="the slot's date and time, e.g. 2024-04-23T10:00")


class AddSlotParams(SlotParams):
    capacity: Annotated[int, Strict(), Field(ge=1, le=MAX_SLOT_CAPACITY)] | None = Field(
        None, description="default: the nursery's config"
    )


class CompleteParams(NurseryParams):
    child: str = Field(description="the child's name (or registration id)")
    birth_date: dt.date | None = Field(None, description="YYYY-MM-DD, when names are shared")
    parent: str | None = Field(None, description="the parent's name, when both registered it")


Reason = Annotated[str, Field(max_length=200)]


class ChildParams(NurseryParams):
    child: str = Field(description="the child's name as registered (or the registration id)")
    reason: Reason | None = Field(None, description="why, in the parent's notice")


class MoveParams(ChildParams):
    to: Moment = Field(description="the new slot's date and time, e.g. 2024-04-24T10:00")


class ContactParams(ChildParams):
    parent_name: Annotated[str, Field(max_length=100)] | None = Field(
        None, description="the parent's name"
    )
    postal_code: Annotated[str, Field(max_length=20)] | None = Field(
        None, description="e.g. 153-0061"
    )
    address: Annotated[str, Field(max_length=200)] | None = Field(None, description="address")
    phone: Annotated[str, Field(max_length=20)] | None = Field(
        None, description="e.g. 03-1234-5678"
    )

    def contact(self) -> dict[str, str | None]:
        return {
            "parent_name": self.parent_name,
            "postal_code": self.postal_code,
            "address": self.address,
            "phone": self.phone,
        }


class CallParams(NurseryParams):
    call: str = Field(description="the call's id, or the child's name (every open call about them)")


class SearchParams(NurseryParams):
    q: str = Field(description="part of a child's name or furigana")


class DayParams(NurseryParams):
    date: Day = Field(description="YYYY-MM-DD")


class CloseParams(DayParams):
    reason: Reason | None = Field(None, description="why, in the parents' notice")


class SeatsParams(DayParams):
    seats: Annotated[int, Strict(), Field(ge=0, le=MAX_SEATS)] = Field(
        description="seats per hour (0 closes; seats on a closed day open it)"
    )
    hours: list[Hour] | None = Field(None, description="default: all opening hours")


class SeatsDaysParams(NurseryParams):
    first: Day = Field(validation_alias=AliasChoices("from", "first"), description="first day")
    last: Day | None = Field(
        None, validation_alias=AliasChoices("to", "last"), description="last day (default: first)"
    )
    seats: Annotated[int, Strict(), Field(ge=0, le=MAX_SEATS)] = Field(
        description="seats per hour (0 closes; seats on a closed day open it)"
    )
    hours: list[Hour] | None = Field(None, description="default: all opening hours")
    keep_closed: bool = Field(
        False, description="leave the usually closed days (Sundays...) as they are"
    )


class PhoneBookingParams(DayParams):
    start: Hour = Field(validation_alias=AliasChoices("start", "from"), description="first hour")
    end: Hour = Field(validation_alias=AliasChoices("end", "to"), description="hour it ends")
    child: str = Field(
        description="a registered child's registration id or name as registered; "
        "with unregistered, the name of a child not registered on LINE"
    )
    unregistered: bool = Field(False, description="a child not registered on LINE")
    phone: str = Field("", description="with unregistered: the parent's phone number")
    idempotency_key: str | None = Field(
        None,
        description="any word for this booking (API: or the Idempotency-Key header); "
        "the same request again with it books once",
    )


class CancelParams(NurseryParams):
    child: str = Field(description="the child's name (or booking id)")
    date: Day = Field(description="YYYY-MM-DD")
    reason: Reason | None = Field(None, description="why, in the parent's notice")


class WaitingParams(NurseryParams):
    child: str = Field(description="the child's name as registered (or the registration id)")
    date: Day = Field(description="YYYY-MM-DD: the day waited for")
    reason: Reason | None = Field(None, description="why, in the parent's notice")


class ExportParams(NurseryParams):
    first: Day = Field(validation_alias=AliasChoices("from", "first"), description="first day")
    last: Day | None = Field(
        None, validation_alias=AliasChoices("to", "last"), description="last day (default: first)"
    )


class Export(BaseModel):
    """The export's rows with the nursery's booking question labels (its last columns)."""

    nursery: str
    first: str
    last: str
    questions: list[str]
    rows: list[RosterRow]
    headers: dict[str, str] = {}  # column -> its header in staff's words (CSV)
    values: dict[str, dict[str, str]] = {}  # column -> its coded values in words (CSV)
