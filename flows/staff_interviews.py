"""Staff operations on interviews (filled in by its issue)."""

from __future__ import annotations

from flows.services import Services


class InterviewStaff:
    s: Services
