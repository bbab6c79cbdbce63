"""キャンセル待ち for staff: a nursery's day's line as staff read it, and taking a child off it
(the parent is told). The rules are domain/waiting.py's (`Waiting.line`, `Waiting.remove`);
this finds what staff named, and words the rows and the refusals for every staff surface
(config `staff.messages.waiting`)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from domain import checks, labels, lookup
from domain.errors import Conflict, Invalid, NotFound
from domain.interviews import same_name
from domain.services import Services
from domain.views import Notice
from domain.waiting import Entry, Waiting


class WaitingEntry(BaseModel):
    """One child's place in a day's line (what the operation log keeps of a removal)."""

    entry: str  # the entry's id (what a removal may name)
    registration: str
    place: int  # 1 is offered first
    date: str
    start: str  # 9:00
    end: str
    child: str
    kana: str = ""
    joined_at: str  # local, minutes (ISO)
    status: str  # waiting | offered (removed: after staff took it off)
    status_label: str  # in staff's words: its place, or until when the seats are held
    offered_until: str | None = None  # local, minutes (ISO), while offered
    language: str | None = None  # the parent's (ja, en); None when not known


class WaitingRow(WaitingEntry):
    """A child in the day's line as staff read it: whom to call, and the answers."""

    birth_date: str = ""
    parent: str = ""
    phone: str = ""  # digits, as the roster has them
    answers: dict[str, str] = {}  # booking question label -> answer


class RemovedWaiting(WaitingEntry, Notice):
    """The entry staff took off the line, and whether its parent was told on LINE (one not
    told is listed to phone, with the number)."""


class WaitingStaff:
    """A day's line for staff, and removing a child from it."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.waiting = Waiting(services)

    async def line(self, nursery: str, date: dt.date | str) -> list[WaitingRow]:
        """The day's line, first come first (offered entries included)."""
        n = lookup.nursery(self.services, nursery)
        day = checks.within(self.services, lookup.date(self.services, date), past=True)
        entries = await self.waiting.line(n.id, day)
        langs = await lookup.languages(self.services, [e.user for e in entries])
        return [await self._row(e, langs.get(e.user)) for e in entries]

    async def find(self, nursery: str, child: str, date: dt.date | str) -> WaitingRow:
        """The entry in the day's line that `child` names: the entry's id, the registration's
        id, or the child's name as registered; refused when none or several match, or the
        day has passed (its line has ended)."""
        n = lookup.nursery(self.services, nursery)
        day = checks.within(self.services, lookup.date(self.services, date))
        wm = self.services.config.staff.messages.waiting
        wanted = child.strip()
        rows = [
            r
            for r in await self.line(n.id, day)
            if wanted in (r.entry, r.registration) or same_name(r.child, wanted)
        ]
        if not rows:
            text = wm.unknown.format(nursery=n.name, date=day.isoformat(), child=wanted)
            raise NotFound(text, worded=True)
        if len(rows) > 1:
            sm = self.services.config.staff.messages
            which = sm.list_separator.join(
                wm.choice.format(registration=r.registration, start=r.start, end=r.end,
                                 parent=r.parent)
                for r in rows
            )  # fmt: skip
            text = wm.ambiguous.format(
                date=day.isoformat(), child=wanted, count=len(rows), which=which
            )
            raise Invalid(text, worded=True)
        return rows[0]

    async def entry(self, nursery: str, child: str, date: dt.date | str) -> WaitingEntry:
        """The place in line `child` names (`find`), without the contact details."""
        row = await self.find(nursery, child, date)
        return WaitingEntry(**row.model_dump(include=set(WaitingEntry.model_fields)))

    async def remove(
        self, nursery: str, child: str, date: dt.date | str, reason: str | None = None
    ) -> RemovedWaiting:
        """Take the child off the day's line (an offer open to it passes on); its parent is
        told on LINE, or listed for staff to phone."""
        n = lookup.nursery(self.services, nursery)
        day = lookup.date(self.services, date)
        row = await self.find(n.id, child, day)
        reason = " ".join((reason or "").split()) or None
        notice = await self.waiting.remove(n.id, row.entry, reason)
        if notice is None:  # booked, declined, left... while staff acted
            text = self.services.config.staff.messages.waiting.gone.format(
                child=row.child, date=day.isoformat()
            )
            raise Conflict(text, worded=True)
        label = self.services.config.staff.messages.waiting.status_removed
        ended = row.model_dump(include=set(WaitingEntry.model_fields))
        ended.update(status="removed", status_label=label, offered_until=None)
        return RemovedWaiting(**ended, **notice.model_dump())

    async def _row(self, e: Entry, language: str | None) -> WaitingRow:
        reg = await self.services.repos.registrations.get(e.registration)
        wm = self.services.config.staff.messages.waiting
        until = e.offered_until
        if e.status == "offered" and until is not None:
            shown = (
                f"{until.hour}:{until.minute:02d}"
                if until.date() == self.services.today()
                else labels.moment(until, self.services.msg.formats)
            )
            status = wm.status_offered.format(until=shown)
        else:
            status = wm.status_waiting.format(place=e.place)
        return WaitingRow(
            entry=e.key,
            registration=e.registration,
            place=e.place,
            date=e.day.isoformat(),
            start=labels.hour(e.start, self.services.msg.formats),
            end=labels.hour(e.end, self.services.msg.formats),
            child=e.child_name,
            kana=reg.child_kana if reg else "",
            birth_date=reg.birth_date if reg else "",
            parent=reg.parent_name if reg else "",
            phone=reg.phone if reg else "",
            answers={q.label: e.answers.get(q.id, "") for q in e.nursery.questions},
            joined_at=lookup.minutes(self.services, e.joined_at),
            status=e.status,
            status_label=status,
            offered_until=(
                lookup.minutes(self.services, until) if e.status == "offered" and until else None
            ),
            language=language,
        )
