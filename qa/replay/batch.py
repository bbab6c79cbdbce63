"""Replaying many scripts: plan them (read and check each), then play them in-process on
fresh stores, or against a server, a few at a time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from domain.config import AppConfig
from domain.config_file import load_config
from flows.base import Flow
from qa.replay.coverage import Coverage
from qa.replay.runner import Failure, Player, Result, TargetFactory
from qa.replay.script import Script, ScriptError, find, load
from qa.replay.target import LocalTarget, StepFailure, one_line
from qa.standin import LineStandIn
from storage.mongo import Store


@dataclass
class Plan:
    """One script to run: parsed, or the error that stopped parsing."""

    path: Path
    script: Script | None
    error: ScriptError | None = None

    @property
    def name(self) -> str:
        if self.script is not None:
            return self.script.name
        try:  # a broken script is still shown by its name when the name can be read
            name = yaml.load(self.path.read_text(encoding="utf-8"), yaml.BaseLoader).get("name")
        except Exception:
            name = None
        return name if isinstance(name, str) else self.path.stem


def plan(paths: list[Path], keyword: str | None = None) -> list[Plan]:
    out: list[Plan] = []
    for f in dict.fromkeys(find(paths)):
        try:
            p = Plan(f, load(f))
        except ScriptError as e:
            p = Plan(f, None, e)
        if keyword and keyword.lower() not in f"{p.name} {f.name}".lower():
            continue
        out.append(p)
    return out


def local_targets(
    config: AppConfig | None = None,
    standin: LineStandIn | None = None,
    flows: list[type[Flow]] | None = None,
    coverage: Coverage | None = None,
    store: Callable[[], Store] | None = None,
) -> TargetFactory:
    def make(script: Script, salt: str) -> LocalTarget:
        return LocalTarget(
            script.now,
            salt,
            config=config,
            standin=standin,
            flows=flows,
            coverage=coverage,
            store=store() if store is not None else None,
        )

    return make


async def run_one(p: Plan, make_target: TargetFactory) -> Result:
    started = time.perf_counter()
    failure: Failure | None
    if p.script is None:
        e = p.error
        assert e is not None
        failure = Failure(e.where, e.line, e.source, e.reason)
        return Result(p.path, p.name, failure)
    try:
        async with make_target(p.script, str(p.path)) as target:
            failure = await Player(p.script, target).play()
    except StepFailure as e:
        failure = Failure("", 0, "", e.reason)
    except Exception as e:
        failure = Failure("", 0, "", f"the replay runner failed: {one_line(e)}")
    return Result(p.path, p.name, failure, time.perf_counter() - started)


async def run_plans(
    plans: list[Plan],
    make_target: TargetFactory,
    jobs: int = 8,
    on_result: Callable[[Result], Awaitable[None] | None] | None = None,
) -> list[Result]:
    """Run scripts `jobs` at a time; `on_result` sees results in file order as they finish."""
    gate = asyncio.Semaphore(max(1, jobs))
    results: list[Result | None] = [None] * len(plans)
    shown = 0

    async def one(i: int, p: Plan) -> None:
        nonlocal shown
        async with gate:
            results[i] = await run_one(p, make_target)
        while shown < len(results) and results[shown] is not None:
            r = results[shown]
            shown += 1
            if on_result is not None:
                maybe = on_result(r)  # type: ignore[arg-type]
                if maybe is not None:
                    await maybe

    await asyncio.gather(*(one(i, p) for i, p in enumerate(plans)))
    return [r for r in results if r is not None]


async def run_paths(
    paths: list[Path],
    *,
    keyword: str | None = None,
    jobs: int = 8,
    config: AppConfig | None = None,
    flows: list[type[Flow]] | None = None,
    coverage: Coverage | None = None,
    on_result: Callable[[Result], Awaitable[None] | None] | None = None,
    store: Callable[[], Store] | None = None,
) -> list[Result]:
    """Run scripts in-process, sharing one LINE stand-in (user IDs differ per script); each
    script on a fresh store: in memory, or what `store()` gives (an empty MongoDB database)."""
    standin = LineStandIn()
    await standin.start()
    try:
        make = local_targets(config or load_config(), standin, flows, coverage, store)
        return await run_plans(plan(paths, keyword), make, jobs, on_result)
    finally:
        await standin.stop()
