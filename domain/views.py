"""What staff services return: typed results the staff surfaces turn into JSON, CSV or pages."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from domain.catalogue import ConsoleMessages

Delivery = Literal["sent", "blocked", "failed", "phone"]


class Notice(BaseModel):
    """Whether a parent was told of a staff action on LINE (if not, staff phone them)."""

    notified: bool
    notice: str
    delivery: Delivery

    @classmethod
    def of(cls, delivery: Delivery, words: ConsoleMessages) -> Notice:
        return cls(notified=delivery == "sent", notice=said(delivery, words), delivery=delivery)


def said(delivery: str, words: ConsoleMessages) -> str:
    """How the parent was told, in staff's `words` (config.yaml `console.messages`: push_*);
    anything but sent, blocked or phone is a delivery that failed."""
    return {
        "sent": words.push_sent,
        "blocked": words.push_blocked,
        "phone": words.push_phone_booking,
    }.get(delivery, words.push_failed)


class CallView(BaseModel):
    """A parent staff must phone: why, about whom, the number, what to tell them."""

    call: str
    at: str  # local, minutes
    why: Delivery  # blocked, failed or phone
    child: str
    phone: str  # as people write it
    text: str
    phoned: bool


class SlotView(BaseModel):
    at: str  # ISO, minutes, local time
    capacity: int
    booked: int
    children: list[str]


class RegistrationView(BaseModel):
    registration: str
    user: str
    child: str
    kana: str
    birth_date: str
    sex: str
    parent: str
    phone: str
    postal_code: str
    address: str
    registered_at: str
    state: str  # domain/lifecycle.py
    state_label: str  # the state in staff's words (config staff.states)
    interview_at: str | None
    missed_interview: str | None = None  # 面談日経過: the interview that passed uncleared
    expiry: str | None
    language: str | None = None  # the parent's: ja, en; None when not known


class DuplicateGroup(BaseModel):
    child: str
    birth_date: str
    registrations: list[RegistrationView]


class Clearance(Notice):
    registration: str
    child: str
    kana: str = ""
    nursery: str
    interview_date: str
    expiry: str


class InterviewChange(Notice):
    """An interview staff cancelled, moved or recorded as missed (times local, in words)."""

    registration: str
    child: str
    kana: str = ""
    nursery: str
    interview: str  # the interview as it was
    moved_to: str | None = None


class RemovalPreview(BaseModel):
    """What removing a registration ends (the console's confirmation shows it first)."""

    registration: str
    child: str
    kana: str = ""
    nursery: str
    interview: str | None  # in words, local time
    bookings: list[str]  # staff.messages.booking_band each


class Removed(RemovalPreview, Notice):
    """A registration staff removed, what went with it and whether the parent was told."""


class Contact(BaseModel):
    parent_name: str
    postal_code: str  # 7 digits
    address: str
    phone: str  # digits


class Correction(Notice):
    """A registration's contact details staff corrected."""

    registration: str
    child: str
    kana: str = ""
    nursery: str
    corrected: list[str]  # the fields that changed
    contact: Contact  # as they are now


class ClosedBooking(BaseModel):
    """A booking cancelled by closing its day, and how its parent learned of it."""

    booking: str
    child: str
    start: str
    end: str
    source: str  # how it was booked: line or phone
    line: bool  # the parent is told on LINE (a registered child), else staff phone
    parent: str
    phone: str  # the number to call, as people write it
    told: Notice | None = None  # None: not closed yet (the preview)


class Closing(BaseModel):
    nursery: str
    date: str
    closed: bool  # False: what closing would cancel
    bookings: list[ClosedBooking]


class HourSeats(BaseModel):
    hour: str
    seats: int
    booked: int
    free: int


class DaySeats(BaseModel):
    nursery: str
    date: str
    open: bool
    day_seats: int  # the number parents see: children that could still book some band
    hours: list[HourSeats]


class SeatsChange(BaseModel):
    """Seats set for a range of days (`hours` in words: 9:00 ...)."""

    nursery: str
    first: str
    last: str
    days: int  # the days changed (the usual closed days left out when asked)
    seats: int
    hours: list[str]


class BookingView(BaseModel):
    booking: str
    status: str
    source: str
    nursery: str
    date: str
    start: str
    end: str
    child: str
    kana: str = ""  # the registered child's furigana; a phone booking's child has none
    language: str | None = None  # the parent's (ja, en); None for a phone booking or unknown


class CancelledBooking(BookingView, Notice):
    pass


class RosterRow(BookingView):
    birth_date: str
    sex: str
    parent: str
    phone: str
    answers: dict[str, str]  # booking question label -> answer
    booked_at: str
