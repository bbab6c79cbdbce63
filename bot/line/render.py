"""Turns the flows' reply model into LINE message objects (as JSON dicts) within LINE's limits.

Limits kept here, so the API never refuses a reply: at most 5 messages per
request (the rest go in further batches, sent as pushes); text ≤ 5000
characters; quick reply ≤ 13 items with labels ≤ 20 characters (buttons with a
longer label, a nursery's name in English for one, go on a card instead, whose
buttons show 40; a label longer still is shortened, the text it sends stays whole);
Flex carousels ≤ 12 bubbles; postback data ≤ 300 characters.
"""

from __future__ import annotations

from typing import Any

from domain.replies import Button, Carousel, Column, Reply, Sticker, Text

MAX_MESSAGES = 5
MAX_TEXT = 5000
MAX_QUICK_REPLY = 13
MAX_LABEL = 20
MAX_FLEX_LABEL = 40
MAX_BUBBLES = 12
BUTTONS_PER_BUBBLE = 8
MAX_DATA = 300
MAX_ALT = 400

Message = dict[str, Any]


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def action(b: Button, limit: int = MAX_LABEL) -> dict[str, Any]:
    label = _short(b.label, limit)
    if b.kind == "message":
        return {"type": "message", "label": label, "text": b.label}
    if len(b.data) > MAX_DATA:
        raise ValueError(f"postback data over {MAX_DATA} characters")
    if b.kind == "postback":
        return {"type": "postback", "label": label, "data": b.data, "displayText": b.label}
    if b.kind == "date":
        a = {"type": "datetimepicker", "label": label, "data": b.data, "mode": "date"}
        for key in ("initial", "max", "min"):
            if getattr(b, key):
                a[key] = getattr(b, key)
        return a
    return {"type": "uri", "label": label, "uri": b.data}


def _texts(text: str) -> list[str]:
    return [text[i : i + MAX_TEXT] for i in range(0, len(text), MAX_TEXT)] or [""]


def _bubble(title: str | None, text: str, buttons: tuple[Button, ...]) -> dict[str, Any]:
    body: list[dict[str, Any]] = []
    if title:
        body.append({"type": "text", "text": title, "weight": "bold", "wrap": True})
    body.append({"type": "text", "text": text or " ", "wrap": True, "size": "sm"})
    bubble: dict[str, Any] = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
    }
    if buttons:
        bubble["footer"] = {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": [
                {
                    "type": "button",
                    "style": "primary" if b.kind != "uri" else "link",
                    "height": "sm",
                    "adjustMode": "shrink-to-fit",  # a long label (a nursery) shown whole
                    "action": action(b, MAX_FLEX_LABEL),
                }
                for b in buttons
            ],
        }
    return bubble


def _flex(alt: str, bubbles: list[dict[str, Any]]) -> list[Message]:
    out = []
    for i in range(0, len(bubbles), MAX_BUBBLES):
        page = bubbles[i : i + MAX_BUBBLES]
        contents = page[0] if len(page) == 1 else {"type": "carousel", "contents": page}
        out.append({"type": "flex", "altText": _short(alt, MAX_ALT), "contents": contents})
    return out


def _text(reply: Text) -> list[Message]:
    parts = _texts(reply.text)
    buttons = reply.buttons
    if not buttons:
        return [{"type": "text", "text": p} for p in parts]
    quick = (
        all(b.kind != "uri" and len(b.label) <= MAX_LABEL for b in buttons)
        and len(buttons) <= MAX_QUICK_REPLY
    )
    if quick:
        msgs: list[Message] = [{"type": "text", "text": p} for p in parts]
        msgs[-1]["quickReply"] = {
            "items": [{"type": "action", "action": action(b)} for b in buttons]
        }
        return msgs
    pages = [
        buttons[i : i + BUTTONS_PER_BUBBLE] for i in range(0, len(buttons), BUTTONS_PER_BUBBLE)
    ]
    lead = [{"type": "text", "text": p} for p in parts[:-1]]
    return lead + _flex(parts[-1], [_bubble(None, parts[-1], page) for page in pages])


def _carousel(reply: Carousel) -> list[Message]:
    cols: tuple[Column, ...] = reply.columns
    return _flex(reply.alt_text, [_bubble(c.title, c.text, c.buttons) for c in cols])


def render(replies: list[Reply]) -> list[list[Message]]:
    """LINE messages in batches of at most 5: the first batch is the reply, the rest pushes."""
    msgs: list[Message] = []
    for r in replies:
        if isinstance(r, Text):
            msgs.extend(_text(r))
        elif isinstance(r, Carousel):
            msgs.extend(_carousel(r))
        elif isinstance(r, Sticker):
            msgs.append({"type": "sticker", "packageId": r.package_id, "stickerId": r.sticker_id})
    msgs = _merge_plain_texts(msgs)
    return [msgs[i : i + MAX_MESSAGES] for i in range(0, len(msgs), MAX_MESSAGES)]


def _merge_plain_texts(msgs: list[Message]) -> list[Message]:
    """Over 5 messages, join neighbouring plain texts (no buttons) so fewer batches are needed."""
    if len(msgs) <= MAX_MESSAGES:
        return msgs
    out: list[Message] = []
    for m in msgs:
        prev = out[-1] if out else None
        if (
            prev is not None
            and m["type"] == "text"
            and prev["type"] == "text"
            and "quickReply" not in prev
            and len(prev["text"]) + len(m["text"]) + 1 <= MAX_TEXT
        ):
            prev["text"] = prev["text"] + "\n" + m["text"]
            if "quickReply" in m:
                prev["quickReply"] = m["quickReply"]
        else:
            out.append(dict(m))
    return out
