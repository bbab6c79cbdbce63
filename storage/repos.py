"""Every repository, built once from one database."""

from __future__ import annotations

from dataclasses import dataclass

from storage.allowances import Allowances
from storage.audit import AuditLog
from storage.bookings import Bookings
from storage.calls import Calls
from storage.inbox import Leases
from storage.interviews import InterviewSlots
from storage.login_attempts import LoginAttempts
from storage.mongo import Database
from storage.parked import ParkedEvents
from storage.registrations import Registrations
from storage.reminders import ReminderClaims
from storage.seats import Seats
from storage.sessions import Sessions
from storage.staff_accounts import Passwords, StaffAccounts
from storage.staff_sessions import StaffSessions
from storage.tokens import StaffTokens
from storage.users import Users
from storage.waiting import WaitingList


@dataclass
class Repos:
    sessions: Sessions
    leases: Leases
    parked: ParkedEvents
    users: Users
    registrations: Registrations
    interviews: InterviewSlots
    seats: Seats
    bookings: Bookings
    allowances: Allowances
    tokens: StaffTokens
    reminders: ReminderClaims
    audit: AuditLog
    accounts: StaffAccounts
    login_attempts: LoginAttempts
    staff_sessions: StaffSessions
    calls: Calls
    waiting: WaitingList

    @classmethod
    def on(
        cls, db: Database, ttl_indexes: bool = True, passwords: Passwords | None = None
    ) -> Repos:
        """`ttl_indexes=False` for a store whose TTL indexes cost a scan of the collection on
        every access (the in-memory store): expired documents are then deleted by
        `purge_expired`, which the maintenance pass runs."""
        return cls(
            sessions=Sessions(db),
            leases=Leases(db),
            parked=ParkedEvents(db, ttl_indexes),
            users=Users(db),
            registrations=Registrations(db),
            interviews=InterviewSlots(db),
            seats=Seats(db),
            bookings=Bookings(db),
            allowances=Allowances(db),
            tokens=StaffTokens(db),
            reminders=ReminderClaims(db, ttl_indexes),
            audit=AuditLog(db),
            accounts=StaffAccounts(db, passwords),
            login_attempts=LoginAttempts(db, ttl_indexes),
            staff_sessions=StaffSessions(db, ttl_indexes),
            calls=Calls(db),
            waiting=WaitingList(db),
        )

    async def ensure_indexes(self) -> None:
        """Create the indexes (idempotent)."""
        for repo in vars(self).values():
            ensure = getattr(repo, "ensure_indexes", None)
            if ensure is not None:
                await ensure()

    async def purge_expired(self) -> int:
        """Delete parked events and reminder claims past their keep, where no TTL index
        does it; a no-op on MongoDB."""
        purged = 0
        for repo in (self.parked, self.reminders, self.login_attempts, self.staff_sessions):
            purged += await repo.purge_expired()
        return purged
