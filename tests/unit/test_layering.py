"""The layers import downward only (web/cli -> search -> models; indexer -> the store and models),
the web knows nothing of the CLI, the CLI reaches the web only through its app factory, and no
import cycle exists, between packages or between modules (imports inside functions included)."""

from __future__ import annotations

import ast
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "cinesearch"


def _modules() -> dict[str, Path]:
    out = {}
    paths = [Path(d) / f for d, _, files in os.walk(ROOT, followlinks=True) for f in files if f.endswith(".py")]
    for path in paths:
        rel = path.relative_to(ROOT).with_suffix("")
        parts = ["cinesearch", *rel.parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The cinesearch modules a module imports, anywhere in it (TYPE_CHECKING blocks left out:
    they never run)."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "cinesearch"


def test_the_module_list_is_the_package():
    assert {"cinesearch.settings", "cinesearch.errors", "cinesearch.cli.main", "cinesearch.web.app",
            "cinesearch.search.engine", "cinesearch.indexer.pipeline", "cinesearch.models.registry"} <= set(GRAPH)


ALLOWED = {   # package -> the packages it may import
    "settings": {"errors"},
    "errors": set(),
    "models": {"settings", "errors", "cinesearch"},
    "search": {"models", "settings", "errors", "cinesearch"},
    "indexer": {"models", "search", "settings", "errors", "cinesearch"},   # search.store only, checked below
    "web": {"search", "models", "settings", "errors", "cinesearch"},
    "cli": {"web", "indexer", "search", "models", "settings", "errors", "cinesearch"},
    "cinesearch": set(),
}


def test_packages_import_downward_only():
    bad = [(m, d) for m, deps in GRAPH.items() for d in deps
           if _package(d) != _package(m) and _package(d) not in ALLOWED[_package(m)]]
    assert bad == []


def test_the_indexer_reaches_search_only_for_the_store():
    bad = [(m, d) for m, deps in GRAPH.items() if _package(m) == "indexer" for d in deps
           if _package(d) == "search" and not d.startswith("cinesearch.search.store")]
    assert bad == []


def test_web_knows_no_cli_and_the_cli_reaches_the_web_only_through_its_app_factory():
    assert not [(m, d) for m, deps in GRAPH.items() if _package(m) == "web" for d in deps if _package(d) == "cli"]
    assert {d for m, deps in GRAPH.items() if _package(m) == "cli" for d in deps if _package(d) == "web"} == \
        {"cinesearch.web.app"}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep):], dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_between_packages():
    packages: dict[str, set[str]] = {}
    for m, deps in GRAPH.items():
        packages.setdefault(_package(m), set()).update(_package(d) for d in deps if _package(d) != _package(m))
    packages.pop("cinesearch", None)
    for deps in packages.values():
        deps.discard("cinesearch")
    assert _cycle(packages) is None


def test_no_import_cycle_between_modules():
    # A package's __init__ re-exporting its modules is not a cycle of its own modules importing it.
    graph = {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in GRAPH.items()}
    assert _cycle(graph) is None
