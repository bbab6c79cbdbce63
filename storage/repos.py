"""Every repository, built once from one database."""

from __future__ import annotations

from dataclasses import dataclass

from storage.allowances import Allowances
from storage.audit import AuditLog
from storage.bookings import Bookings
from storage.inbox import Inbox, Leases
from storage.interviews import InterviewSlots
from storage.mongo import Database
from storage.registrations import Registrations
from storage.seats import Seats
from storage.sessions import Sessions
from storage.tokens import StaffTokens
from storage.users import Users


@dataclass
class Repos:
    sessions: Sessions
    inbox: Inbox
    leases: Leases
    users: Users
    registrations: Registrations
    interviews: InterviewSlots
    seats: Seats
    bookings: Bookings
    allowances: Allowances
    tokens: StaffTokens
    audit: AuditLog

    @classmethod
    def on(cls, db: Database) -> Repos:
        return cls(
            sessions=Sessions(db),
            inbox=Inbox(db),
            leases=Leases(db),
            users=Users(db),
            registrations=Registrations(db),
            interviews=InterviewSlots(db),
            seats=Seats(db),
            bookings=Bookings(db),
            allowances=Allowances(db),
            tokens=StaffTokens(db),
            audit=AuditLog(db),
        )

    async def ensure_indexes(self) -> None:
        for repo in vars(self).values():
            ensure = getattr(repo, "ensure_indexes", None)
            if ensure is not None:
                await ensure()
