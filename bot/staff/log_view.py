"""The operation log as staff read it (console page and CSV): the operation's label, the
child by name, coded values in words, hours as 9:00, moments in the city's time.

What the log stores stays as the operations returned it (ids, codes, ISO times), so the
records keep their meaning if the wording changes; the words come from config.yaml
(`console.log`, `staff.actions`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.staff.operation import label
from bot.staff.operations import OPERATIONS
from domain.catalogue import LogWords, StaffActions
from storage.audit import AuditEntry

# Ids, codes and flags that say nothing to staff (the child's name says which booking).
HIDDEN = {
    "nursery",
    "notice",
    "notified",
    "hour",
    "free",
    "booking",
    "registration",
    "user",
    "idempotency_key",
    "state",
    "call",
    "entry",
    "status_label",
}
CLOCK = {"start", "end"}  # hours: 9 -> 9:00
MOMENTS = {
    "at",
    "to",
    "moved_to",
    "booked_at",
    "registered_at",
    "joined_at",
    "offered_until",
}  # ISO -> local time


@dataclass(frozen=True)
class LogRow:
    at: str
    actor: str
    actor_kind: str
    nursery: str
    operation: str
    params: list[tuple[str, str]]
    before: list[tuple[str, str]]
    after: list[tuple[str, str]]

    def cells(self, words: LogWords) -> dict[str, str]:
        """One CSV row: each column's text, the fields of a cell as `name：value`."""
        out = {k: getattr(self, k) for k in ("at", "actor", "actor_kind", "nursery", "operation")}
        for k in ("params", "before", "after"):
            pairs: list[tuple[str, str]] = getattr(self, k)
            out[k] = words.separator.join(f"{name}：{text}" for name, text in pairs)
        return out


class LogView:
    def __init__(
        self, words: LogWords, actions: StaffActions, zone: dt.tzinfo, names: dict[str, str]
    ) -> None:
        self.words = words
        self.actions = actions
        self.zone = zone
        self.names = names  # nursery id -> name

    def row(self, e: AuditEntry) -> LogRow:
        at = e.at if e.at.tzinfo else e.at.replace(tzinfo=dt.UTC)
        op = OPERATIONS.get(e.operation)
        params = dict(e.params)
        result = e.after if isinstance(e.after, dict) else {}
        if "child" in params and result.get("child"):  # typed as an id: say whose it was
            kana = result.get("kana")
            named = self.words.child_with_kana.format(child=result["child"], kana=kana)
            params["child"] = named if kana else result["child"]
        return LogRow(
            at=at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S"),
            actor=e.actor,
            actor_kind=self.words.actor_kinds.get(e.actor_kind, e.actor_kind),
            nursery=self.names.get(e.nursery or "", e.nursery or ""),
            operation=op.label(self.actions) if op else label(e.operation, self.actions),
            params=self.fields(params),
            before=self.fields(e.before),
            after=self.fields(e.after),
        )

    def fields(self, value: Any) -> list[tuple[str, str]]:
        """A logged value as (name, text) pairs, in the order recorded."""
        names = self.words.fields
        if not isinstance(value, dict):
            return [] if value in (None, [], "") else [(names["value"], self.text("", value))]
        out: list[tuple[str, str]] = []
        for key, v in value.items():
            if key in HIDDEN or v is None or v == "" or v == []:
                continue
            if key == "hours" and isinstance(v, list) and v and isinstance(v[0], dict):
                out.append((names["seats_by_hour"], _hour_runs(v, "seats")))
                if any(h.get("booked") for h in v):
                    out.append((names["booked_by_hour"], _hour_runs(v, "booked")))
            elif key in ("told", "contact", "answers") and isinstance(v, dict):
                out += self.fields(v)
            else:
                out.append((names.get(str(key), str(key)), self.text(str(key), v)))
        return out

    def text(self, key: str, v: Any) -> str:
        if isinstance(v, bool):
            coded = self.words.values.get(key, {}).get(str(v))
            return coded or (self.words.yes_text if v else self.words.no_text)
        if isinstance(v, dict):
            return " ".join(text for _, text in self.fields(v))
        if isinstance(v, list):
            if key == "corrected":
                return "、".join(self.words.fields.get(str(x), str(x)) for x in v)
            return "、".join(self.text(key, x) for x in v)
        if key in CLOCK and isinstance(v, int):
            return f"{v}:00"
        if key in MOMENTS and isinstance(v, str):
            return self._moment(v)
        return self.words.values.get(key, {}).get(str(v), str(v))

    def _moment(self, text: str) -> str:
        try:
            at = dt.datetime.fromisoformat(text)
        except ValueError:
            return text  # already in words
        if at.tzinfo is not None:
            at = at.astimezone(self.zone)
        return at.strftime("%Y-%m-%d %H:%M")


def _hour_runs(hours: list[dict[str, Any]], field: str) -> str:
    """`8:00–17:00 3` for runs of hours with the same number."""
    runs: list[list[Any]] = []
    for h in hours:
        start = int(str(h["hour"]).split(":")[0])
        if runs and runs[-1][2] == h.get(field) and runs[-1][1] == start:
            runs[-1][1] = start + 1
        else:
            runs.append([start, start + 1, h.get(field)])
    return ", ".join(f"{a}:00–{b}:00 {n}" for a, b, n in runs)
