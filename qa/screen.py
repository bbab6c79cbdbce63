"""Reads rendered LINE messages back as a person sees them: texts, buttons, stickers.

Shared by the console chat, the replay runner and the tests, so all of them
judge what LINE would show, not the flows' internal reply model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ScreenButton:
    label: str  # the whole label (a message action's text when the label was shortened)
    action: dict[str, Any]
    context: str  # the text of the message or bubble the button sits in


def _flex_texts(node: Any) -> list[str]:
    out: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "text" and isinstance(node.get("text"), str):
            out.append(node["text"])
        for v in node.values():
            out.extend(_flex_texts(v))
    elif isinstance(node, list):
        for v in node:
            out.extend(_flex_texts(v))
    return out


def _flex_actions(node: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "button" and isinstance(node.get("action"), dict):
            out.append(node["action"])
        for k, v in node.items():
            if k != "action":
                out.extend(_flex_actions(v))
    elif isinstance(node, list):
        for v in node:
            out.extend(_flex_actions(v))
    return out


def full_label(action: dict[str, Any]) -> str:
    if action.get("type") == "message" and str(action.get("label", "")).endswith("…"):
        return str(action.get("text", ""))
    if action.get("type") == "postback" and str(action.get("label", "")).endswith("…"):
        return str(action.get("displayText") or action.get("label", ""))
    return str(action.get("label", ""))


def texts(messages: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for msg in messages:
        if msg.get("type") == "text":
            out.append(msg.get("text", ""))
        elif msg.get("type") == "flex":
            out.extend(_flex_texts(msg.get("contents")))
    return out


def buttons(messages: list[dict[str, Any]]) -> list[ScreenButton]:
    out: list[ScreenButton] = []
    for msg in messages:
        if msg.get("type") == "text":
            for item in (msg.get("quickReply") or {}).get("items", []):
                a = item.get("action", {})
                out.append(ScreenButton(full_label(a), a, msg.get("text", "")))
        elif msg.get("type") == "flex":
            contents = msg.get("contents") or {}
            bubbles = (
                contents.get("contents", []) if contents.get("type") == "carousel" else [contents]
            )
            for b in bubbles:
                context = "\n".join(_flex_texts(b))
                for a in _flex_actions(b):
                    out.append(ScreenButton(full_label(a), a, context))
    return out


def has_sticker(messages: list[dict[str, Any]]) -> bool:
    return any(msg.get("type") == "sticker" for msg in messages)


def describe(messages: list[dict[str, Any]]) -> list[str]:
    """Human-readable lines for a transcript: texts, then buttons in brackets."""
    lines: list[str] = []
    for msg in messages:
        if msg.get("type") == "sticker":
            lines.append("(スタンプ)")
            continue
        for t in texts([msg]):
            lines.append(t)
        labels = [b.label for b in buttons([msg])]
        if labels:
            lines.append(" ".join(f"[{label}]" for label in labels))
    return lines
