"""The small reply model flows speak; `bot.line.render` turns it into LINE messages.

Flows never build LINE objects: a reply here is plain data, so flows stay
testable without the SDK and the renderer alone knows LINE's limits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ButtonKind = Literal["message", "postback", "date", "uri"]


@dataclass(frozen=True, slots=True)
class Button:
    """A tappable choice.

    `message`: tapping sends `label` as the user's text (so typing it works too).
    `postback`: tapping sends `data` unseen. `date`: a date picker posting `data`.
    `uri`: opens `data` in the browser.
    """

    label: str
    kind: ButtonKind = "message"
    data: str = ""
    initial: str | None = None  # date picker: initial/max/min as YYYY-MM-DD
    max: str | None = None
    min: str | None = None


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, slots=True)
class Carousel:
    alt_text: str
    columns: tuple[Column, ...]


@dataclass(frozen=True, slots=True)
class Sticker:
    package_id: str
    sticker_id: str


Reply = Text | Carousel | Sticker


@dataclass(slots=True)
class Outbox:
    """Replies collected while one event is handled, plus pushes to other users."""

    replies: list[Reply] = field(default_factory=list)
    pushes: list[tuple[str, list[Reply]]] = field(default_factory=list)

    def say(self, text: str, *buttons: Button) -> None:
        self.replies.append(Text(text, tuple(buttons)))

    def add(self, reply: Reply) -> None:
        self.replies.append(reply)


def choices(*labels: str) -> tuple[Button, ...]:
    return tuple(Button(label) for label in labels)
