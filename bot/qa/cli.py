"""The QA side's commands: `replay` and `diagram` (`chat` is wired in bot/cli.py)."""

from __future__ import annotations

import argparse

from bot.qa import diagram
from bot.qa.replay import cli as replay_cli


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    replay_cli.register(sub)
    diagram.register(sub)
