"""A replay script run from the page: the runner's own run, on a fresh in-memory app.

The script is played exactly as `python -m bot replay FILE` plays it (its own
store, frozen clock and LINE stand-in), so the page's report is the runner's
report; each step is marked passed, failed or not run.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from domain.config import AppConfig
from qa.replay import report
from qa.replay.batch import Plan, local_targets, run_one
from qa.replay.script import ScriptError, load


async def run_script(text: str, filename: str, config: AppConfig) -> dict[str, Any]:
    name = Path(filename or "script.yaml").name
    if not name.endswith((".yaml", ".yml")):
        name += ".yaml"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        try:
            plan = Plan(path, load(path))
        except ScriptError as e:
            plan = Plan(path, None, e)
        result = await run_one(plan, local_targets(config))
        result.path = Path(name)
        shown = plan.name
    lines = [report.line(result)]
    if not result.passed:
        lines.append(report.failure_text(result))
    lines.append(report.summary([result]))
    return {
        "name": shown,
        "passed": result.passed,
        "report": "\n".join(lines),
        "steps": _steps(plan, result.failure.where if result.failure else None),
    }


def _steps(plan: Plan, failed_at: str | None) -> list[dict[str, str]]:
    if plan.script is None:
        return []
    out = []
    status = "not run" if failed_at == "" else "passed"  # "": the script as a whole failed
    for s in [*plan.script.setup, *plan.script.steps]:
        if failed_at is not None and s.where == failed_at:
            out.append({"where": s.where, "step": s.source.removeprefix("- "), "status": "failed"})
            status = "not run"
            continue
        out.append({"where": s.where, "step": s.source.removeprefix("- "), "status": status})
    return out
