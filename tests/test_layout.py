"""The package's layout holds: a core that imports no server library, and no import circles."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "async_handler"
ROOT = PACKAGE.parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports, anywhere but under `if TYPE_CHECKING`."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = graph.setdefault(name, set())
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if _type_checking_only(node, parents):
                continue
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                # `from pkg import mod` imports mod; pkg/__init__ is then only a parent.
                subs = [f"{base}.{alias.name}" for alias in node.names]
                targets = [s for s in subs if s in modules] or [base]
                if any(s not in modules for s in subs):
                    targets.append(base)
            edges.update(t for t in targets if t in modules and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles() -> None:
    graph = import_graph()
    assert graph["async_handler.application"] >= {"async_handler.core.handler"}
    assert cycles(graph) == []


def test_cycle_finder_finds_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_core_imports_no_server_library() -> None:
    """Importing every core and threads module loads neither aiohttp nor gunicorn."""
    names = sorted(n for n in _modules()
                   if n.startswith(("async_handler.core", "async_handler.threads")))
    assert "async_handler.core.handler" in names
    code = ("import sys, django; from django.conf import settings; settings.configure(); "
            "django.setup()\n"
            + "".join(f"import {n}\n" for n in names)
            + "print(sorted(m for m in ('aiohttp', 'gunicorn', 'uvicorn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]", out


def test_public_import_paths() -> None:
    from async_handler import AsyncDjangoApplication, get_asgi_application, get_async_application
    from async_handler.worker import AiohttpUVLoopWorker, AiohttpWorker

    assert issubclass(AiohttpUVLoopWorker, AiohttpWorker)
    assert callable(get_asgi_application) and callable(get_async_application)
    assert AsyncDjangoApplication.__module__ == "async_handler.application"


def test_streaming_sits_beside_the_front_ends() -> None:
    """streaming/ (the @stream_body view side) builds on the core; the core and the front
    ends never import it, and it imports neither front end: the core finds a streaming view
    by the mark it sets (core/streamcheck.py)."""
    graph = import_graph()
    streaming = {n for n in graph if n.startswith("async_handler.streaming")}
    assert "async_handler.streaming.decorator" in streaming
    for name, edges in graph.items():
        if name.startswith(("async_handler.core", "async_handler.aiohttp", "async_handler.asgi",
                            "async_handler.threads")):
            assert not edges & streaming, (name, edges & streaming)
    for name in streaming:
        assert not {e for e in graph[name]
                    if e.startswith(("async_handler.aiohttp", "async_handler.asgi"))}, name
