"""Staff operations on childcare seats and bookings.

Seats per nursery, day and hour (open or close a day); phone bookings from the
same pool of seats and under the same rules as a LINE booking; cancelling on a
parent's behalf (the parent is told on LINE); a day's roster with the answers to
the booking questions, and the rows of the export. Results are typed views; what
cannot be done raises a StaffError of a kind. The staff surfaces write them as
JSON, CSV or pages.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import structlog

from domain import checks, labels, lookup, normalize
from domain.childcare import Childcare, Outcome, Request
from domain.config import Nursery
from domain.errors import Conflict, Invalid, NotFound, StaffError
from domain.interviews import reason_line, same_name
from domain.ledger import Ledger
from domain.lifecycle import Life
from domain.notices import Addressee, Template, notify
from domain.offers import Offers
from domain.registrations import Registrations
from domain.seat_settings import SeatSettings
from domain.services import Services
from domain.views import (
    BookingView,
    CancelledBooking,
    Notice,
    RosterRow,
)
from storage.bookings import BookingDoc

log = structlog.get_logger(__name__)

MAX_EXPORT_DAYS = 400


def phone_booking_id(nursery: str, key: str) -> str:
    """The booking id a phone booking's idempotency key stands for (per nursery)."""
    return "phone-" + hashlib.sha256(f"{nursery}\0{key}".encode()).hexdigest()[:32]


def staff_child_name(services: Services, child: object) -> str:
    """A child's name typed by staff: the rules of the parent's answer on LINE, or empty."""
    sm = services.config.staff.messages
    if not isinstance(child, str):
        raise Invalid(sm.name_not_text, worded=True)
    if not child.strip():
        return ""
    name = normalize.name(child)
    if name is None or normalize.unsafe(child):
        raise Invalid(sm.name_rules, worded=True)
    return name


async def tell_parent(
    services: Services,
    b: BookingDoc,
    n: Nursery,
    template: Template,
    key: str,
    reason: str | None,
) -> Notice:
    """Push `template` about booking `b` to its parent, worded in their language, for
    something staff did: the day, hours, child, why and the nursery's number. A child not on
    LINE: staff phone."""

    def word() -> str:
        msg = services.msg
        return template(msg).format(
            nursery=services.config.nursery(n.id).name,
            day=labels.day(b.day(), msg.formats),
            start=labels.hour(b.start, msg.formats),
            end=labels.hour(b.end, msg.formats),
            child_name=b.child_name,
            reason=reason_line(services, reason),
            phone=n.phone,
        )

    to = Addressee(n.id, b.child_name, b.user, b.registration, b.contact_phone)
    return await notify(services, to, word, key)


