"""The shape of the tree: layers point one way, the product never imports the QA side, and no
module imports another in a cycle (function-local imports included)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "flows", "domain", "storage", "qa")
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
QA = "qa"  # the QA wing, beside the product: it may import the product, never the reverse


def _layer(module: str) -> int:
    return LAYERS.index(module.partition(".")[0])


def wrong_layers(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return [
        (a, b)
        for a, deps in graph.items()
        if not a.startswith(QA)
        for b in deps
        if not b.startswith(QA) and _layer(b) < _layer(a)
    ]


def qa_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Product modules importing the QA wing (the composition roots aside)."""
    return [
        (a, b)
        for a, deps in graph.items()
        if a.partition(".")[0] != QA and a not in ROOTS
        for b in deps
        if b.partition(".")[0] == QA
    ]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or round about (strongly
    connected components of more than one module, or a module importing itself). A
    package's edge to its own modules counts: `pkg/__init__.py` importing `pkg.views`
    while `pkg.views` imports `pkg` is a cycle like any other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in graph.get(v, ()):
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_layers_point_one_way() -> None:
    assert wrong_layers(GRAPH) == []


def test_flows_never_import_the_transport_libraries() -> None:
    for name, path in MODULES.items():
        if name.startswith(("flows", "domain", "storage")):
            text = path.read_text(encoding="utf-8")
            assert "import aiohttp" not in text and "from aiohttp" not in text, name
            assert "linebot" not in text, name


def test_the_product_never_imports_the_qa_side() -> None:
    assert qa_imports(GRAPH) == []


def test_no_import_cycles() -> None:
    assert cycles(GRAPH) == []


def test_the_checks_see_a_planted_cycle_and_a_product_import_of_the_qa_wing() -> None:
    planted = {k: set(v) for k, v in GRAPH.items()}
    planted["bot.staff.console"] = {"bot.staff.console.views_days"}  # a package and its module
    assert any(
        {"bot.staff.console", "bot.staff.console.views_days"} <= set(c) for c in cycles(planted)
    )
    planted = {k: set(v) for k, v in GRAPH.items()}
    planted["storage.repos"] = planted["storage.repos"] | {"domain.ledger"}  # round about
    assert any("storage.repos" in c and "domain.ledger" in c for c in cycles(planted))
    assert ("storage.repos", "domain.ledger") in wrong_layers(planted)
    planted = {k: set(v) for k, v in GRAPH.items()}
    planted["bot.app"] = planted["bot.app"] | {"qa.harness"}
    assert qa_imports(planted) == [("bot.app", "qa.harness")]


def test_modules_are_at_most_400_lines() -> None:
    long = {
        name: n
        for name, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}


def test_no_function_local_import_is_left() -> None:
    """Imports stand at the top of a module; the one kept inside a function says why."""
    kept = {"storage.mongo"}  # the in-memory store's mongomock, never loaded on MongoDB
    inside = set()
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if any(isinstance(n, ast.Import | ast.ImportFrom) for n in ast.walk(node)):
                    inside.add(name)
    assert inside == kept


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
