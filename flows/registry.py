"""The flows the bot runs; each is declared once and shared by every user."""

from __future__ import annotations

import importlib

from flows.base import Flow

# module:Class, in menu order. Each flow's `name` matches the keyword targets in config.yaml.
FLOW_CLASSES = (
    "flows.registration:RegistrationFlow",
    "flows.interview:InterviewFlow",
    "flows.booking:BookingFlow",
    "flows.cancel:CancelFlow",
    "flows.cancel:ChangeFlow",
)


def _load() -> list[type[Flow]]:
    out = []
    for ref in FLOW_CLASSES:
        module, cls = ref.split(":")
        try:
            out.append(getattr(importlib.import_module(module), cls))
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
    return out


FLOWS: list[type[Flow]] = _load()
