"""The package's import graph (docs/architecture.md): no cycle, no private names, one direction.

Every module under ``soleus_analysis/`` is checked, subpackages included; imports inside
functions count too.
"""

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "soleus_analysis"
#: The package's layers, from the bottom up (docs/architecture.md): a module imports only modules
#: of its own layer or a lower one. Keys are top-level modules and subpackages.
LAYERS = {
    **dict.fromkeys(
        ["errors", "textfile", "parsing", "timeutils", "coercion", "runlength", "rules",
         "plausibility"],
        1,
    ),
    **dict.fromkeys(["schemas", "contracts", "validation", "catalog"], 2),
    "readers": 3,
    **dict.fromkeys(["dose", "loads", "running", "daily", "injuries", "panel"], 4),
    **dict.fromkeys(["models", "simulation", "claims", "outcomes"], 5),
    "build": 6,
    **dict.fromkeys(
        ["report", "athlete_pages", "plots", "template", "narrative", "evidence",
         "claim_analysis"], 7
    ),
    **dict.fromkeys(["__init__", "cli"], 8),
}
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


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _scan(source: str, name: str, is_package: bool, modules) -> list[tuple[str, str | None]]:
    """(module imported, name taken from it or None) for every use of the package's modules.

    Imports inside functions count; so does ``module._name`` where ``module`` was imported as a
    module of the package (``from soleus_analysis import rules`` then ``rules._x``).
    """
    package = name if is_package else name.rpartition(".")[0]
    tree = ast.parse(source)
    found, aliases = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "soleus_analysis":
                    found.append((a.name, None))
                    # "import soleus_analysis.a" binds soleus_analysis; "... as x" binds x to .a
                    local = a.asname or "soleus_analysis"
                    aliases[local] = a.name if a.asname else "soleus_analysis"
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base.split(".")[0] != "soleus_analysis":
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in modules:
                    found.append((sub, None))
                    aliases[alias.asname or alias.name] = sub
                else:
                    found.append((base, alias.name))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            chain, value = [], node.value
            while isinstance(value, ast.Attribute):
                chain.append(value.attr)
                value = value.value
            if isinstance(value, ast.Name) and value.id in aliases:
                found.append((".".join([aliases[value.id], *reversed(chain)]), node.attr))
    return found


@functools.cache
def _imports(name: str) -> list[tuple[str, str | None]]:
    path = MODULES[name]
    return _scan(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", MODULES)


def _private_uses(name: str, found) -> list[tuple[str, str | None]]:
    """What ``name`` takes that is private to another module: a ``_name``, or a ``_module``."""
    out = []
    for target, taken in found:
        own = target == name
        if taken is not None and _private(taken) and not own:
            out.append((target, taken))
        elif any(_private(part) for part in target.split(".")) and not own:
            out.append((target, taken))
    return out


@functools.cache
def _edges() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (a name taken from a package: its __init__)."""
    return {m: {t for t, _ in _imports(m) if t in MODULES and t != m} for m in MODULES}


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


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS["__init__" if len(parts) == 1 else parts[1]]


def test_the_checker_finds_cycles_private_names_and_layers():
    # The checks below could pass by finding nothing: show that they see what they look for.
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert ("soleus_analysis.build.inputs", "find_inputs") in _imports(
        "soleus_analysis.build.parts"
    )
    modules = {"soleus_analysis", "soleus_analysis.a", "soleus_analysis._b", "soleus_analysis.p",
               "soleus_analysis.p.c"}
    source = """
from soleus_analysis.a import _name, public
from soleus_analysis import _b
import soleus_analysis._b as b2
from soleus_analysis._b import thing
from .. import a
a._attr
import soleus_analysis.a
soleus_analysis.a._deep
def f():
    from ..a import _inner
"""
    found = _scan(source, "soleus_analysis.p.c", False, modules)
    assert _private_uses("soleus_analysis.p.c", found) == [
        ("soleus_analysis.a", "_name"),
        ("soleus_analysis._b", None),
        ("soleus_analysis._b", None),
        ("soleus_analysis._b", "thing"),
        ("soleus_analysis.a", "_inner"),
        ("soleus_analysis.a", "_attr"),
        ("soleus_analysis.a", "_deep"),
    ]
    own = _scan("from soleus_analysis.p import c\nc._x\n", "soleus_analysis.p.c", False, modules)
    assert _private_uses("soleus_analysis.p.c", own) == []
    assert _layer("soleus_analysis") == 8 and _layer("soleus_analysis.build.run") == 6


def test_every_module_has_a_layer():
    assert not {m for m in MODULES if m.count(".") >= 1 and m.split(".")[1] not in LAYERS}


def test_there_is_no_import_cycle_in_the_package():
    assert _cycles(_edges()) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_name_is_taken_from_another_module(module):
    assert _private_uses(module, _imports(module)) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_higher_layer(module):
    higher = sorted(t for t in _edges()[module] if _layer(t) > _layer(module))
    assert higher == [], f"{module} (layer {_layer(module)}) imports {higher}"


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


def test_no_benchmark_imports_another():
    # Shared helpers live in benchmarks/_common.py and benchmarks/_data.py.
    benchmarks = PACKAGE.parent / "benchmarks"
    for path in sorted(benchmarks.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(filter(None, ["benchmarks" if node.level else "", node.module]))
                names = [base, *(f"{base}.{a.name}" for a in node.names)]
            else:
                continue
            others = [n for n in names if n.startswith("benchmarks.bench_")]
            assert others == [], f"{path.name} imports {others}"


#: Public names that are allowed to differ from the module of the same name, with the reason.
SHADOWING_ALLOWED = {
    # The build package (issue 16 asks for soleus_analysis/build/) and its entry point
    # sol.build(...): the function is what users call; the package is reached by its full
    # name (import soleus_analysis.build.run).
    ("soleus_analysis", "build"),
}


@pytest.mark.parametrize(
    "package",
    ["soleus_analysis", "soleus_analysis.models", "soleus_analysis.outcomes",
     "soleus_analysis.readers", "soleus_analysis.loads", "soleus_analysis.simulation",
     "soleus_analysis.build"],
)
def test_no_public_name_hides_a_module(package):
    import importlib
    import pkgutil
    import types

    pkg = importlib.import_module(package)
    hidden = [
        name
        for _, name, _ in pkgutil.iter_modules(pkg.__path__)
        if (package, name) not in SHADOWING_ALLOWED
        and not isinstance(getattr(pkg, name, None), types.ModuleType | type(None))
    ]
    assert hidden == [], f"{package}: names that hide their module: {hidden}"
