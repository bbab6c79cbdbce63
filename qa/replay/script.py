"""Reads a replay script (YAML) into steps that know their number and line.

Every scalar is kept as the text QA wrote (`say: 2021-10-10` is the text
"2021-10-10", not a date), and every mistake in a script becomes a
`ScriptError` naming the step and line, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import AliasChoices

from bot.staff.operation import Operation, plain_types
from bot.staff.operations import OPERATIONS
from qa.replay.values import (
    parse_date,
    parse_datetime,
    parse_duration,
    parse_hour,
    parse_int,
    shown,
    strings,
)

USER_STEPS = {"say", "tap", "pick_date", "follow", "unfollow"}
BARE_STEPS = {"follow", "unfollow", "expect_no_reply"}  # written without a value
STEP_KINDS = [
    "as",
    "say",
    "tap",
    "pick_date",
    "follow",
    "unfollow",
    "expect",
    "expect_push",
    "expect_no_reply",
    "staff",
    "expect_refused",
    "clock",
    "advance",
]
EXPECT_KEYS = ["contains", "not_contains", "regex", "buttons", "no_buttons", "sticker"]


def staff_actions() -> dict[str, Operation]:
    """Staff action name in scripts -> its declared operation (bot/staff/operations.py)."""
    return {op.replay: op for op in OPERATIONS.values() if op.replay}


TOP_KEYS = ["name", "now", "language", "setup", "steps"]
# The format's `phone_booking: {nursery, date, from, to}` names no child: seats taken by
# phone for a child not on LINE, under this name and number.
UNNAMED_PHONE_BOOKING = {"child": "電話予約", "unregistered": "true", "phone": "03-0000-0000"}
LANGUAGES = ["ja", "en"]  # a script's users' LINE language (`language:`), ja unless given


@dataclass
class Step:
    kind: str
    arg: Any
    line: int
    where: str  # "step 3" or "setup step 1"
    source: str  # the step as written, one line


@dataclass
class Script:
    path: Path
    name: str
    now: dt.datetime
    language: str = "ja"  # the LINE language of the script's users (their LINE profile)
    setup: list[Step] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)


class ScriptError(Exception):
    """A mistake in the script itself; `where`/`line` locate it when known."""

    def __init__(self, reason: str, where: str = "", line: int = 0, source: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.where = where
        self.line = line
        self.source = source


# -- YAML nodes -> plain values, keeping the text as written ----------------------------------
def _plain(node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        if node.style is None and node.value in ("", "~", "null", "Null", "NULL"):
            return None
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_plain(n) for n in node.value]
    if isinstance(node, yaml.MappingNode):
        return {str(_plain(k)): _plain(v) for k, v in node.value}
    return None


def _duplicate(node: yaml.Node) -> yaml.Node | None:
    """The first key written twice in one mapping under `node` (YAML keeps only the last,
    so a check written first would be dropped without a word)."""
    if isinstance(node, yaml.SequenceNode):
        return next((d for n in node.value if (d := _duplicate(n)) is not None), None)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for k, v in node.value:
            key = str(_plain(k))
            if key in seen:
                twice: yaml.Node = k
                return twice
            seen.add(key)
            if (d := _duplicate(v)) is not None:
                return d
    return None


def _one_line(node: yaml.Node, text: str) -> str:
    start, end = node.start_mark.index, node.end_mark.index
    return " ".join(text[start:end].split())


# -- steps ---------------------------------------------------------------------------------
def _check_expect(v: Any) -> dict[str, Any]:
    if isinstance(v, str):
        return {"contains": [v]}
    if not isinstance(v, dict) or not v:
        raise ValueError("expect needs a text or a mapping of " + ", ".join(EXPECT_KEYS))
    out: dict[str, Any] = {}
    for k, x in v.items():
        if k not in EXPECT_KEYS:
            raise ValueError(f"unknown expect key {k!r} (known: {', '.join(EXPECT_KEYS)})")
        if k == "sticker":
            if x not in ("true", "false"):
                raise ValueError("sticker must be true or false")
            out[k] = x == "true"
        elif k == "regex":
            if not isinstance(x, str):
                raise ValueError("regex must be a text")
            try:
                out[k] = re.compile(x)
            except re.error as e:
                raise ValueError(f"regex {x!r} is not valid: {e}") from None
        else:
            out[k] = strings(x, k)
    return out


def staff_fields(op: Operation) -> list[tuple[str, list[str], bool, set[Any]]]:
    """Each parameter of a staff action: (the name scripts use, every name accepted,
    required, its plain types). Scripts use a field's last alias (`from` for `start`)."""
    out = []
    for name, f in op.params.model_fields.items():
        names = [name]
        alias = f.validation_alias
        if isinstance(alias, AliasChoices):
            names += [c for c in alias.choices if isinstance(c, str) and c != name]
        out.append((names[-1], names, f.is_required(), plain_types(f.annotation)))
    return out


