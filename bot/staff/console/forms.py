"""Reading console forms: each bad value becomes `Refused` with the catalogue's message.

`Refused` carries a message already in Japanese; the page shows it and nothing is
changed. Field names in messages come from the catalogue's `console.messages.fields`.
A form given the staff's window of dates (`pages.form_of`, from domain/checks.py) refuses
a date outside it, so no page does arithmetic on year 1 or 9999.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from domain.catalogue import ConsoleMessages


class Refused(Exception):
    """A request the console will not carry out; `text` says why, for staff to read."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class Form:
    """One submitted form (or query), read field by field."""

    def __init__(
        self, data: Any, msg: ConsoleMessages, days: tuple[dt.date, dt.date] | None = None
    ) -> None:
        self.data = data
        self.messages = msg
        self.days = days  # the first and last date a field may name

    def _label(self, name: str) -> str:
        return self.messages.fields.get(name, name)

    def values(self) -> dict[str, str]:
        """What was typed, to show again on the page (never the CSRF token)."""
        return {k: str(v) for k, v in self.data.items() if k != "csrf"}

    def text(self, name: str, required: bool = True) -> str:
        value = " ".join(str(self.data.get(name, "")).split())
        if required and not value:
            raise Refused(self.messages.missing.format(field=self._label(name)))
        return value

    def date(self, name: str, default: dt.date | None = None) -> dt.date:
        value = str(self.data.get(name, "")).strip()
        if not value and default is not None:
            return default
        if not value:
            raise Refused(self.messages.missing.format(field=self._label(name)))
        try:
            day = dt.date.fromisoformat(value.replace("/", "-"))
        except ValueError:
            raise Refused(self.messages.bad_date.format(field=self._label(name))) from None
        if self.days is not None and not self.days[0] <= day <= self.days[1]:
            first, last = (d.isoformat() for d in self.days)
            field = self._label(name)
            raise Refused(self.messages.date_outside.format(field=field, first=first, last=last))
        return day

    def month(self, name: str, default: dt.date) -> dt.date:
        value = str(self.data.get(name, "")).strip()
        if not value:
            return default
        if not re.fullmatch(r"\d{4}-\d{2}", value):
            raise Refused(self.messages.bad_date.format(field=self._label(name)))
        try:
            return dt.date.fromisoformat(value + "-01")
        except ValueError:
            raise Refused(self.messages.bad_date.format(field=self._label(name))) from None

    def time(self, name: str) -> dt.time:
        value = str(self.data.get(name, "")).strip()
        if not value:
            raise Refused(self.messages.missing.format(field=self._label(name)))
        try:
            return dt.time.fromisoformat(value)
        except ValueError:
            raise Refused(self.messages.bad_time.format(field=self._label(name))) from None

    def number(self, name: str, low: int, high: int) -> int:
        value = str(self.data.get(name, "")).strip()
        if not value:
            raise Refused(self.messages.missing.format(field=self._label(name)))
        if not re.fullmatch(r"-?\d{1,6}", value) or not low <= int(value) <= high:
            raise Refused(
                self.messages.bad_number.format(field=self._label(name), low=low, high=high)
            )
        return int(value)

    def flag(self, name: str) -> bool:
        return str(self.data.get(name, "")) in ("1", "on", "true")
