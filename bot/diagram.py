"""`python -m bot diagram [FLOW]`: each flow's state diagram as Mermaid text.

Drawn from the flows' machine definitions (states and transitions as the app
builds them), so the diagrams cannot drift from the code. Paste the text into
any Mermaid viewer (GitHub renders ```mermaid blocks). No SVG: that would need
a renderer (mermaid-cli or Graphviz) this project does not install.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from flows.base import END, START, Flow


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    return list(v) if isinstance(v, list | tuple) else [v]


def _node(state: str) -> str:
    return "[*]" if state in (START, END) else state


def mermaid(flow: Flow) -> str:
    """stateDiagram-v2 text: one arrow per (source, trigger, dest), guards in brackets."""
    guards: dict[tuple[str, str, str], list[str]] = {}
    for t in flow.transitions:
        conds = [str(c) for c in _as_list(t.get("conditions"))]
        conds += [f"not {c}" for c in _as_list(t.get("unless"))]
        for src in _as_list(t["source"]):
            guards.setdefault((src, t["trigger"], t["dest"]), []).extend(conds)
    lines = ["---", f"title: {flow.name}", "---", "stateDiagram-v2"]
    for state in flow.machine.states:
        if state not in (START, END):
            lines.append(f"    {state}")
    for src, trigger, dest in dict.fromkeys(flow.edges()):
        conds = guards.get((src, trigger, dest), [])
        label = trigger + (f" [{', '.join(conds)}]" if conds else "")
        lines.append(f"    {_node(src)} --> {_node(dest)} : {label}")
    return "\n".join(lines) + "\n"


def app_flows() -> list[Flow]:
    """The flows exactly as the app builds them (nothing is started)."""
    from bot.app import Settings, build

    return list(build(Settings()).dialog.flows.values())


def run(args: argparse.Namespace, flows: list[Flow] | None = None) -> int:
    flows = app_flows() if flows is None else flows
    if args.flow:
        chosen = [f for f in flows if f.name == args.flow]
        if not chosen:
            known = ", ".join(f.name for f in flows) or "none yet"
            print(f"no flow named {args.flow!r} (flows: {known})", file=sys.stderr)
            return 2
        flows = chosen
    if not flows:
        print("no flows are defined yet", file=sys.stderr)
        return 0
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for f in flows:
            path = out / f"{f.name}.mmd"
            path.write_text(mermaid(f), encoding="utf-8")
            print(path)
        return 0
    print("\n".join(mermaid(f) for f in flows), end="")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("diagram", help="print each flow's state diagram (Mermaid)")
    p.add_argument("flow", nargs="?", help="only this flow (by name)")
    p.add_argument("--out", metavar="DIR", help="write DIR/<flow>.mmd instead of printing")
    p.set_defaults(func=run)
