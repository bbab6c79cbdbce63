"""`python -m bot replay PATH...`: replay conversation scripts, in-process or against a server."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import aiohttp

from bot.logs import configure
from domain.config import AppConfig
from domain.config_file import load_config
from qa.replay import report
from qa.replay.batch import Plan, plan, run_paths, run_plans
from qa.replay.coverage import Coverage
from qa.replay.runner import Result
from qa.replay.script import Script
from qa.replay.target import RemoteTarget
from qa.standin import LineStandIn


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("replay", help="replay conversation scripts (YAML) and check the answers")
    p.add_argument("paths", nargs="+", type=Path, help="script files or folders (searched deeply)")
    p.add_argument("-k", dest="keyword", help="only scripts whose name or file name has WORD")
    p.add_argument("-j", dest="jobs", type=int, default=8, help="scripts run at once (default 8)")
    p.add_argument("--junit", type=Path, metavar="FILE", help="write a JUnit XML report")
    p.add_argument("--coverage", action="store_true", help="report flow states/transitions reached")
    p.add_argument("--target", metavar="URL", help="replay against a running server")
    p.add_argument("--secret", help="the server's LINE channel secret (with --target)")
    p.add_argument("--line-port", type=int, default=8790, help="LINE stand-in port (--target)")
    p.add_argument("--admin-token", default=os.environ.get("ADMIN_TOKEN", ""), help="admin API")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    configure(os.environ.get("LOG_LEVEL", "CRITICAL"))
    if args.target and not args.secret:
        print("--target needs --secret (the server's LINE_CHANNEL_SECRET)", file=sys.stderr)
        return 2
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    plans = plan(args.paths, args.keyword)
    if not plans:
        print("no scripts found", file=sys.stderr)
        print(report.summary([]))
        return 1
    coverage = Coverage() if args.coverage else None

    def show(r: Result) -> None:
        print(report.line(r), flush=True)
        if not r.passed:
            print(report.failure_text(r), flush=True)

    if args.target:
        standin = LineStandIn()
        await standin.start("127.0.0.1", args.line_port)
        try:
            async with aiohttp.ClientSession() as session:
                # one server, one clock: scripts take turns
                results = await run_plans(plans, _remote(args, standin, session), 1, show)
        finally:
            await standin.stop()
    else:
        results = await run_paths(
            args.paths,
            keyword=args.keyword,
            jobs=args.jobs,
            config=_config(),
            coverage=coverage,
            on_result=show,
        )
    if args.junit:
        report.junit(results, args.junit)
    if coverage is not None:
        print("coverage: measured in-process only" if args.target else coverage.report())
    print(report.summary(results))
    return 0 if all(r.passed for r in results) else 1


def _config() -> AppConfig:
    path = os.environ.get("BOT_CONFIG")
    return load_config(Path(path) if path else None)


def _remote(args: argparse.Namespace, standin: LineStandIn, session: aiohttp.ClientSession):  # type: ignore[no-untyped-def]
    run = f"{time.time_ns():x}"  # users new on every run too (the store is reset per script)

    def make(script: Script, salt: str) -> RemoteTarget:
        return RemoteTarget(
            args.target, args.secret, args.admin_token, standin, session, script.now, run + salt
        )

    return make


__all__ = ["Plan", "main", "register"]
