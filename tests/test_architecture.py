"""The shape of the tree: layers point one way, the product never imports the QA side, and no
module imports another in a cycle (function-local imports included)."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "flows", "domain", "storage")
# composition roots: they assemble the wings and may import any of them
ROOTS = {"bot.cli", "bot.serve", "bot.__main__"}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """Project modules `name` imports anywhere in its file (module level or in functions)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for t in targets:
            while t and t not in MODULES:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


GRAPH = {name: _imports(name) for name in MODULES}


LAYERS = ("bot", "flows", "domain", "storage")  # each may import only itself and those after it


def _layer(module: str) -> int:
    return LAYERS.index(module.partition(".")[0])


def test_layers_point_one_way() -> None:
    wrong = [(a, b) for a, deps in GRAPH.items() for b in deps if _layer(b) < _layer(a)]
    assert wrong == []


def test_flows_never_import_the_transport_libraries() -> None:
    for name, path in MODULES.items():
        if name.startswith(("flows", "domain", "storage")):
            text = path.read_text(encoding="utf-8")
            assert "import aiohttp" not in text and "from aiohttp" not in text, name
            assert "linebot" not in text, name


def test_the_product_never_imports_the_qa_side() -> None:
    product = [n for n in GRAPH if not n.startswith("bot.qa") and n not in ROOTS]
    wrong = [(a, b) for a in product for b in GRAPH[a] if b.startswith("bot.qa")]
    assert wrong == []


def test_no_import_cycles() -> None:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for m in sorted(GRAPH[n]):
            if m.startswith(n + "."):  # a package importing its own sub-module is no cycle
                continue
            if state.get(m) == 1:
                cycles.append([*stack[stack.index(m) :], m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(GRAPH):
        if n not in state:
            visit(n)
    # a package's __init__ importing from its modules is the usual shape, not a cycle
    cycles = [c for c in cycles if not any(b.startswith(a + ".") for a, b in itertools.pairwise(c))]
    assert cycles == []


def test_the_dialogs_call_no_repository() -> None:
    """Rules are domain use cases: a dialog neither imports storage (its engine only the
    session store it is given) nor reaches the repositories through the services."""
    wrong = [
        (a, b)
        for a, deps in GRAPH.items()
        if a.startswith("flows")
        for b in deps
        if b.startswith("storage") and (a, b) != ("flows.engine", "storage.sessions")
    ]
    assert wrong == []
    for name, path in MODULES.items():
        if name.startswith("flows"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
            assert "repos" not in used, name
