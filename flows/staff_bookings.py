"""Staff operations on bookings (filled in by its issue)."""

from __future__ import annotations

from flows.services import Services


class BookingStaff:
    s: Services
