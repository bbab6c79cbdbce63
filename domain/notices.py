"""Telling a parent of something staff did, and the list of parents staff must phone.

Every push a staff action causes goes through `notify`. The action stands either way;
a parent it did not reach (blocked account, LINE unreachable) or one who booked by
phone is listed (storage/calls.py) until staff mark the call made, so the notice is
not lost with the page that reported it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog

from domain import labels, language, lookup
from domain.catalogue import Messages
from domain.errors import NotFound
from domain.replies import Text
from domain.services import Services
from domain.views import CallView, Delivery, Notice
from storage.calls import CallDoc, Why, call_id
from storage.names import name_key

log = structlog.get_logger(__name__)

Template = Callable[[Messages], str]  # a push's text, from the catalogue of the parent's language


@dataclass(frozen=True)
class Addressee:
    """Whom a staff push is for: a LINE user, or nobody on LINE (a phone booking)."""

    nursery: str
    child: str
    user: str | None
    registration: str | None = None
    phone: str | None = None  # None: the registration's


@asynccontextmanager
async def speaking_to(services: Services, user: str | None) -> AsyncIterator[None]:
    """Word everything inside in the language of the parent `user` (the base for nobody),
    whoever's event or staff page caused it."""
    with language.speaking(await services.language_of(user)):
        yield


async def notify(services: Services, to: Addressee, word: Callable[[], str], key: str) -> Notice:
    """Push the text `word()` makes, worded in the parent's language, to the parent (`key`:
    LINE's retry key); list them to phone if not told (with the text they would have read)."""
    async with speaking_to(services, to.user):
        text = word()
    how: Delivery = "phone"
    if to.user is not None:
        try:
            sent = await services.notifier.push(to.user, [Text(text)], key)
            how = "sent" if sent else "blocked"
        except Exception as e:
            log.warning("staff_push_failed", error=type(e).__name__)
            how = "failed"
    if how != "sent":
        await _to_phone(services, to, text, key, how)
    return Notice.of(how, services.config.console.messages)


async def _to_phone(services: Services, to: Addressee, text: str, key: str, how: Why) -> None:
    phone = to.phone
    if phone is None and to.registration:
        reg = await services.repos.registrations.get(to.registration)
        phone = reg.phone if reg else None
    await services.repos.calls.add(
        CallDoc(
            id=call_id(key),
            nursery=to.nursery,
            at=services.now(),
            why=how,
            child=to.child,
            phone=phone or "",
            text=text,
        )
    )


class StaffCalls:
    """The parents a nursery's staff must phone, and marking a call made."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def _view(self, doc: CallDoc) -> CallView:
        zone = self.services.config.zone()
        return CallView(
            call=doc.id,
            at=doc.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            why=doc.why,
            child=doc.child,
            phone=labels.phone(doc.phone),
            text=doc.text,
            phoned=doc.phoned_at is not None,
        )

    async def open_calls(self, nursery: str) -> list[CallView]:
        n = lookup.nursery(self.services, nursery)
        return [self._view(d) for d in await self.services.repos.calls.open(n.id)]

    async def phoned(self, nursery: str, call: str) -> list[CallView]:
        """Mark the call `call` made, or, given a child's name, every open call about them
        (one call tells a parent everything). Refused if nothing open matches."""
        n = lookup.nursery(self.services, nursery)
        calls = self.services.repos.calls
        wanted = [
            d.id
            for d in await calls.open(n.id)
            if d.id == call or name_key(d.child) == name_key(call)
        ]
        done = await calls.phoned(n.id, wanted, self.services.now())
        if not done:
            sm = self.services.config.staff.messages
            raise NotFound(sm.call_unknown.format(call=call), worded=True)
        return [self._view(d) for d in done]
