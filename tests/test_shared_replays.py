"""Replays the project's own `tests/replays/` and, beside the repository (as in CI),
every script in `../shared/replays/` as it stands: one test per script, on every store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from domain.config import AppConfig
from qa.replay.batch import run_paths
from qa.replay.report import failure_text
from qa.replay.runner import Result
from qa.replay.script import find
from storage.mongo import Store
from tests.conftest import drop_store, new_store

OWN = Path(__file__).parent / "replays"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "replays"

SCRIPTS = find([OWN]) + (find([SHARED]) if SHARED.is_dir() else [])


def _id(path: Path) -> str:
    base = SHARED if path.is_relative_to(SHARED) else OWN.parent
    return f"{'shared' if base == SHARED else 'tests'}/{path.relative_to(base)}"


async def replay(script: Path, backend: str, config: AppConfig) -> Result:
    """One script on a fresh store of `backend` (a database of its own on a server)."""
    made: list[Store] = []

    def store() -> Store:
        made.append(new_store(backend))
        return made[-1]

    try:
        [result] = await run_paths([script], store=store, config=config)
    finally:
        for s in made:
            await drop_store(s)
    return result


@pytest.mark.parametrize("script", SCRIPTS, ids=[_id(p) for p in SCRIPTS])
def test_replay(script: Path, backend: str, config: AppConfig) -> None:
    result = asyncio.run(replay(script, backend, config))
    if result.failure is not None:
        pytest.fail(f"{result.name}\n{failure_text(result)}", pytrace=False)
