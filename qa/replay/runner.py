"""Plays replay scripts: the user's side of LINE, staff actions and the clock, step by step.

Each script gets its own target (a fresh app and store, or its own users on a
running server); several scripts run at once as asyncio tasks. A script stops
at its first failing step; the failure carries everything the report shows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.line.client import retry_key
from qa.replay.script import USER_STEPS, Script, Step
from qa.replay.target import StaffRefused, StepFailure, Target, one_line
from qa.screen import ScreenButton, buttons, describe, has_sticker, texts

DEFAULT_USER = "parent"
NEGATIVE_ONLY = {"not_contains", "no_buttons"}


MAX_BATCHES = 20  # an answer's batches of five messages: far more than any answer has


@dataclass
class Failure:
    where: str  # "step 3", "setup step 1" or "" (the whole file)
    line: int
    source: str  # the step as written
    reason: str
    expected: str = ""
    came: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    transcript: list[str] | None = None  # None: the script never ran


@dataclass
class Result:
    path: Path
    name: str
    failure: Failure | None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.failure is None


TargetFactory = Callable[[Script, str], Any]  # (script, salt) -> async context manager Target


class Player:
    """Plays one script against one target."""

    def __init__(self, script: Script, target: Target) -> None:
        self.script = script
        self.t = target
        self.names: dict[str, str] = {}  # user id -> script name
        self.current = self._uid(DEFAULT_USER)
        self.screen: dict[str, list[dict[str, Any]]] = {}  # what each user sees last
        self.earlier: dict[str, list[dict[str, Any]]] = {}  # every message each user got
        self.replies: list[dict[str, Any]] | None = None  # to the previous user step
        self.pushes: dict[str, list[dict[str, Any]]] = {}  # since the last expect_push
        self.refused: StaffRefused | None = None  # the staff step just done was refused
        self.refusal: str | None = None  # its reason, for the `expect_refused` after it
        self.transcript: list[str] = []

    def _uid(self, name: str) -> str:
        uid = self.t.user_id(name)
        if uid not in self.names:  # the LINE profile speaks the script's language
            self.t.line.languages[uid] = self.script.language
        self.names[uid] = name
        return uid

    # -- what arrived --------------------------------------------------------------------
    def _collect(self, actor: str | None, event_id: str = "") -> list[dict[str, Any]]:
        """Take what every user received. What answered the actor's event (`event_id`: its
        reply, and the batches pushed after it or in its place under the event's retry
        keys) is its step's replies; anything else, to the actor too, is a push."""
        answer_keys = {retry_key(event_id, str(i)) for i in range(MAX_BATCHES)}
        got: list[dict[str, Any]] = []
        for uid, name in list(self.names.items()):
            sent = self.t.take(uid)
            if not sent:
                continue
            msgs = [m for s in sent for m in s.messages]
            self.screen[uid] = msgs
            self.earlier.setdefault(uid, []).extend(msgs)
            answer = [
                s for s in sent if uid == actor and (s.via == "reply" or s.retry_key in answer_keys)
            ]
            pushed = [m for s in sent if s not in answer for m in s.messages]
            if pushed:
                self.pushes.setdefault(uid, []).extend(pushed)
                self._log_bot(f"bot → {name} (push)", pushed)
            if answer:
                got = [m for s in answer for m in s.messages]
                self._log_bot("bot", got)
        return got

    def _log_bot(self, who: str, msgs: list[dict[str, Any]]) -> None:
        pad = " " * (len(who) + 2)
        first = True
        for text in describe(msgs):
            for line in text.split("\n"):
                self.transcript.append(f"  {who}: {line}" if first else f"  {pad}{line}")
                first = False

    def labels(self) -> list[str]:
        return [b.label for b in buttons(self.screen.get(self.current, []))]

    # -- playing -------------------------------------------------------------------------
    async def play(self) -> Failure | None:
        step: Step | None = None
        steps = [*self.script.setup, *self.script.steps]
        try:
            for i, step in enumerate(steps):
                await self.do(step)
                refused, self.refused = self.refused, None
                if refused is not None:
                    if i + 1 == len(steps) or steps[i + 1].kind != "expect_refused":
                        raise refused
                    self.refusal = refused.message
        except StepFailure as e:
            assert step is not None
            return self._failure(step, e.reason, e.expected, e.came)
        except Exception as e:  # a bug in the runner itself: still a report, not a traceback
            where = step or Step("", None, 0, "", "")
            return self._failure(where, f"the replay runner failed: {one_line(e)}", "", [])
        return None

    def _failure(self, step: Step, reason: str, expected: str, came: list[str]) -> Failure:
        return Failure(
            step.where,
            step.line,
            step.source,
            reason,
            expected,
            came,
            self.labels(),
            list(self.transcript),
        )

    async def do(self, step: Step) -> None:
        kind, arg = step.kind, step.arg
        if kind == "as":
            name = arg["name"] if isinstance(arg, dict) else arg
            self.current = self._uid(name)
            if isinstance(arg, dict):  # this user's LINE profile reads another language
                self.t.line.languages[self.current] = arg["language"]
            return
        if kind in USER_STEPS:
            await self._user_step(step)
            return
        if kind in ("expect", "expect_no_reply"):
            if self.replies is None:
                raise StepFailure(f"{kind} comes before any step of the user (say, tap, ...)")
            if kind == "expect_no_reply":
                if self.replies:
                    raise StepFailure("a reply came", "no reply", describe(self.replies))
                return
            check(arg, self.replies, "reply", step.source)
            return
        if kind == "expect_push":
            check(arg, self.pushes.pop(self.current, []), "push", step.source)
            return
        if kind == "staff":
            action, params = arg
            shown = ", ".join(f"{k}: {_value(v)}" for k, v in params.items())
            self.transcript.append(f"(staff) {action} {shown}")
            try:
                await self.t.staff(action, params)
            except StaffRefused as e:
                self.refused = e  # a failure unless `expect_refused` comes next
                self.transcript.append(f"  (refused) {e.message}")
            self._collect(None)
            return
        if kind == "expect_refused":
            if self.refusal is None or arg not in self.refusal:
                came = [self.refusal] if self.refusal else ["(not refused)"]
                raise StepFailure(f'the refusal does not contain "{arg}"', arg, came)
            self.refusal = None
            return
        if kind in ("clock", "advance"):
            at = arg if kind == "clock" else self.t.now() + arg
            await self.t.set_clock(at)
            self.transcript.append(f"(clock) {at:%Y-%m-%d %H:%M}")
            self._collect(None)
            return
        raise StepFailure(f"unknown step {kind!r}")

    async def _user_step(self, step: Step) -> None:
        uid, kind, arg = self.current, step.kind, step.arg
        name = self.names[uid]
        event: dict[str, Any] | None
        link = ""
        if kind == "say":
            event = self.t.text(uid, arg)
            said = arg
        elif kind == "follow":
            event, said = self.t.follow(uid), "(友だち追加)"
        elif kind == "unfollow":
            event, said = self.t.unfollow(uid), "(ブロック)"
        elif kind == "tap":
            b = self._button(arg)
            event, said = self._tap_event(uid, b), f"[{b.label}]"
            link = str(b.action.get("uri", ""))
        else:  # pick_date
            event, said = self._pick_event(uid, arg), f"(日付 {arg})"
        self.transcript.append(f"{name}: {said}")
        if event is None:  # a link: LINE opens it, the bot hears nothing
            self.transcript.append(f"  (opens {link})")
            self.replies = []
            return
        error = await self.t.send(uid, event)
        self.replies = self._collect(uid, str(event.get("webhookEventId", "")))
        if error:
            raise StepFailure(f"the bot failed on this step: {error}")

    def _button(self, arg: Any) -> ScreenButton:
        label, within = (arg["label"], arg["in"]) if isinstance(arg, dict) else (arg, None)
        seen: dict[tuple[str, str], ScreenButton] = {}
        for b in buttons(self.screen.get(self.current, [])):
            seen.setdefault((b.label, repr(sorted(b.action.items())) + b.context), b)
        on_screen = list(seen.values())
        exact = [b for b in on_screen if b.label == label]
        if within is not None:
            hits = [b for b in exact if within in b.context]
            if len(hits) == 1:
                return hits[0]
            if not hits:
                raise StepFailure(f'no button "{label}" in a message containing "{within}"')
            raise StepFailure(f'several buttons "{label}" are in messages containing "{within}"')
        if len(exact) == 1:
            return exact[0]
        if len(exact) > 1 and len({repr(sorted(b.action.items())) for b in exact}) == 1:
            return exact[0]
        if exact:
            raise StepFailure(
                f'several buttons are labelled "{label}": use tap: {{label: {label}, in: TEXT}}'
            )
        prefixed = [b for b in on_screen if b.label.startswith(label)]
        if len(prefixed) == 1:
            return prefixed[0]
        if prefixed:
            shown = ", ".join(f'"{b.label}"' for b in prefixed)
            raise StepFailure(f'several buttons start with "{label}": {shown}')
        older = self._earlier_button(label, within)
        if older is not None:
            return older
        raise StepFailure(f'no button "{label}" on screen')

    def _earlier_button(self, label: str, within: str | None) -> ScreenButton | None:
        """A button of an earlier message that LINE still lets the user tap (a message's own
        buttons; quick replies go with the next message): the latest message holding one
        labelled `label` (in the bubble containing `within`, if given)."""
        for msg in reversed(self.earlier.get(self.current, [])):
            kept = {k: v for k, v in msg.items() if k != "quickReply"}
            hits = [
                b
                for b in buttons([kept])
                if b.label == label and (within is None or within in b.context)
            ]
            if len(hits) == 1:
                return hits[0]
        return None

    def _tap_event(self, uid: str, b: ScreenButton) -> dict[str, Any] | None:
        a = b.action
        kind = a.get("type")
        if kind == "message":
            return self.t.text(uid, str(a.get("text", "")))
        if kind == "postback":
            return self.t.postback(uid, str(a.get("data", "")))
        if kind == "datetimepicker":
            raise StepFailure(f'the button "{b.label}" is a date picker: use pick_date: YYYY-MM-DD')
        if kind == "uri":
            if not str(a.get("uri", "")).startswith(("https://", "http://", "tel:")):
                raise StepFailure(f'the button "{b.label}" opens a bad link: {a.get("uri")!r}')
            return None
        raise StepFailure(f'the button "{b.label}" has an action LINE does not know: {kind}')

    def _pick_event(self, uid: str, day: str) -> dict[str, Any]:
        pickers = [
            b
            for b in buttons(self.screen.get(self.current, []))
            if b.action.get("type") == "datetimepicker"
        ]
        if not pickers:
            raise StepFailure("no date picker on screen")
        if len({b.action.get("data") for b in pickers}) > 1:
            shown = ", ".join(f'"{b.label}"' for b in pickers)
            raise StepFailure(f"several date pickers on screen: {shown}")
        a = pickers[0].action
        lo, hi = str(a.get("min", ""))[:10], str(a.get("max", ""))[:10]
        if (lo and day < lo) or (hi and day > hi):
            raise StepFailure(f"the date picker offers {lo or '…'} to {hi or '…'} only")
        return self.t.postback(uid, str(a.get("data", "")), day)