def _staff_value(action: str, shown: str, kinds: set[Any], x: Any) -> Any:
    if dt.datetime in kinds:
        return parse_datetime(x)
    if dt.date in kinds:
        return parse_date(x)
    if bool in kinds:
        if str(x).strip().lower() not in ("true", "false"):
            raise ValueError(f"{action}: {shown} must be true or false")
        return str(x).strip().lower() == "true"
    if list in kinds:
        if x is None:
            return None
        if not isinstance(x, list):
            raise ValueError(f"{shown} must be a list like [9, 10, 11]")
        return [parse_hour(h) for h in x]
    if int in kinds:
        return parse_int(x, shown) if shown in ("seats", "capacity") else parse_hour(x)
    if not isinstance(x, str):
        raise ValueError(f"{action}: {shown} must be a name")
    return x


def _check_staff(v: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(v, dict) or len(v) != 1:
        raise ValueError("staff needs one action: " + ", ".join(staff_actions()))
    action, params = next(iter(v.items()))
    actions = staff_actions()
    if action not in actions:
        raise ValueError(f"unknown staff action {action!r} (known: {', '.join(actions)})")
    fields = staff_fields(actions[action])
    required = [shown for shown, _, req, _ in fields if req]
    if not isinstance(params, dict):
        raise ValueError(f"{action} needs {', '.join(required)}")
    if action == "phone_booking" and "child" not in params:
        params = {**params, **UNNAMED_PHONE_BOOKING}
    known = {n: (shown, kinds, names[0]) for shown, names, _, kinds in fields for n in names}
    for k in params:
        if k not in known:
            shown_names = ", ".join(shown for shown, *_ in fields)
            raise ValueError(f"{action}: unknown field {k!r} (known: {shown_names})")
    given = {known[k][0] for k, x in params.items() if x not in (None, "")}
    missing = [k for k in required if k not in given]
    if missing:
        raise ValueError(f"{action}: missing {', '.join(missing)}")
    p: dict[str, Any] = {}
    for k, x in params.items():
        shown, kinds, name = known[k]
        p[name] = _staff_value(action, shown, kinds, x)
    return action, p


def _check_tap(v: Any) -> Any:
    if isinstance(v, str) and v:
        return v
    if isinstance(v, dict):
        unknown = set(v) - {"label", "in"}
        if unknown:
            raise ValueError(f"tap: unknown field {sorted(unknown)[0]!r} (known: label, in)")
        if not isinstance(v.get("label"), str) or not isinstance(v.get("in"), str):
            raise ValueError("tap needs a label, or {label: LABEL, in: TEXT}")
        return {"label": v["label"], "in": v["in"]}
    raise ValueError("tap needs a label, or {label: LABEL, in: TEXT}")


def _check(kind: str, v: Any) -> Any:
    if kind in BARE_STEPS:
        if v is not None:
            raise ValueError(f"{kind} takes no value")
        return None
    if kind == "as" and isinstance(v, dict):  # a user reading another LINE language
        if set(v) != {"name", "language"} or not isinstance(v["name"], str) or not v["name"]:
            raise ValueError("as takes a name, or {name: NAME, language: ja|en}")
        if v["language"] not in LANGUAGES:
            raise ValueError(f"as: language must be {' or '.join(LANGUAGES)}")
        return {"name": v["name"], "language": v["language"]}
    if kind in ("as", "say"):
        if not isinstance(v, str) or (kind == "as" and not v.strip()):
            raise ValueError(f"{kind} needs a text")
        return v
    if kind == "tap":
        return _check_tap(v)
    if kind == "pick_date":
        parse_date(v)
        return v.strip()
    if kind in ("expect", "expect_push"):
        return _check_expect(v)
    if kind == "expect_refused":
        if not isinstance(v, str) or not v.strip():
            raise ValueError("expect_refused needs a text the staff refusal contains")
        return v
    if kind == "staff":
        return _check_staff(v)
    if kind == "clock":
        return parse_datetime(v)
    if kind == "advance":
        return parse_duration(v)
    raise AssertionError(kind)


def _step(node: yaml.Node, text: str, where: str, staff_only: bool) -> Step:
    line = node.start_mark.line + 1
    source = _one_line(node, text)
    twice = _duplicate(node)
    if twice is not None:
        key = str(_plain(twice))
        raise ScriptError(
            f"the key {key!r} is written twice", where, twice.start_mark.line + 1, source
        )
    value = _plain(node)
    if isinstance(value, str):
        kind, arg = value, None
        if kind not in BARE_STEPS:
            known = kind in STEP_KINDS
            reason = f"{kind} needs a value" if known else f"unknown step {kind!r}"
            raise ScriptError(reason, where, line, source)
    elif isinstance(value, dict) and len(value) == 1:
        kind, arg = next(iter(value.items()))
    else:
        raise ScriptError("a step is one `kind: value` line", where, line, source)
    if staff_only:
        # setup items are bare staff actions, or `staff:` / `clock:` / `advance:` steps
        if kind in staff_actions():
            kind, arg = "staff", {kind: arg}
        elif kind not in ("staff", "clock", "advance"):
            raise ScriptError(
                f"setup takes staff actions ({', '.join(staff_actions())}), not {kind!r}",
                where,
                line,
                source,
            )
    if kind not in STEP_KINDS:
        raise ScriptError(
            f"unknown step {kind!r} (known: {', '.join(STEP_KINDS)})", where, line, source
        )
    try:
        checked = _check(kind, arg)
    except ValueError as e:
        raise ScriptError(str(e), where, line, source) from None
    return Step(kind, checked, line, where, source)


def parse(text: str, path: Path) -> Script:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = mark.line + 1 if mark else 0
        problem = getattr(e, "problem", None) or str(e)
        raise ScriptError(f"not valid YAML: {problem}", "", line) from None
    if not isinstance(root, yaml.MappingNode):
        raise ScriptError("a script is a mapping with name, now and steps", "", 1)
    fields: dict[str, yaml.Node] = {}
    for k, v in root.value:
        key = str(_plain(k))
        if key not in TOP_KEYS:
            raise ScriptError(
                f"unknown key {key!r} (known: {', '.join(TOP_KEYS)})", "", k.start_mark.line + 1
            )
        if key in fields:
            raise ScriptError(f"the key {key!r} is written twice", "", k.start_mark.line + 1)
        fields[key] = v
    name = _plain(fields["name"]) if "name" in fields else path.stem
    if not isinstance(name, str):
        raise ScriptError("name must be a text", "", fields["name"].start_mark.line + 1)
    if "now" not in fields:
        raise ScriptError("now: is missing (the frozen clock at the start)", "", 1)
    try:
        now = parse_datetime(_plain(fields["now"]))
    except ValueError as e:
        raise ScriptError(f"now: {e}", "", fields["now"].start_mark.line + 1) from None
    script = Script(path, name, now, _language(fields.get("language")))
    for key, staff_only, out in (("setup", True, script.setup), ("steps", False, script.steps)):
        node = fields.get(key)
        if node is None or _plain(node) is None:
            continue
        if not isinstance(node, yaml.SequenceNode):
            raise ScriptError(f"{key} must be a list", "", node.start_mark.line + 1)
        for i, item in enumerate(node.value, 1):
            where = f"setup step {i}" if staff_only else f"step {i}"
            out.append(_step(item, text, where, staff_only))
    if not script.steps:
        raise ScriptError("steps: is missing or empty", "", 1)
    return script


def _language(node: yaml.Node | None) -> str:
    if node is None:
        return "ja"
    said = _plain(node)
    if isinstance(said, str) and said.strip() in LANGUAGES:
        return said.strip()
    raise ScriptError(
        f"language: must be {' or '.join(LANGUAGES)} (the LINE language of the script's users),"
        f" not {shown(said)}",
        "",
        node.start_mark.line + 1,
    )


def load(path: Path) -> Script:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ScriptError(f"cannot read the file: {e}") from None
    return parse(text, path)


def find(paths: list[Path]) -> list[Path]:
    """Script files under `paths` (folders are searched recursively for *.yaml / *.yml)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.suffix in (".yaml", ".yml")))
        else:
            out.append(p)
    return out
