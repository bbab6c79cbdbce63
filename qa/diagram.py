"""`python -m bot diagram [FLOW]`: each flow's state diagram as Mermaid text, and a
registration's life cycle (`lifecycle`, domain/lifecycle.py) beside them.

Drawn from the machines' definitions (states and transitions as the app builds
them), so the diagrams cannot drift from the code. Paste the text into
any Mermaid viewer (GitHub renders ```mermaid blocks). With `--out DIR --svg`
a plain SVG is written too, laid out here (states in rows by distance from the
start), since mermaid-cli and Graphviz are not installed.

transitions' own Mermaid output (`GraphMachine(graph_engine="mermaid")`, 0.9.3) was
tried and does not serve here: it merges the triggers between two states into one
arrow (`limit | confirm | stop`), and draws the flows' `start` and `end` states as
ordinary states (`end` is also a word Mermaid reserves), where these diagrams draw one
arrow per declared transition, as replay coverage counts them, with entries and endings
as `[*]`.
"""

from __future__ import annotations

import argparse
import sys
from html import escape
from pathlib import Path
from typing import Any

from bot.app import build
from bot.context import Settings
from domain.lifecycle import LIFECYCLE, Lifecycle
from flows.base import END, START, Flow

Drawn = Flow | Lifecycle  # a dialog, or a registration's life cycle


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    return list(v) if isinstance(v, list | tuple) else [v]


def _node(state: str) -> str:
    return "[*]" if state in (START, END) else state


def mermaid(flow: Drawn) -> str:
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


def svg(flow: Drawn) -> str:
    """A simple drawing: rows by distance from `start`, arrows labelled with triggers."""
    edges = list(dict.fromkeys(flow.edges()))
    drawn = list(dict.fromkeys([START, *flow.machine.states]))
    level: dict[str, int] = {START: 0}
    frontier = [START]
    while frontier:
        nxt = []
        for src, _, dest in edges:
            if src in frontier and dest not in level:
                level[dest] = level[src] + 1
                nxt.append(dest)
        frontier = nxt
    deepest = max(level.values(), default=0)
    for state in drawn:  # unreachable states get a row of their own
        level.setdefault(state, deepest + 1)
    rows: dict[int, list[str]] = {}
    for state in drawn:
        rows.setdefault(level[state], []).append(state)
    w, h, gx, gy = 150, 36, 60, 90
    width = max(len(r) for r in rows.values()) * (w + gx) + gx
    pos = {
        st: (gx + i * (w + gx) + w / 2, 40 + row * (h + gy) + h / 2)
        for row, states in rows.items()
        for i, st in enumerate(states)
    }
    height = 40 + (max(rows) + 1) * (h + gy)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        '<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>',
        f'<text x="10" y="20" font-size="14" font-weight="bold">{escape(flow.name)}</text>',
    ]
    for src, trigger, dest in edges:
        (x1, y1), (x2, y2) = pos[src], pos[dest]
        if src == dest:
            r = x1 + w / 2  # a loop on the right side of the box
            path = f"M{r},{y1 - 8} C{r + 40},{y1 - 30} {r + 40},{y1 + 30} {r},{y1 + 8}"
            lx, ly = r + 34, y1
        else:
            sy = y1 + (h / 2 if y2 > y1 else -h / 2 if y2 < y1 else 0)
            ey = y2 - (h / 2 if y2 > y1 else -h / 2 if y2 < y1 else 0)
            mx, my = (x1 + x2) / 2 + (20 if y2 <= y1 else 0), (sy + ey) / 2
            path = f"M{x1},{sy} Q{mx},{my} {x2},{ey}"
            lx, ly = mx, my - 4
        out.append(f'<path d="{path}" fill="none" stroke="#555" marker-end="url(#a)"/>')
        out.append(f'<text x="{lx}" y="{ly}" fill="#a33">{escape(trigger)}</text>')
    for st, (x, y) in pos.items():
        fill = "#eee" if st in (START, END) else "#dfeaff"
        out.append(
            f'<rect x="{x - w / 2}" y="{y - h / 2}" width="{w}" height="{h}" rx="10" '
            f'fill="{fill}" stroke="#336"/>'
        )
        out.append(f'<text x="{x}" y="{y + 4}" text-anchor="middle">{escape(st)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def app_flows() -> list[Flow]:
    """The flows exactly as the app builds them (nothing is started)."""
    return list(build(Settings()).dialog.flows.values())


def run(args: argparse.Namespace, flows: list[Drawn] | None = None) -> int:
    flows = [*app_flows(), LIFECYCLE] if flows is None else flows
    if args.flow:
        chosen = [f for f in flows if f.name == args.flow]
        if not chosen:
            known = ", ".join(f.name for f in flows) or "none yet"
            print(f"no flow named {args.flow!r} (flows: {known})", file=sys.stderr)
            return 2
        flows = chosen
    if args.svg and not args.out:
        print("--svg needs --out DIR", file=sys.stderr)
        return 2
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
            if args.svg:
                drawing = out / f"{f.name}.svg"
                drawing.write_text(svg(f), encoding="utf-8")
                print(drawing)
        return 0
    print("\n".join(mermaid(f) for f in flows), end="")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "diagram",
        help="print each flow's state diagram, and a registration's life cycle (Mermaid)",
    )
    p.add_argument("flow", nargs="?", help="only this flow (by name)")
    p.add_argument("--out", metavar="DIR", help="write DIR/<flow>.mmd instead of printing")
    p.add_argument("--svg", action="store_true", help="with --out: also write DIR/<flow>.svg")
    p.set_defaults(func=run)