class BookingStaff(SeatSettings):
    """Seats (domain/seat_settings.py), phone bookings, cancelling for a parent, the roster
    and the export rows."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.registrations = Registrations(services)

    # -- bookings ------------------------------------------------------------------------------
    async def phone_booking(
        self,
        nursery: str,
        date: dt.date | str,
        from_hour: int | str,
        to_hour: int | str,
        child: str = "",
        unregistered: bool = False,
        phone: str = "",
        idempotency_key: str | None = None,
    ) -> BookingView:
        """A booking taken by phone, for a registered child of the nursery (`child`: its
        registration id or its name as registered) or, `unregistered`, for a child not
        registered on LINE (`child` its name, `phone` whom to call). A registered child's
        booking follows the rules of a LINE booking (domain/childcare.py): it counts toward
        the child's held days, one a day, within its expiry and ages.

        With an `idempotency_key`, the same request sent again (a retry after a lost answer)
        answers with the booking the first one made; the key with another booking is refused.
        Everything is checked before anything is written.
        """
        n, day = (
            lookup.nursery(self.services, nursery),
            checks.within(self.services, lookup.date(self.services, date)),
        )
        start, end = lookup.hour(self.services, from_hour), lookup.hour(self.services, to_hour)
        key = checks.idempotency_key(self.services, idempotency_key)
        sm = self.services.config.staff.messages
        if not (n.hours.open <= start < end <= n.hours.close):
            text = sm.band_outside.format(
                start=labels.hour(start, self.services.msg.formats),
                end=labels.hour(end, self.services.msg.formats),
                nursery=n.name,
                open=labels.hour(n.hours.open, self.services.msg.formats),
                close=labels.hour(n.hours.close, self.services.msg.formats),
            )
            raise Invalid(text, worded=True)
        life, name, contact = None, "", None
        if unregistered:
            name, contact = staff_child_name(self.services, child), normalize.phone(phone or "")
            if not name or contact is None:
                raise Invalid(sm.unregistered_needs, worded=True)
        else:
            life = await self.registered_child(n, child)
            name = life.reg.child_name
        request = Request(
            booking_id=phone_booking_id(n.id, key) if key else self.services.ids.new(),
            nursery=n,
            date=day,
            start=start,
            end=end,
            life=life,
            source="phone",
            child_name=name,
            contact_phone=contact,
        )
        if key is not None:
            await self._same_request(request)
        outcome = await Childcare(self.services).book(request)
        if outcome != "booked":
            raise self._refusal(outcome, request, name)
        stored = await self.services.repos.bookings.get(request.booking_id)
        assert stored is not None
        return self._booking_json(stored, life.reg.child_kana if life else "")

    async def registered_child(self, n: Nursery, child: str) -> Life:
        """The registration at `n` that `child` names: its id, or its child's name (compared
        as a person reads it); refused when none or several match, or it cannot book."""
        sm = self.services.config.staff.messages
        wanted = child.strip()
        if not wanted:
            raise Invalid(sm.unregistered_needs, worded=True)
        lives = await self.registrations.named(n.id, wanted)
        if not lives:
            raise NotFound(sm.child_unknown.format(child=wanted, nursery=n.name), worded=True)
        if len(lives) > 1:
            which = self.registrations.choices([x.reg for x in lives])
            raise Invalid(
                sm.child_ambiguous.format(
                    child=wanted, nursery=n.name, count=len(lives), which=which
                ),
                worded=True,
            )
        life = lives[0]
        if life.state != "cleared":
            state = self.services.config.staff.states[life.state]
            raise Conflict(
                sm.child_not_cleared.format(child=life.reg.child_name, state=state), worded=True
            )
        return life

    async def _same_request(self, r: Request) -> None:
        """The idempotency key names this booking, not another one."""
        before = await self.services.repos.bookings.get(r.booking_id)
        if before is None:
            return
        wanted = {
            "nursery": r.nursery.id,
            "date": r.date.isoformat(),
            "start": r.start,
            "end": r.end,
            "child_name": r.child_name,
            "source": "phone",
        }
        if before.model_dump(include=set(wanted)) != wanted:
            raise Conflict(self.services.config.staff.messages.key_reused, worded=True)

    def _refusal(self, outcome: Outcome, r: Request, name: str) -> StaffError:
        sm, n = self.services.config.staff.messages, r.nursery
        day, band = (
            r.date.isoformat(),
            (
                labels.hour(r.start, self.services.msg.formats),
                labels.hour(r.end, self.services.msg.formats),
            ),
        )
        expiry = r.life.expiry() if r.life is not None else None
        text = {
            "filled": sm.no_seat.format(date=day, start=band[0], end=band[1]),
            "started": sm.no_seat.format(date=day, start=band[0], end=band[1]),
            "limit": sm.child_limit.format(
                child=name, max=self.services.config.booking.max_days_per_child
            ),
            "same_day": sm.child_holds_day.format(child=name, date=day),
            "expired": sm.child_expiry.format(
                child=name,
                date=day,
                expiry=labels.ymd(expiry, self.services.msg.formats) if expiry else "—",
            ),
            "age": sm.child_age.format(
                child=name,
                date=day,
                nursery=n.name,
                ages=labels.ages(self.services.msg, n),
            ),
            "not_cleared": sm.child_not_cleared.format(child=name, state="—"),
        }[outcome]
        return Conflict(text, worded=True)

    async def cancel_booking(
        self, nursery: str, child: str, date: dt.date | str, reason: str | None = None
    ) -> CancelledBooking:
        """Cancel a child's booking on a day (`child`: name, or the booking id); the parent
        is told on LINE, and the seats go to the day's waiting list."""
        n = lookup.nursery(self.services, nursery)
        day = checks.within(self.services, lookup.date(self.services, date), past=True)
        found = [
            b
            for b in await self.services.repos.bookings.on_day(n.id, day)
            if b.id == child or same_name(b.child_name, child)
        ]
        sm = self.services.config.staff.messages
        if not found:
            text = sm.booking_unknown.format(nursery=n.name, date=day.isoformat(), child=child)
            raise NotFound(text, worded=True)
        if len(found) > 1:
            which = sm.list_separator.join(
                sm.booking_choice.format(
                    booking=b.id,
                    start=labels.hour(b.start, self.services.msg.formats),
                    end=labels.hour(b.end, self.services.msg.formats),
                )
                for b in found
            )
            text = sm.booking_ambiguous.format(
                date=day.isoformat(), child=child, count=len(found), which=which
            )
            raise Invalid(text, worded=True)
        b = found[0]
        if not await Ledger(self.services).cancel(b, "staff"):
            raise Conflict(sm.booking_gone, worded=True)
        notice = await tell_parent(
            self.services, b, n, lambda m: m.cancel_staff_push, f"staffcancel:{b.id}", reason
        )
        await Offers(self.services).seats_freed(n.id, day)
        reg = (
            await self.services.repos.registrations.get(b.registration) if b.registration else None
        )
        kana = reg.child_kana if reg else ""
        view = self._booking_json(b.model_copy(update={"status": "cancelled"}), kana)
        return CancelledBooking(**view.model_dump(), **notice.model_dump())

    def _booking_json(
        self, b: BookingDoc, kana: str = "", language: str | None = None
    ) -> BookingView:
        return BookingView(
            booking=b.id,
            status=b.status,
            source=b.source,
            nursery=self.services.config.nursery(b.nursery).name,
            date=b.date,
            start=labels.hour(b.start, self.services.msg.formats),
            end=labels.hour(b.end, self.services.msg.formats),
            child=b.child_name,
            kana=kana,
            language=language,
        )

    # -- roster and export ---------------------------------------------------------------------
    async def _rows(self, n: Nursery, first: dt.date, last: dt.date) -> list[RosterRow]:
        await Ledger(self.services).repair()
        bookings = await self.services.repos.bookings.between(n.id, first, last)
        regs = self.services.repos.registrations
        langs = await lookup.languages(self.services, [b.user for b in bookings])
        rows = []
        for b in bookings:
            reg = await regs.get(b.registration) if b.registration else None
            answers = {q.label: b.answers.get(q.id, "") for q in n.questions}
            view = self._booking_json(b, reg.child_kana if reg else "", langs.get(b.user or ""))
            rows.append(
                RosterRow(
                    **view.model_dump(),
                    birth_date=reg.birth_date if reg else "",
                    sex=reg.sex if reg else "",
                    parent=reg.parent_name if reg else "",
                    phone=reg.phone if reg else b.contact_phone or "",
                    answers=answers,
                    booked_at=lookup.minutes(self.services, b.created_at),
                )
            )
        return rows

    async def roster(self, nursery: str, date: dt.date | str) -> list[RosterRow]:
        """Who comes on a day, by start hour, with the answers to the booking questions."""
        n = lookup.nursery(self.services, nursery)
        day = checks.within(self.services, lookup.date(self.services, date), past=True)
        return await self._rows(n, day, day)

    async def export(
        self, nursery: str, first: dt.date | str, last: dt.date | str
    ) -> list[RosterRow]:
        """The held bookings from `first` to `last` (inclusive), one row each."""
        n = lookup.nursery(self.services, nursery)
        start = checks.within(self.services, lookup.date(self.services, first), past=True)
        end = checks.within(self.services, lookup.date(self.services, last), past=True)
        sm = self.services.config.staff.messages
        if end < start:
            text = sm.range_order.format(first=start.isoformat(), last=end.isoformat())
            raise Invalid(text, worded=True)
        if (end - start).days > MAX_EXPORT_DAYS:
            raise Invalid(sm.export_too_long.format(days=MAX_EXPORT_DAYS + 1), worded=True)
        return await self._rows(n, start, end)

    def questions(self, nursery: str) -> list[str]:
        """The labels of the nursery's booking questions, in order (the export's last columns)."""
        return [q.label for q in lookup.nursery(self.services, nursery).questions]
