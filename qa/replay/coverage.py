"""Which flow states and transitions the replayed scripts reached, against those defined."""

from __future__ import annotations

from collections import defaultdict

from flows.base import Flow


class Coverage:
    def __init__(self) -> None:
        self.states: dict[str, list[str]] = {}
        self.edges: dict[str, list[tuple[str, str, str]]] = {}
        self.seen_states: dict[str, set[str]] = defaultdict(set)
        self.seen_edges: dict[str, set[tuple[str, str, str]]] = defaultdict(set)

    def define(self, flows: list[Flow]) -> None:
        for f in flows:
            if f.name not in self.states:
                edges = list(dict.fromkeys(f.edges()))
                used = {s for src, _, dest in edges for s in (src, dest)}
                self.states[f.name] = [s for s in f.machine.states if s in used]
                self.edges[f.name] = edges

    def observe(self, flow: str, source: str, trigger: str, dest: str) -> None:
        """A `bot.services.observers` callback: called on every transition of every flow."""
        self.seen_states[flow].update((source, dest))
        self.seen_edges[flow].add((source, trigger, dest))

    def report(self) -> str:
        if not self.states:
            return "coverage: no flows are defined yet"
        out = ["coverage:"]
        for name, states in self.states.items():
            edges = self.edges[name]
            st = [s for s in states if s in self.seen_states[name]]
            ed = [e for e in edges if e in self.seen_edges[name]]
            out.append(
                f"  {name}: states {_pct(len(st), len(states))}, "
                f"transitions {_pct(len(ed), len(edges))}"
            )
            never_s = [s for s in states if s not in st]
            never_e = [e for e in edges if e not in ed]
            if never_s:
                out.append("    states never reached: " + ", ".join(never_s))
            if never_e:
                out.append("    transitions never taken:")
                out.extend(f"      {s} --{t}--> {d}" for s, t, d in never_e)
        return "\n".join(out)


def _pct(n: int, total: int) -> str:
    return f"{n}/{total} ({100 * n // total if total else 100}%)"
