"""キャンセル待ち (the waiting list): joining a full day's line, leaving it, answering an
offer, and a day's line as staff read it. The rules live here and in domain/offers.py
(offering freed seats); the LINE dialog and the staff surfaces call `Waiting`.

Public API, `Waiting(services)`:

    full_days(life)              -> [date]   the days to show as 「満席・キャンセル待ち」: open,
                                             no free band of `min_hours`, within the horizon,
                                             the expiry and the nursery's ages; not a day the
                                             child holds or already waits for
    open_hours(nursery, day)     -> [int]    the hours a waited-for band may cover (the
                                             nursery open with seats that day, not begun)
    join(life, day, start, end, answers) -> Joined(outcome, entry)
        outcome: `joined` | `already` (the child waits for that day) | `not_cleared` |
        `expired` (past the registration's expiry) | `age` | `outside` (not today..horizon) |
        `band` (not within open_hours, or shorter than min_hours) | `holds_day` |
        `bookable` (the day has a free band: book it instead) | `limit` (the child waits
        for `booking.max_days_per_child` days already)
    of_user(user)                -> [Entry]  the user's entries in line, soonest day first
    leave(user, entry_key)       -> `left` | `gone`
    take(user, offer)            -> Answer   outcome `booked` (a normal booking now: its
        `booking`, the usual completion message) | `already` (taken before: a double tap) |
        `gone` (timed out, declined, passed on) | `limit` (the child holds its days: the
        offer passes on, the child keeps its place) | `same_day` (the child holds that day:
        passed on, the entry ends) | `not_cleared` (passed on, the entry ends)
    decline(user, offer)         -> Answer   outcome `declined` | `already` | `gone`
    line(nursery, day)           -> [Entry]  the day's line for staff, first come first
    remove(nursery, entry_key, reason) -> Notice | None   staff take a child off the line
                                             (the parent is told; None: not in line)

`Answer.fields` fill the catalogue's `messages.waiting` texts ({child_name}, {nursery},
{day}, {start}, {end}, {until}, {max}, {phone}).

Postback data (domain/offers.py builds and reads it: `postback`, `parse_postback`):
    `w|take|<offer>`    予約する on the offer push
    `w|decline|<offer>` 辞退する on the offer push
    `w|leave|<entry>`   leaving the line (`Entry.key`), for 予約を取り消す's list
An offer's id changes with each offer, so a button of an old offer answers `gone`.

Entry statuses (storage/waiting.py): `waiting` → `offered` → `booked`, or `declined`,
`expired`, `left`, `removed`, `ended`. A child waits for at most `max_days_per_child`
days, once per day (any LINE account, any nursery).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import structlog

from domain import ages
from domain.calendar import Calendar, band_seats, default_seats
from domain.childcare import Childcare
from domain.config import Nursery
from domain.lifecycle import Life
from domain.notices import Addressee, notify
from domain.offers import Offers
from domain.services import Services
from domain.views import Notice
from storage.bookings import BookingDoc
from storage.seats import SeatDay
from storage.waiting import ACTIVE, Status, WaitingDoc, entry_id

log = structlog.get_logger(__name__)

JoinOutcome = Literal[
    "joined", "already", "not_cleared", "expired", "age", "outside", "band", "holds_day",
    "bookable", "limit",
]  # fmt: skip
AnswerOutcome = Literal["booked", "already", "gone", "limit", "same_day", "not_cleared", "declined"]


@dataclass(frozen=True)
class Entry:
    """One child in a day's line, as parents and staff read it."""

    key: str  # what leave/remove name (the entry's id)
    nursery: Nursery
    child_name: str
    registration: str
    user: str
    day: dt.date
    start: int
    end: int
    status: Status
    joined_at: dt.datetime
    answers: dict[str, str]
    offer: str | None  # the offer open now (status offered), or the last one
    offered_until: dt.datetime | None
    place: int  # 1: first in line (among the entries still in line); 0: not in line


@dataclass(frozen=True)
class Joined:
    outcome: JoinOutcome
    entry: Entry | None = None


@dataclass(frozen=True)
class Answer:
    outcome: AnswerOutcome
    booking: BookingDoc | None = None  # booked / already: the booking now held
    fields: dict[str, str] = field(default_factory=dict)


def open_hours_of(n: Nursery, stored: SeatDay, now: dt.datetime) -> list[int]:
    """The hours of a stored day with seats (taken or not) that have not begun."""
    date = dt.date.fromisoformat(stored.date)
    seats = stored.seats(default_seats(n, date), n.hours.range())
    return [
        h
        for h, s in seats.items()
        if s > 0 and dt.datetime.combine(date, dt.time(h), now.tzinfo) > now
    ]


