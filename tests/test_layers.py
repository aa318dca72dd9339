"""Imports go only downward, with no exceptions list (issue #16).

Every module of `src/simulacra` is parsed (ast); every `import` and `from ... import` of a
simulacra module counts, at module level or inside a function, except those under
`if TYPE_CHECKING:` (annotations only, never run). A module's layer is its top-level package
(`simulacra.data.generate` -> `data`) or, for a top-level module, the module itself. The order,
bottom first (docs/architecture.md, "Import layering", draws the same):

    shared (atomic, safe_yaml, strict_json, versions, policy, progress_bar)
      -> exact -> engine -> worlds -> envs -> data -> learners -> evaluate -> metrics
      -> study -> report -> {reproduce, lm} -> cli -> simulacra (the package's __init__)

A layer may import only layers below it (and its own modules); layers in one row (the shared
modules; `reproduce` and `lm`) may not import each other. Strict ranks leave no room for a cycle
between packages; a second test forbids cycles between the modules of one package too.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "simulacra"

ORDER: list[tuple[str, ...]] = [
    ("atomic", "safe_yaml", "strict_json", "versions", "policy", "progress_bar"),
    ("exact",),
    ("engine",),
    ("worlds",),
    ("envs",),
    ("data",),
    ("learners",),
    ("evaluate",),
    ("metrics",),
    ("study",),
    ("report",),
    ("reproduce", "lm"),
    ("cli",),
    ("simulacra",),  # the package's own __init__: registers the Gymnasium ids, the public face
]
RANK = {layer: i for i, row in enumerate(ORDER) for layer in row}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skip.update(id(n) for n in ast.walk(child))
    return skip


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported simulacra name) for every import in `path` that can run."""
    return imports_of(path.read_text(encoding="utf-8"), module_name(path),
                      path.name == "__init__.py")


def imports_of(text: str, me: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, imported simulacra name) for every import in module `me`'s source that can run.
    `from a.b import c` gives `a.b.c` (c may be a module; `_resolve` finds out)."""
    package = me.split(".") if is_package else me.split(".")[:-1]
    tree = ast.parse(text)
    skip = _type_checking_nodes(tree)
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            out += [(node.lineno, f"{target}.{a.name}") for a in node.names]
    return [(line, m) for line, m in out if m == "simulacra" or m.startswith("simulacra.")]


def _resolve(module: str, known: set[str]) -> str:
    """`simulacra.x.y.Name` -> the longest known module prefix."""
    parts = module.split(".")
    while len(parts) > 1 and ".".join(parts) not in known:
        parts.pop()
    return ".".join(parts)


def _graph() -> dict[str, list[tuple[int, str]]]:
    files = sorted(SRC.rglob("*.py"))
    assert len(files) > 100, f"found only {len(files)} modules under {SRC}"
    return {module_name(f): imports(f) for f in files}


def test_every_import_goes_downward():
    graph = _graph()
    known = set(graph)
    bad = []
    for me, edges in graph.items():
        for line, target in edges:
            target = _resolve(target, known)
            a, b = layer(me), layer(target)
            assert a in RANK, f"{me}: layer {a!r} is not in ORDER; place it"
            assert b in RANK, f"{target}: layer {b!r} is not in ORDER; place it"
            if a != b and RANK[b] >= RANK[a]:
                bad.append(f"{me}:{line} imports {target} ({a} may not import {b})")
    assert not bad, "upward or sideways imports:\n" + "\n".join(bad)


def test_no_import_cycle_between_modules():
    graph = _graph()
    known = set(graph)
    deps = {m: {_resolve(t, known) for _, t in edges} - {m} for m, edges in graph.items()}
    # A package's __init__ re-exports its modules: the edge module -> its own package's __init__
    # (Python runs the __init__ first anyway) is not a dependency on its siblings.
    deps = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in deps.items()}
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for t in sorted(deps.get(m, ())):
            if state.get(t) == 1:
                return [*stack[stack.index(t):], t]
            if t not in state and (cycle := visit(t)):
                return cycle
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(deps):
        if m not in state and (cycle := visit(m)):
            raise AssertionError("import cycle: " + " -> ".join(cycle))


def test_the_checker_sees_function_level_and_relative_imports():
    """The parser counts what hides: imports inside functions and relative ones; it skips only
    `if TYPE_CHECKING:` blocks. (A checker that missed these would pass anything.)"""
    text = ("from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from simulacra.cli import app\n"
            "def f():\n    from simulacra.study import grid\n"
            "from ..data import dataset\n"
            "import simulacra.report.html\n")
    found = sorted(m for _, m in imports_of(text, "simulacra.exact.probe", False))
    assert found == ["simulacra.data.dataset", "simulacra.report.html", "simulacra.study.grid"]
    known = {"simulacra.study", "simulacra.study.grid", "simulacra.data"}
    assert _resolve("simulacra.study.grid", known) == "simulacra.study.grid"
    assert _resolve("simulacra.data.Dataset", known) == "simulacra.data"
