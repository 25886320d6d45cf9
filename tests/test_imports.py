"""The build's import graph (docs/architecture.md): no cycle, no private names, one direction."""

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "soleus_analysis"
#: The build's modules, from the bottom up (docs/architecture.md, layer 6).
BUILD_ORDER = [
    "inputs",
    "parts",
    "safe",
    "quarantine",
    "output",
    "options",
    "steps",
    "report",
    "dask_session",
    "pandas_engine",
    "dask_engine",
    "run",
    "study",
]
#: Modules whose imports this file checks (the CLI, the build, the report runner and the loads).
CHECKED = (
    "soleus_analysis.cli",
    "soleus_analysis.report",
    "soleus_analysis.build",
    "soleus_analysis.loads",
)


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


@functools.cache
def _imports(name: str) -> list[tuple[str, str | None]]:
    """(module imported, name taken from it or None) for every import of the package's modules.

    Imports inside functions count too.
    """
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names if a.name.startswith("soleus_analysis")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if not base.startswith("soleus_analysis"):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((sub, None) if sub in MODULES else (base, alias.name))
    return found


@functools.cache
def _edges() -> dict[str, set[str]]:
    return {
        m: {t for t, _ in _imports(m) if t in MODULES and t != m and not m.startswith(t + ".")}
        for m in MODULES
    }


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_checker_finds_cycles_and_private_names():
    # The checks below could pass by finding nothing: show that they see what they look for.
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert ("soleus_analysis.build.inputs", "find_inputs") in _imports(
        "soleus_analysis.build.parts"
    )


def test_no_import_cycle_goes_through_the_build_the_cli_the_report_runner_or_the_loads():
    for cycle in _cycles(_edges()):
        assert not any(m.startswith(CHECKED) for m in cycle), cycle


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith(CHECKED)))
def test_no_private_name_is_taken_from_another_module(module):
    private = [(t, n) for t, n in _imports(module) if n is not None and n.startswith("_")]
    assert private == []


def test_the_cli_imports_only_the_public_api():
    assert {t for t, _ in _imports("soleus_analysis.cli")} == {"soleus_analysis"}


def test_the_build_modules_import_downwards_only():
    rank = {f"soleus_analysis.build.{m}": i for i, m in enumerate(BUILD_ORDER)}
    assert set(rank) | {"soleus_analysis.build"} == {
        m for m in MODULES if m.startswith("soleus_analysis.build")
    }
    for module, position in rank.items():
        for target in _edges()[module]:
            if target in rank:
                assert rank[target] < position, f"{module} imports {target}"
            else:  # outside the build: a lower layer, never the package face or the CLI
                assert target not in ("soleus_analysis", "soleus_analysis.cli"), module
                assert not target.startswith(("soleus_analysis.report", "soleus_analysis.plots"))
