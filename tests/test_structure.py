"""Tests of the code's shape: no import circle in src/, modules and functions of readable size, a serving side without torch."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "craftvision"
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 400, 80

#: Modules that must import without torch, timm or scikit-learn (the serving install has none of them).
SERVING = ["craftvision.errors", "craftvision.images", "craftvision.preprocess", "craftvision.predictor",
           "craftvision.taxonomy", "craftvision.review", "craftvision.quality", "craftvision.files"]

#: Sizes known to be over the limit on this branch, fixed on another one; strict, so a fix shows up as a failure
#: that asks for the entry to go.
KNOWN_OVER: dict[str, str] = {}


def _modules() -> dict[str, Path]:
    mods = {}
    for path in sorted(SRC.rglob("*.py")):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts)
        mods[name.removesuffix(".__init__")] = path
    return mods


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Our modules that `name` imports anywhere in its body (module level and inside functions alike)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            found.update(t for t in [base] + [f"{base}.{a.name}" for a in node.names] if t in MODULES)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in MODULES)
    found.discard(name)
    return found


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Import circles, ignoring a package's own face (its __init__ re-exporting its modules)."""
    faces = {m for m, p in MODULES.items() if p.name == "__init__.py"}
    cycles, state, stack = [], {}, []

    def visit(u):
        state[u] = 1
        stack.append(u)
        for v in sorted(edges.get(u, ())):
            if u in faces or v in faces:
                continue
            if state.get(v) == 1:
                cycles.append(stack[stack.index(v):] + [v])
            elif not state.get(v):
                visit(v)
        stack.pop()
        state[u] = 2

    for m in sorted(edges):
        if not state.get(m):
            visit(m)
    return cycles


def test_static_import_graph_has_no_circle():
    """Check that no chain of imports (lazy ones included) leads from a module back to itself."""
    edges = {m: _imports(m, p) for m, p in MODULES.items()}
    assert edges["craftvision.training.recipe"] >= {"craftvision.training.train"}  # the graph is really read
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_a_circle():
    """Check that the circle search reports a planted two-module circle (so the test above can fail)."""
    assert _cycles({"craftvision.bench": {"craftvision.data"}, "craftvision.data": {"craftvision.bench"}}) == [
        ["craftvision.bench", "craftvision.data", "craftvision.bench"]]


def _import_alone(name: str) -> tuple[str, int, str]:
    code = ("import importlib, sys; importlib.import_module(sys.argv[1]); "
            "print(' '.join(m for m in ('torch', 'timm', 'sklearn') if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(SRC.parent / "app"), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, "-c", code, name], capture_output=True, text=True, env=env, timeout=300)
    return name, r.returncode, (r.stdout.strip() if r.returncode == 0 else r.stderr.strip().splitlines()[-1])


@pytest.mark.slow
def test_every_module_imports_alone_and_serving_needs_no_torch():
    """Check that each module imports in a fresh interpreter, and the serving modules pull in no torch, timm or sklearn."""
    names = [m for m in MODULES if m != "craftvision.cli.__main__"]  # __main__ runs the CLI when imported
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_import_alone, names))
    failed = [(n, out) for n, rc, out in results if rc != 0]
    assert failed == []
    heavy = {n: out for n, rc, out in results if n in SERVING and out}
    assert heavy == {}
    assert {n for n, _, _ in results} >= set(SERVING)


def _sizes():
    for name, path in MODULES.items():
        rel = path.relative_to(SRC).as_posix()
        yield rel, len(path.read_text(encoding="utf-8").splitlines()), MAX_MODULE_LINES
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield f"{rel}:{node.name}", node.end_lineno - node.lineno + 1, MAX_FUNCTION_LINES


SIZES = [pytest.param(where, n, limit, marks=pytest.mark.xfail(strict=True, reason=KNOWN_OVER[where]))
         if where in KNOWN_OVER else pytest.param(where, n, limit) for where, n, limit in _sizes()
         if where.startswith("craftvision/")]


@pytest.mark.parametrize("where,lines,limit", SIZES, ids=[p.values[0] for p in SIZES])
def test_modules_and_functions_stay_readable(where, lines, limit):
    """Check that every module of src/craftvision is at most 400 lines and every function at most 80."""
    assert lines <= limit, f"{where} has {lines} lines (limit {limit})"
