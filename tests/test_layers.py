"""The package layers cleanly: no module imports, even inside a function, one that imports it back.

Bottom to top: errors, arguments, context -> policy -> policies -> registry -> checking, config
-> hook, curve -> schema, preview -> cli. The graph is read from the source with ``ast``, so an
import inside a function counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "lrpol"


def module_name(file: Path) -> str:
    parts = list(file.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(file: Path, modules: set[str]) -> set[str]:
    """The lrpol modules ``file`` imports, wherever the import statement stands."""
    name = module_name(file)
    package = name if file.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            # `from . import schema` imports a module; `from . import __version__` the package.
            found.update(f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source for alias in node.names)
    return {module for module in found if module in modules and module != name}


def import_graph() -> dict[str, set[str]]:
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(file) for file in files}
    return {module_name(file): imported(file, modules) for file in files}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle, as the modules along it with the first repeated at the end; None if there is none."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return [*path[path.index(module):], module]
        if module in done:
            return None
        path.append(module)
        for target in sorted(graph[module]):
            cycle = visit(target)
            if cycle:
                return cycle
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module)
        if cycle:
            return cycle
    return None


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for target in graph[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def test_the_scan_sees_imports_inside_functions_and_relative_ones():
    graph = import_graph()
    assert "lrpol.policy" in graph["lrpol.registry"]  # a relative import at module level
    assert "lrpol.preview" in graph["lrpol.cli"]  # `from . import preview`, inside a function
    assert "lrpol.config" in graph["lrpol"]  # the package's own __init__
    assert {"lrpol", "lrpol.schema"} <= graph["lrpol.cli"]  # `from . import __version__, schema`


def test_the_finder_reports_a_cycle_it_is_given():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_imports_itself_back():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_schema_does_not_import_the_cli_and_the_parsers_do_not_import_each_other():
    graph = import_graph()
    assert "lrpol.cli" not in reachable(graph, "lrpol.schema")
    assert "lrpol.yaml_source" not in reachable(graph, "lrpol.json_source")
    assert "lrpol.json_source" not in reachable(graph, "lrpol.yaml_source")


def test_policy_modules_import_neither_curve_nor_hook():
    graph = import_graph()
    policies = [module for module in graph if module.startswith("lrpol.policies.")]
    assert policies
    offending = {module: sorted(reachable(graph, module) & {"lrpol.curve", "lrpol.hook"}) for module in policies}
    assert {module: found for module, found in offending.items() if found} == {}
