"""`python -m bot chat --record FILE`: a console conversation saved as a replay script.

Each user step is followed by the `expect` its answer implies: the first line
of the first text (distinctive enough to notice a different answer), the
buttons on screen, a sticker; or `expect_no_reply` when nothing came. The
browser chat also records several users (`as:`), staff actions with the pushes
they caused (`expect_push`), set-up steps and clock moves.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from qa.screen import buttons, has_sticker, texts
from qa.standin import Sent
from storage.clock import SystemClock


class Recorder:
    def __init__(self, name: str = "記録した会話", now: dt.datetime | None = None) -> None:
        self.name = name
        self.now = (now or SystemClock().now()).replace(second=0, microsecond=0)
        self.language: str | None = None  # the users' LINE language (`language:` unless ja)
        self.steps: list[Any] = []
        self.setup: list[Any] = []
        self._screen: list[dict[str, Any]] = []
        self._screens: dict[str, list[dict[str, Any]]] = {}
        self._user: str | None = None  # the script name of the user acting (None: default)

    def as_user(self, name: str) -> None:
        """Later steps are this user's (an `as:` step when the user changes)."""
        if name == (self._user or "parent"):
            self._user = name
            return
        self._screens[self._user or "parent"] = self._screen
        self._user = name
        self._screen = self._screens.get(name, [])
        self.steps.append({"as": name})

    def speaks(self, name: str, language: str) -> None:
        """The user `name` reads another LINE language than the script's: their first `as:`
        step says so (`as: {name: spouse, language: en}`)."""
        for i, step in enumerate(self.steps):
            if step == {"as": name}:
                self.steps[i] = {"as": _FlowMap({"name": name, "language": language})}
                return

    def staff(self, action: str, params: dict[str, Any], setup: bool = False) -> None:
        """A staff action (`setup`: before step 1)."""
        done = {action: _FlowMap({k: _text(v) for k, v in params.items()})}
        if setup:
            self.setup.append(done)  # set-up steps are written without `staff:`
        else:
            self.steps.append({"staff": done})

    def pushed(self, name: str, msgs: list[dict[str, Any]]) -> None:
        """What a staff action pushed to a user: `expect_push` as that user."""
        if not msgs:
            return
        self.as_user(name)
        self._screen = msgs
        self.steps.append({"expect_push": implied(msgs)})

    def clock(self, at: dt.datetime) -> None:
        self.steps.append({"clock": at.replace(second=0, microsecond=0).isoformat()})

    def step(self, step: dict[str, Any], sent: list[Sent]) -> None:
        """One user step ({"say": t}, {"tap": label}, {"pick_date": d}, {"follow": None})
        and what the user received for it."""
        [(kind, value)] = step.items()
        if kind in ("follow", "unfollow"):
            self.steps.append(kind)
        elif kind == "tap":
            label, context = (
                (value["label"], value.get("in")) if isinstance(value, dict) else (value, None)
            )
            self.steps.append({"tap": self._tap(label, context)})
        else:
            self.steps.append({kind: value})
        msgs = [m for s in sent for m in s.messages]
        if not msgs:
            self.steps.append("expect_no_reply")
            return
        self._screen = msgs
        self.steps.append({"expect": implied(msgs)})

    def _tap(self, label: str, context: str | None) -> Any:
        """A label, or {label, in: a line only the tapped button's message has} when
        several buttons on screen carry that label (a carousel of bookings)."""
        others = {b.context for b in buttons(self._screen) if b.label == label} - {context}
        if context is None or not others:
            return label
        for line in context.splitlines():
            if line.strip() and not any(line in o for o in others):
                return {"label": label, "in": line.strip()}
        return label

    def script(self) -> dict[str, Any]:
        head: dict[str, Any] = {"name": self.name, "now": self.now.isoformat()}
        if self.language not in (None, "ja"):
            head["language"] = self.language
        if self.setup:
            head["setup"] = self.setup
        return {**head, "steps": self.steps}

    def dump(self) -> str:
        return yaml.dump(
            self.script(), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100
        )

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.dump(), encoding="utf-8")


class _Flow(list):  # type: ignore[type-arg]
    """A list written inline: `buttons: [はい, いいえ]`."""


class _FlowMap(dict):  # type: ignore[type-arg]
    """A mapping written inline: `{nursery: 双葉の園保育園, at: 2024-04-23T10:00+09:00}`."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)
_Dumper.add_representer(
    _FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True)
)


def _text(v: Any) -> Any:
    """A staff step's value as a script writes it (times to the minute, with their offset)."""
    if isinstance(v, dt.datetime):
        return v.isoformat(timespec="minutes")
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def implied(msgs: list[dict[str, Any]]) -> dict[str, Any]:
    expect: dict[str, Any] = {}
    first = next((line for t in texts(msgs) for line in t.splitlines() if line.strip()), None)
    if first:
        expect["contains"] = _Flow([first.strip()])
    labels = list(dict.fromkeys(b.label for b in buttons(msgs)))
    if labels:
        expect["buttons"] = _Flow(labels)
    if has_sticker(msgs):
        expect["sticker"] = True
    return expect
