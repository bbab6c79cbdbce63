"""What the console says: its message catalogue for a request, and the flash message (with
the form values to show again) that the next page this browser opens shows."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp_session import get_session

from bot.context import BOT
from domain.catalogue import ConsoleMessages


def messages(request: web.Request) -> ConsoleMessages:
    return request.app[BOT].config.console.messages


async def flash(request: web.Request, kind: str, text: str, kept: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """A message (and the form values to show again) for the next page this browser opens."""
    session = await get_session(request)
    session["flash"] = {"kind": kind, "text": text, "kept": kept or {}}


async def take_flash(request: web.Request) -> dict[str, Any]:
    session = await get_session(request)
    return session.pop("flash", None) or {"kind": "", "text": "", "kept": {}}
