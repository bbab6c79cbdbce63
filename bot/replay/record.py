"""`python -m bot chat --record FILE`: a console conversation saved as a replay script.

Each user step is followed by the `expect` its answer implies: the first line
of the first text (distinctive enough to notice a different answer), the
buttons on screen, a sticker; or `expect_no_reply` when nothing came.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from bot.line_standin import Sent
from bot.screen import buttons, has_sticker, texts
from storage.clock import SystemClock


class Recorder:
    def __init__(self, name: str = "記録した会話", now: dt.datetime | None = None) -> None:
        self.name = name
        self.now = (now or SystemClock().now()).replace(second=0, microsecond=0)
        self.steps: list[Any] = []
        self._screen: list[dict[str, Any]] = []

    def step(self, step: dict[str, Any], sent: list[Sent]) -> None:
        """One user step ({"say": t}, {"tap": label}, {"pick_date": d}, {"follow": None})
        and what the user received for it."""
        [(kind, value)] = step.items()
        if kind in ("follow", "unfollow"):
            self.steps.append(kind)
        elif kind == "tap" and isinstance(value, str):
            self.steps.append({"tap": self._tap(value)})
        else:
            self.steps.append({kind: value})
        msgs = [m for s in sent for m in s.messages]
        if not msgs:
            self.steps.append("expect_no_reply")
            return
        self._screen = msgs
        self.steps.append({"expect": implied(msgs)})

    def _tap(self, label: str) -> Any:
        """A label, or {label, in} when several buttons on screen carry it."""
        same = [b for b in buttons(self._screen) if b.label == label]
        if len({b.context for b in same}) > 1:
            first = next((line for line in same[0].context.splitlines() if line.strip()), "")
            return {"label": label, "in": first}
        return label

    def script(self) -> dict[str, Any]:
        return {"name": self.name, "now": self.now.isoformat(), "steps": self.steps}

    def save(self, path: str | Path) -> None:
        text = yaml.safe_dump(
            self.script(), allow_unicode=True, sort_keys=False, default_flow_style=None, width=100
        )
        Path(path).write_text(text, encoding="utf-8")


def implied(msgs: list[dict[str, Any]]) -> dict[str, Any]:
    expect: dict[str, Any] = {}
    first = next((line for t in texts(msgs) for line in t.splitlines() if line.strip()), None)
    if first:
        expect["contains"] = [first.strip()]
    labels = list(dict.fromkeys(b.label for b in buttons(msgs)))
    if labels:
        expect["buttons"] = labels
    if has_sticker(msgs):
        expect["sticker"] = True
    return expect
