"""The package's structure: no import cycle, and each layer imports only its own and the layers below.

docs/architecture.md draws the same layers; a new module must be given its place here.

The imports are read from the source (``ast``): at module level, inside functions and under
``if TYPE_CHECKING:`` alike, since a cycle of types is a cycle of design too.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "mapper"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The modules of the package that the module at ``path`` imports."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def resolve(base: str, level: int) -> str:
        if level == 0:
            return base
        anchor = package.split(".")
        anchor = anchor[: len(anchor) - (level - 1)]
        return ".".join(anchor + ([base] if base else []))

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = resolve(node.module or "", node.level)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text("utf-8")))
    return {module for module in found if module in known and module != name}


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    known = {module_name(path) for path in paths}
    graph = {module_name(path): imported_modules(path, known) for path in paths}
    # Importing a.b.c runs the __init__ of a and a.b first; that edge is Python's, not a design choice.
    for module, imports in graph.items():
        imports.difference_update(parent for parent in list(imports) if module.startswith(parent + "."))
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                connect(other)
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

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


#: From the bottom up; a package name covers its modules. A module may import its own layer and those below.
LAYERS: list[tuple[str, frozenset[str]]] = [
    ("foundations", frozenset({"mapper.errors", "mapper.jsontypes", "mapper.strptime", "mapper.pysource"})),
    ("documents and the model", frozenset({"mapper.documents", "mapper.document_bounds", "mapper.yaml_documents", "mapper.model", "mapper.coercion"})),
    ("reading mappings and schemas; the function library",
     frozenset({"mapper.mapping_file", "mapper.lookup_files", "mapper.lexer", "mapper.parser", "mapper.schemas",
                "mapper.validation", "mapper.provenance", "mapper.functions", "mapper.schema_fit"})),
    ("what generated code calls", frozenset({"mapper.runtime"})),
    ("the generator", frozenset({"mapper.codegen", "mapper.expressions", "mapper.compiler"})),
    ("the Mapping", frozenset({"mapper.mapping", "mapper.chains", "mapper.load_cache"})),
    ("payload formats", frozenset({"mapper.formats"})),
    ("running conversions", frozenset({"mapper.engine", "mapper.dask"})),
    ("tools for CI", frozenset({"mapper.tooling"})),
    ("the command line", frozenset({"mapper.cli", "mapper.serve"})),
    ("the front door", frozenset({"mapper"})),
]


def layer_of(module: str) -> int:
    for number, (_, members) in enumerate(LAYERS):
        if module in members or any(module.startswith(member + ".") for member in members if member != "mapper"):
            return number
    raise LookupError(f"{module} has no layer: give it one in LAYERS (and in docs/architecture.md)")


def test_every_module_has_a_layer() -> None:
    for module in import_graph():
        layer_of(module)


def test_no_layer_imports_a_layer_above_it() -> None:
    upward = [f"{module} ({LAYERS[layer_of(module)][0]}) imports {imported} ({LAYERS[layer_of(imported)][0]})"
              for module, imports in import_graph().items() for imported in sorted(imports)
              if layer_of(imported) > layer_of(module)]
    assert upward == []



def test_docs_architecture_names_every_module() -> None:
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text("utf-8")
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if len(relative.parts) == 1:
            named = f"`mapper/{relative}`" in text
        else:
            package, inner = relative.parts[0], "/".join(relative.parts[1:])
            named = f"`mapper/{relative}`" in text or (
                f"`mapper/{package}/" in text and (inner == "__init__.py" or f"`{inner}`" in text))
        if not named:
            missing.append(str(relative))
    assert missing == [], "docs/architecture.md does not describe these modules"
