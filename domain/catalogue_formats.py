"""How a language writes dates and times (config.yaml `messages.formats`).

Each language picks its own placeholders from a fixed set, so `4/24(水)` and
`Wed, Apr 24` come from the same code: `domain/labels.py` fills them in.
"""

from __future__ import annotations

from string import Formatter

from pydantic import BaseModel, ConfigDict, Field, model_validator

ALLOWED = {
    "day": {"year", "month", "month_name", "day", "weekday"},
    "time": {"hour", "hour12", "minute", "half"},
    "moment": {"day", "time"},
    "date": {"year", "month", "month_name", "day", "weekday"},
}


class Formats(BaseModel):
    """`day`: a day in a list or sentence; `time`: a time of day; `moment`: a day and a
    time; `date`: a full date (an expiry). `halves` are the words for before and after noon."""

    model_config = ConfigDict(extra="forbid", frozen=True)  # as catalogue.Strict

    weekdays: list[str] = Field(min_length=7, max_length=7)  # Monday first
    months: list[str] = Field(min_length=12, max_length=12)  # January first
    halves: list[str] = Field(min_length=2, max_length=2)  # before noon, after noon
    day: str
    time: str
    moment: str
    date: str

    @model_validator(mode="after")
    def _known_fields(self) -> Formats:
        for key, allowed in ALLOWED.items():
            used = {f for _, f, _, _ in Formatter().parse(getattr(self, key)) if f is not None}
            unknown = used - allowed
            if unknown:
                raise ValueError(
                    f"{key}: unknown placeholder {', '.join(sorted(unknown))} "
                    f"(use {', '.join(sorted(allowed))})"
                )
        return self
