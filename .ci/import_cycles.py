"""Fail on any import cycle made of module-level imports (run by `make lint`).

import-linter's contracts see every import, including the late ones inside a function
body that Django code uses on purpose (an app's `ready()`, a command's handler). This
check sees only what runs when a module is imported: top-level statements, outside
`def` and outside `if TYPE_CHECKING:`. Any cycle among those is a defect.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [
    "kindnet", "crm", "partners", "municipalities", "ambassadors",
    "geocoding", "exchange", "publicmap", "api",
]  # fmt: skip


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def top_level_imports(path: Path, name: str, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".")
                    anchor = anchor if is_package else anchor[:-1]
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If):
                test = ast.unparse(node.test)
                if "TYPE_CHECKING" not in test:
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try | ast.With):
                visit(node.body)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(tree.body)
    # Keep project modules only, and the package itself stands for `from pkg import sub`.
    return {imported for imported in found if imported in known and imported != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                strong(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in graph:
        if node not in index:
            strong(node)
    return found


def main() -> int:
    paths = [
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    ]
    known = {module_name(path) for path in paths}
    graph = {module_name(p): top_level_imports(p, module_name(p), known) for p in paths}
    # `from a.b import c` where c is a name, not a module, leaves `a.b`; a package's
    # __init__ importing its own submodules is not a cycle with them.
    for name, imports in graph.items():
        graph[name] = {i for i in imports if not name.startswith(f"{i}.")}
    found = cycles(graph)
    for component in found:
        print("Import cycle at module level:", " <-> ".join(component))
    print(f"{len(graph)} modules, {len(found)} import cycle(s) at module level.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