class Waiting:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.offers = Offers(services)
        self.childcare = Childcare(services)
        self.calendar = Calendar(services)

    # -- which days and hours ------------------------------------------------------------------
    async def open_hours(self, nursery: Nursery, day: dt.date) -> list[int]:
        stored = await self.services.repos.seats.day(nursery.id, day)
        return open_hours_of(nursery, stored, self.services.now())

    async def full_days(self, life: Life) -> list[dt.date]:
        """The days the child could wait for (see the module's docstring)."""
        s, n = self.services, self.services.config.nursery(life.reg.nursery)
        birth = dt.date.fromisoformat(life.reg.birth_date)
        first = max(s.today(), ages.first_day(n.ages, birth))
        last = min(
            self.calendar.last_day(),
            life.expiry() or self.calendar.last_day(),
            ages.last_day(n.ages, birth),
        )
        if last < first or life.state != "cleared":
            return []
        key = self.childcare.key(life)
        skip = await self.childcare.held_dates(life)
        skip |= {e.date for e in await s.repos.waiting.of_child(key, s.today())}
        min_hours, out = s.config.booking.min_hours, []
        for date, stored in (await s.repos.seats.days(n.id, first, last)).items():
            if date.isoformat() in skip:
                continue
            opened = {h: 1 for h in open_hours_of(n, stored, s.now())}
            free = self.calendar.free(n, stored)
            if band_seats(opened, min_hours) > 0 and band_seats(free, min_hours) == 0:
                out.append(date)
        return out

    # -- joining and leaving -------------------------------------------------------------------
    async def join(
        self,
        life: Life,
        day: dt.date,
        start: int,
        end: int,
        answers: dict[str, str] | None = None,
    ) -> Joined:
        """Put the child in the day's line for the band `start`-`end`, if the rules allow."""
        s, n = self.services, self.services.config.nursery(life.reg.nursery)
        refusal = self.childcare.refusal(life, day)
        if refusal is not None:
            return Joined("expired" if refusal == "expired" else refusal)  # type: ignore[arg-type]
        if not s.today() <= day <= self.calendar.last_day():
            return Joined("outside")
        hours = set(await self.open_hours(n, day))
        band = range(start, end)
        if len(band) < s.config.booking.min_hours or not all(h in hours for h in band):
            return Joined("band")
        if day.isoformat() in await self.childcare.held_dates(life):
            return Joined("holds_day")
        key = self.childcare.key(life)
        mine = await s.repos.waiting.of_child(key, s.today())
        if any(e.date == day.isoformat() for e in mine):
            return Joined("already", await self._entry(next(e for e in mine if e.day() == day)))
        if band_seats(await self.calendar.day_free(n, day), s.config.booking.min_hours) > 0:
            return Joined("bookable")
        limit = s.config.booking.max_days_per_child
        if len(mine) >= limit:
            return Joined("limit")
        doc = WaitingDoc(
            id=entry_id(key, day), user=life.reg.user, registration=life.reg.id, child=key,
            child_name=life.reg.child_name, nursery=n.id, date=day.isoformat(), start=start,
            end=end, answers=answers or {}, joined_at=s.now(),
        )  # fmt: skip
        await s.repos.waiting.end_past(s.today(), s.now())  # yesterday's give their slots
        slots = [f"{key}#{i}" for i in range(limit)]
        outcome, stored = await s.repos.waiting.join(doc, slots)
        if outcome != "joined" or stored is None:
            return Joined(outcome, await self._entry(stored) if stored else None)
        log.info(
            "waiting_joined",
            nursery=n.id,
            date=day.isoformat(),
            registration=stored.registration,
        )
        s.tally("waiting_join", nursery=n.id)
        # a seat freed while this entry was being written is offered now
        await self.offers.seats_freed(n.id, day)
        return Joined("joined", await self._entry((await s.repos.waiting.get(stored.id)) or stored))

    async def leave(self, user: str, key: str) -> Literal["left", "gone"]:
        """The parent leaves the line (an open offer passes on)."""
        e = await self.services.repos.waiting.get(key)
        if e is None or e.user != user or e.status not in ACTIVE:
            return "gone"
        return "left" if await self.offers.withdraw(e, "left") is not None else "gone"

    # -- answering an offer --------------------------------------------------------------------
    async def take(self, user: str, offer: str) -> Answer:
        """予約する: the offer becomes the child's booking (see the module's docstring)."""
        s, repos, offers = self.services, self.services.repos, self.offers
        e = await repos.waiting.by_offer(offer)
        if e is None or e.user != user:
            return Answer("gone")
        fields = offers.fields(e)
        if e.status == "booked":
            return Answer("already", await repos.bookings.get(offer), fields)
        if e.status != "offered" or e.offer != offer:
            return Answer("gone", fields=fields)
        zone, now = s.config.zone(), s.now()
        begins = dt.datetime.combine(e.day(), dt.time(e.start), zone)
        if (e.offered_until is not None and now > e.offered_until) or now >= begins:
            await offers.withdraw(e, "expired")
            return Answer("gone", fields=fields)
        if await offers.unable(e) == "not_cleared":
            await offers.withdraw(e, "ended", "not_cleared")
            return Answer("not_cleared", fields=fields)
        b = await repos.bookings.get(offer)
        if b is None:
            return Answer("gone", fields=fields)
        taken = await offers.ledger.take_hold(b)
        if taken == "booked":
            await offers.follow(e)
            log.info("waiting_taken", registration=e.registration, date=e.date, offer=offer)
            s.tally("waiting_taken", nursery=e.nursery)
            return Answer("booked", await repos.bookings.get(offer), fields)
        if taken is None:  # given up meanwhile (timed out as the parent tapped)
            await offers.follow(e)
            return Answer("gone", fields=fields)
        held = (await repos.allowances.get(e.child)).future(s.today())
        if any(h.date == e.date and h.id != offer for h in held):
            await offers.withdraw(e, "ended", "same_day")
            return Answer("same_day", fields=fields)
        # the child holds its days: the seats pass on, the child keeps its place
        if await offers.ledger.release_hold(b, "limit"):
            await offers.follow(e)
            await offers.seats_freed(e.nursery, e.day())
        return Answer("limit", fields=fields)

    async def decline(self, user: str, offer: str) -> Answer:
        """辞退する: the entry ends and the seats go to the next in line."""
        e = await self.services.repos.waiting.by_offer(offer)
        if e is None or e.user != user:
            return Answer("gone")
        fields = self.offers.fields(e)
        if e.status == "declined" and e.offer == offer:
            return Answer("already", fields=fields)
        if e.status != "offered" or e.offer != offer:
            return Answer("gone", fields=fields)
        if await self.offers.withdraw(e, "declined") is None:
            return Answer("gone", fields=fields)
        self.services.tally("waiting_declined", nursery=e.nursery)
        return Answer("declined", fields=fields)

    # -- reading -------------------------------------------------------------------------------
    async def of_user(self, user: str) -> list[Entry]:
        """The user's entries in line from today on, soonest day first."""
        repos = self.services.repos
        return [
            await self._entry(e) for e in await repos.waiting.of_user(user, self.services.today())
        ]

    async def line(self, nursery: str, day: dt.date) -> list[Entry]:
        """A nursery's day's line for staff, first come first (offered ones included)."""
        line = await self.services.repos.waiting.line(nursery, day)
        return [self._view(e, i + 1) for i, e in enumerate(line)]

    async def _entry(self, e: WaitingDoc) -> Entry:
        place = 0
        if e.status in ACTIVE:
            line = await self.services.repos.waiting.line(e.nursery, e.day())
            place = next((i + 1 for i, x in enumerate(line) if x.id == e.id), 0)
        return self._view(e, place)

    def _view(self, e: WaitingDoc, place: int) -> Entry:
        return Entry(
            key=e.id, nursery=self.services.config.nursery(e.nursery), child_name=e.child_name,
            registration=e.registration, user=e.user, day=e.day(), start=e.start, end=e.end,
            status=e.status, joined_at=e.joined_at.astimezone(self.services.config.zone()),
            answers=e.answers, offer=e.offer, place=place,
            offered_until=(
                e.offered_until.astimezone(self.services.config.zone())
                if e.offered_until else None
            ),
        )  # fmt: skip

    # -- staff ---------------------------------------------------------------------------------
    async def remove(self, nursery: str, key: str, reason: str | None = None) -> Notice | None:
        """Staff take a child off the line (an open offer passes on); the parent is told, or
        listed for staff to phone. None if the entry is not in this nursery's line."""
        e = await self.services.repos.waiting.get(key)
        n = self.services.config.nursery(nursery)
        if e is None or e.nursery != n.id or e.status not in ACTIVE:
            return None
        if await self.offers.withdraw(e, "removed", reason) is None:
            return None

        def word() -> str:  # in the parent's language
            return self.services.msg.waiting.removed_push.format(
                **self.offers.fields(e), reason=self.offers.reason_line(reason)
            )

        to = Addressee(n.id, e.child_name, e.user, e.registration)
        return await notify(self.services, to, word, f"waiting-removed:{e.id}:{e.version}")
