"""The readers package imports in one direction: no cycle, no private name of another module."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "soleus_analysis"
READERS = PACKAGE / "readers"


def _module(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) of every import in a file, local ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("soleus"):
            out.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.startswith("soleus")]
    return out


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in READERS.glob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for target, names in _imports(path):
            # "from soleus_analysis.readers import fit" imports the submodule fit (the package's
            # __init__ runs first anyway); other names come from the module itself.
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
            if len(submodules) < len(names) or not names:
                submodules.append(target)
            for candidate in submodules:
                if candidate in modules and candidate != name:
                    graph[name].add(candidate)
    return graph


def test_the_readers_import_graph_has_no_cycle():
    graph = _graph()
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError(" -> ".join([*path, node, nxt]))
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_no_reader_imports_a_private_name_of_another_module():
    for path in READERS.glob("*.py"):
        for target, names in _imports(path):
            private = [n for n in names if n.startswith("_") and n != "__version__"]
            assert not private, f"{path.name} imports {private} from {target}"
