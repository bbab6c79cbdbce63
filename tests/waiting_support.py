"""Shared by the waiting-list tests: the domain on a store without HTTP, a notifier that
records pushes (accepting each retry key once, as LINE does), cleared children, full days."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from domain.bookings import BookingStaff
from domain.childcare import Childcare, Request
from domain.lifecycle import Life
from domain.offers import parse_postback
from domain.registrations import Registrations
from domain.replies import Button, Carousel, Reply, Text
from domain.services import Services
from domain.waiting import Waiting
from storage.clock import SequentialIds
from storage.mongo import Store
from storage.repos import Repos
from tests.interview_support import registration

DAY = dt.date(2024, 4, 23)  # a Tuesday; the tests' clock is 2024-04-20 9:00
EXPIRY = dt.date(2025, 3, 31)


@dataclass
class Pushes:
    """A Notifier: records what was pushed; a retry key already accepted is not pushed again."""

    sent: list[tuple[str, list[Reply], str]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    blocked: set[str] = field(default_factory=set)
    down: bool = False

    async def push(self, user_id: str, replies: list[Reply], retry_key: str) -> bool:
        if self.down:
            raise ConnectionError("LINE is down")
        if user_id in self.blocked:
            return False
        if retry_key not in self.keys:
            self.keys.add(retry_key)
            self.sent.append((user_id, replies, retry_key))
        return True

    def texts(self, user: str | None = None) -> list[str]:
        """Every text pushed (an offer card's too)."""
        return [
            text
            for u, replies, _ in self.sent
            if user in (None, u)
            for r in replies
            for text in _texts(r)
        ]

    def offers(self, user: str) -> list[str]:
        """The offer ids of the 予約する buttons pushed to `user`, in order."""
        out = []
        for u, replies, _ in self.sent:
            for r in replies:
                for b in _buttons(r) if u == user else ():
                    parsed = parse_postback(b.data)
                    if parsed is not None and parsed[0] == "take":
                        out.append(parsed[1])
        return out


@dataclass
class World:
    """One app instance's domain (a worker), on the test's store."""

    services: Services
    pushes: Pushes

    @property
    def repos(self) -> Repos:
        return self.services.repos

    @property
    def waiting(self) -> Waiting:
        return Waiting(self.services)

    @property
    def staff(self) -> BookingStaff:
        return BookingStaff(self.services)


async def world(
    store: Store, clock: Any, config: Any, prefix: str = "id", pushes: Pushes | None = None
) -> World:
    repos = Repos.on(store.db, store.ttl_indexes)
    await repos.ensure_indexes()
    pushes = pushes or Pushes()
    return World(Services(config, clock, SequentialIds(prefix), repos, pushes), pushes)


async def cleared(
    w: World,
    user: str,
    child: str = "目黒 太郎",
    born: str = "2022-05-01",
    nursery: str = "futaba",
    expiry: dt.date = EXPIRY,
) -> Life:
    reg = await registration(w, user, nursery=nursery, child=child, born=born)
    now = w.services.now()
    await w.repos.registrations.clear(reg.id, now, now.date(), expiry)
    life = await Registrations(w.services).life(reg.id, slots=False)
    assert life is not None and life.state == "cleared"
    return life


async def fill(
    w: World, day: dt.date = DAY, seats: int = 1, nursery: str = "futaba", start: int = 8
) -> list[str]:
    """`seats` per hour on `day`, every one booked by phone for a child not on LINE, from
    `start` to closing; the booking ids."""
    await w.staff.set_capacity(nursery, day, seats)
    out = []
    for i in range(seats):
        name = f"電話 {'一二三四五六七八九十'[i % 10]}郎"
        view = await w.staff.phone_booking(
            nursery, day, start, 17, child=name, unregistered=True, phone="0312345678"
        )
        out.append(view.booking)
    return out


async def book(w: World, life: Life, day: dt.date, start: int = 9, end: int = 11) -> str:
    """A LINE booking of the child; its id."""
    booking = w.services.ids.new()
    n = w.services.config.nursery(life.reg.nursery)
    outcome = await Childcare(w.services).book(
        Request(booking_id=booking, nursery=n, date=day, start=start, end=end, life=life)
    )
    assert outcome == "booked", outcome
    return booking


async def free_seats(w: World, day: dt.date = DAY, nursery: str = "futaba") -> dict[int, int]:
    n = w.services.config.nursery(nursery)
    return await Childcare(w.services).free(n, day)


async def seat_holders(
    w: World, day: dt.date = DAY, nursery: str = "futaba"
) -> dict[str, list[str]]:
    return (await w.repos.seats.day(nursery, day)).holders


def _texts(r: Reply) -> list[str]:
    if isinstance(r, Text):
        return [r.text]
    return [c.text for c in r.columns] if isinstance(r, Carousel) else []


def _buttons(r: Reply) -> tuple[Button, ...]:
    """The buttons of a text or of a card (the offer's are on a card)."""
    if isinstance(r, Text):
        return r.buttons
    if isinstance(r, Carousel):
        return tuple(b for c in r.columns for b in c.buttons)
    return ()
