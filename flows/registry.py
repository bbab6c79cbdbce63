"""The flows the bot runs, in menu order; each is declared once and shared by every user.

Each flow's `name` matches the keyword targets in config.yaml.
"""

from __future__ import annotations

from flows.base import Flow
from flows.booking import BookingFlow
from flows.cancel import CancelFlow, ChangeFlow
from flows.interview import InterviewFlow
from flows.registration import RegistrationFlow
from flows.waiting import WaitingFlow

FLOWS: list[type[Flow]] = [
    RegistrationFlow,
    InterviewFlow,
    BookingFlow,
    WaitingFlow,
    CancelFlow,
    ChangeFlow,
]
