"""What LINE's Messaging API would refuse in one reply or push: the chat shows it as warnings.

Limits as LINE's API reference gives them (and line-bot-sdk's models check some
of them before sending): at most 5 messages per request; text up to 5000
characters; quick reply up to 13 items; action labels up to 20 characters (40
on a Flex button); postback data and display text up to 300 characters;
a Flex carousel up to 12 bubbles; alt text required on Flex and template
messages (Flex up to 1500 characters, templates up to 400).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

MAX_MESSAGES = 5
MAX_TEXT = 5000
MAX_QUICK_REPLY = 13
MAX_LABEL = 20
MAX_FLEX_BUTTON_LABEL = 40
MAX_DATA = 300
MAX_DISPLAY_TEXT = 300
MAX_BUBBLES = 12
MAX_FLEX_ALT = 1500
MAX_TEMPLATE_ALT = 400
MAX_TEMPLATE_ACTIONS = {"buttons": 4, "confirm": 2}
MAX_TEMPLATE_COLUMNS = 10


def check(messages: list[dict[str, Any]]) -> list[str]:
    """Every limit this request breaks, one plain line each (empty: LINE would take it);
    the same problem found several times is one line with its count."""
    out: list[str] = []
    if len(messages) > MAX_MESSAGES:
        out.append(f"{len(messages)} messages in one request (LINE takes at most {MAX_MESSAGES})")
    for i, msg in enumerate(messages, 1):
        out.extend(f"message {i}: {w}" for w in _message(msg))
    counts = Counter(out)
    return [w if counts[w] == 1 else f"{w} (×{counts[w]})" for w in dict.fromkeys(out)]


def _message(msg: dict[str, Any]) -> list[str]:
    out: list[str] = []
    kind = msg.get("type")
    if kind == "text" and len(str(msg.get("text", ""))) > MAX_TEXT:
        out.append(f"text of {len(msg['text'])} characters (at most {MAX_TEXT})")
    if kind in ("flex", "template"):
        alt = msg.get("altText")
        limit = MAX_FLEX_ALT if kind == "flex" else MAX_TEMPLATE_ALT
        if not isinstance(alt, str) or not alt.strip():
            out.append("alt text missing")
        elif len(alt) > limit:
            out.append(f"alt text of {len(alt)} characters (at most {limit})")
    items = (msg.get("quickReply") or {}).get("items", [])
    if len(items) > MAX_QUICK_REPLY:
        out.append(f"{len(items)} quick reply buttons (at most {MAX_QUICK_REPLY})")
    for item in items:
        out.extend(_action(item.get("action") or {}, MAX_LABEL))
    if kind == "flex":
        out.extend(_flex(msg.get("contents") or {}))
    if kind == "template":
        out.extend(_template(msg.get("template") or {}))
    return out


def _action(a: dict[str, Any], label_limit: int) -> list[str]:
    out: list[str] = []
    label = a.get("label")
    if isinstance(label, str) and len(label) > label_limit:
        out.append(f'label "{label}" has {len(label)} characters (at most {label_limit})')
    data = a.get("data")
    if isinstance(data, str) and len(data) > MAX_DATA:
        out.append(f"postback data of {len(data)} characters (at most {MAX_DATA})")
    shown = a.get("displayText")
    if isinstance(shown, str) and len(shown) > MAX_DISPLAY_TEXT:
        out.append(f"display text of {len(shown)} characters (at most {MAX_DISPLAY_TEXT})")
    return out


def _flex(contents: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if contents.get("type") == "carousel":
        bubbles = contents.get("contents") or []
        if len(bubbles) > MAX_BUBBLES:
            out.append(f"carousel of {len(bubbles)} bubbles (at most {MAX_BUBBLES})")
    for a in _flex_actions(contents):
        out.extend(_action(a, MAX_FLEX_BUTTON_LABEL))
    return out


def _flex_actions(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if isinstance(node.get("action"), dict):
            found.append(node["action"])
        for k, v in node.items():
            if k != "action":
                found.extend(_flex_actions(v))
    elif isinstance(node, list):
        for v in node:
            found.extend(_flex_actions(v))
    return found


def _template(t: dict[str, Any]) -> list[str]:
    out: list[str] = []
    kind = t.get("type")
    columns = t.get("columns") or []
    if kind in ("carousel", "image_carousel") and len(columns) > MAX_TEMPLATE_COLUMNS:
        out.append(f"template carousel of {len(columns)} columns (at most {MAX_TEMPLATE_COLUMNS})")
    actions = list(t.get("actions") or [])
    limit = MAX_TEMPLATE_ACTIONS.get(str(kind))
    if limit is not None and len(actions) > limit:
        out.append(f"{kind} template with {len(actions)} actions (at most {limit})")
    for c in columns:
        actions.extend(c.get("actions") or [])
    for a in actions:
        out.extend(_action(a, MAX_LABEL))
    return out
