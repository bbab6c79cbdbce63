"""The staff services, one per subject; the declared operations (bot/staff/operations.py)
call them for every staff surface."""

from __future__ import annotations

from domain.bookings import BookingStaff
from domain.contact_details import ContactDetails
from domain.day_closing import DayClosing
from domain.interview_changes import InterviewChanges
from domain.interviews import InterviewStaff
from domain.notices import StaffCalls
from domain.services import Services


class Staff:
    """Interview, booking and change services over one set of app services."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.interviews = InterviewStaff(services)
        self.bookings = BookingStaff(services)
        self.changes = InterviewChanges(services)
        self.contacts = ContactDetails(services)
        self.closing = DayClosing(services)
        self.calls = StaffCalls(services)