def _value(v: Any) -> str:
    if isinstance(v, dt.datetime):
        return f"{v:%Y-%m-%d %H:%M}"
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def check(spec: dict[str, Any], msgs: list[dict[str, Any]], what: str, source: str) -> None:
    """Raise StepFailure unless `msgs` match an expect mapping (see the format)."""
    expected = source.removeprefix("- ")
    came = describe(msgs) or [f"(no {what})"]

    def fail(reason: str) -> None:
        raise StepFailure(reason, expected, came)

    # no push at all meets a push check that only says what must not come ("no reminder
    # yet"); a reply check always wants a reply (`expect_no_reply` says there is none)
    negative = set(spec) <= NEGATIVE_ONLY | {"sticker"} and spec.get("sticker") is not True
    if not msgs and (what == "reply" or not negative):
        fail(f"no {what} came")
    ts = texts(msgs)
    labels = [b.label for b in buttons(msgs)]
    for c in spec.get("contains", []):
        if not any(c in t for t in ts):
            fail(f'no message contains "{c}"')
    for c in spec.get("not_contains", []):
        if any(c in t for t in ts):
            fail(f'a message contains "{c}"')
    rx: re.Pattern[str] | None = spec.get("regex")
    if rx is not None and not any(rx.search(t) for t in ts):
        fail(f"no message matches /{rx.pattern}/")
    missing = [b for b in spec.get("buttons", []) if b not in labels]
    if missing:
        fail("no button " + ", ".join(f'"{b}"' for b in missing))
    present = [b for b in spec.get("no_buttons", []) if b in labels]
    if present:
        fail("unexpected button " + ", ".join(f'"{b}"' for b in present))
    if spec.get("sticker") is True and not has_sticker(msgs):
        fail("no sticker came")
    if spec.get("sticker") is False and has_sticker(msgs):
        fail("a sticker came")


# -- many scripts --------------------------------------------------------------------------
