"""The staff operations: one service used by the admin API, the staff CLI and replays."""

from __future__ import annotations

from flows.domain.bookings import BookingStaff
from flows.domain.interviews import InterviewStaff
from flows.services import Services


class Staff(InterviewStaff, BookingStaff):
    """Every staff operation. `nursery` arguments take a nursery's id or name."""

    def __init__(self, services: Services) -> None:
        self.s = services
