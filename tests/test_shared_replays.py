"""Replays the project's own `tests/replays/` and, beside the repository (as in CI),
every script in `../shared/replays/` as it stands: one test per script."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.qa.replay.report import failure_text
from bot.qa.replay.runner import run_paths
from bot.qa.replay.script import find

OWN = Path(__file__).parent / "replays"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "replays"

SCRIPTS = find([OWN]) + (find([SHARED]) if SHARED.is_dir() else [])


def _id(path: Path) -> str:
    base = SHARED if path.is_relative_to(SHARED) else OWN.parent
    return f"{'shared' if base == SHARED else 'tests'}/{path.relative_to(base)}"


@pytest.mark.parametrize("script", SCRIPTS, ids=[_id(p) for p in SCRIPTS])
def test_replay(script: Path) -> None:
    [result] = asyncio.run(run_paths([script]))
    if result.failure is not None:
        pytest.fail(f"{result.name}\n{failure_text(result)}", pytrace=False)
