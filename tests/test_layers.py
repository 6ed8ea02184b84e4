"""Imports run downward only: no module of tfdeblur imports a module of a higher layer.

The layers, lowest first (a module may import its own layer and the ones below; README "Package map"):

0. base: `errors`, `interrupts`, `result`, `image_header`, `io`, `config`, `presets` (plain types, files, settings)
1. `physics`, `metrics`
2. `solvers`, `data`, `training` (`fitting`, `resume`: the fit machinery the families' training uses)
3. `models` (every family, and `inference` and `tiling`, the inference path they share)
4. `methods`, `families` (the one family registry), `training.run` (a config's run: it finds the family's
   training in `families`), `tasks` (`evaluate`, `export`, `demo`), `testing`, `beam`
5. `cli` (parser, argument types, checks, commands), `__main__`, `app` (the web page: `tfdeblur app`)

A subpackage has the layer of its name, unless one of its modules is named on its own (`training.run`).
The old paths of moved modules (`tfdeblur.fitting`, ...) are deprecated aliases, declared in
`DEPRECATED_ALIASES`: each has the layer of the module it stands for, is nothing but that module, and is
imported by nothing in the package, tests/ or tools/.

The package root (`tfdeblur/__init__.py`) is the public facade: its names (`__version__`, `InputError`)
count as the base layer, and its `deblur` function may call `methods` (imported inside the function).
Every import is checked, including those inside functions (the lazy imports that keep `import tfdeblur`
cheap are still dependencies).

No two files import each other, directly or through others, at module level (the imports that run when a
file is imported; imports inside functions and under `if TYPE_CHECKING:` do not): such a cycle makes the
result depend on which file is imported first.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tfdeblur"

LAYERS: dict[str, int] = {
    "errors": 0, "interrupts": 0, "result": 0, "image_header": 0, "io": 0, "config": 0, "presets": 0,
    "physics": 1, "metrics": 1,
    "solvers": 2, "data": 2, "training": 2,
    "models": 3,
    "methods": 4, "families": 4, "training.run": 4, "tasks": 4, "testing": 4, "beam": 4,
    "cli": 5, "__main__": 5, "app": 5,
}
ROOT_LAYER = 0  # `from tfdeblur import __version__ / InputError`
FACADE = {("tfdeblur", "tfdeblur.methods")}  # tfdeblur.deblur() runs a registered method

# Upward imports still to remove, each with its reason. The test fails when one of them disappears (delete
# the line then) as well as when a new one appears.
KNOWN_UPWARD: set[tuple[str, str]] = set()

# Old path -> new path of the modules moved out of the package top (issue 29, item 5). Each old file only
# imports its new module, warns (DeprecationWarning) and puts the new module in its place in `sys.modules`,
# so both names are one module object. Delete a line with its file when the alias goes.
DEPRECATED_ALIASES = {
    "fitting": "training.fitting",
    "resume": "training.resume",
    "train": "training.run",
    "evaluation": "tasks.evaluate",
    "export": "tasks.export",
    "demo": "tasks.demo",
    "tiling": "models.tiling",
}
ROOT = PACKAGE.parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    relative = Path(*name.split(".")[1:]) if "." in name else Path()
    return (PACKAGE / relative).with_suffix(".py").is_file() or (PACKAGE / relative / "__init__.py").is_file()


def _module_level_nodes(tree: ast.AST):
    """The nodes that run when the file is imported: not function bodies, not `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def imported_modules(path: Path, module_level: bool = False) -> set[str]:
    """The tfdeblur modules `path` imports (absolute or relative, at any depth of the file, or only those
    imported when the file is imported if `module_level`)."""
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found = set()
    tree = ast.parse(path.read_text(), str(path))
    for node in _module_level_nodes(tree) if module_level else ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:  # `from tfdeblur import io` imports the module tfdeblur.io
                found.add(f"{source}.{alias.name}" if is_module(f"{source}.{alias.name}") else source)
    return {name for name in found if name == "tfdeblur" or name.startswith("tfdeblur.")}


def layer(name: str) -> int:
    """The layer of the longest part of `name` (below `tfdeblur.`) that LAYERS names: `training.run`, else
    `training`."""
    if name == "tfdeblur":
        return ROOT_LAYER
    parts = name.split(".")[1:]
    if len(parts) == 1 and parts[0] in DEPRECATED_ALIASES:
        return layer(f"tfdeblur.{DEPRECATED_ALIASES[parts[0]]}")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in LAYERS:
            return LAYERS[".".join(parts[:end])]
    raise AssertionError(f"{name} has no layer: add '{parts[0]}' to LAYERS here and to the README's package map")


def all_imports() -> dict[tuple[str, str], int]:
    """(importer, imported) -> how far up the import goes (> 0: upward)."""
    edges = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "saved_models" in path.parts or "datasets" in path.parts:
            continue
        importer = module_name(path)
        for imported in imported_modules(path):
            if (importer, imported) in FACADE:
                continue
            edges[(importer, imported)] = layer(imported) - layer(importer)
    return edges


def test_every_module_has_a_layer():
    for path in PACKAGE.rglob("*.py"):
        if "saved_models" not in path.parts and "datasets" not in path.parts:
            layer(module_name(path))


def test_no_module_imports_a_higher_layer():
    upward = {edge for edge, rise in all_imports().items() if rise > 0}
    new = sorted(upward - KNOWN_UPWARD)
    assert not new, "upward imports (importer, imported): " + "; ".join(f"{a} -> {b}" for a, b in new)
    gone = sorted(KNOWN_UPWARD - upward)
    assert not gone, f"no longer upward, remove from KNOWN_UPWARD: {gone}"


def test_each_deprecated_alias_is_only_its_new_module():
    for old, new in DEPRECATED_ALIASES.items():
        path = PACKAGE / f"{old}.py"
        assert path.is_file(), f"{path} is gone: delete '{old}' from DEPRECATED_ALIASES"
        assert is_module(f"tfdeblur.{new}"), f"tfdeblur.{new}, the new place of tfdeblur.{old}, is missing"
        assert imported_modules(path) == {f"tfdeblur.{new}"}, f"{path} must import only tfdeblur.{new}"
        text = path.read_text()
        assert "sys.modules[__name__] = _module" in text and "DeprecationWarning" in text, path


ALIAS_PATH = re.compile(r"\btfdeblur\.(" + "|".join(DEPRECATED_ALIASES) + r")\b")


def _uses_of_aliases(path: Path) -> list[str]:
    """The deprecated aliases `path` imports, or names as `tfdeblur.<old>` (in code written as a string too)."""
    found = []
    if path.suffix == ".py":
        found += sorted(name for name in imported_modules(path)
                        if name.split(".")[1:] and name.split(".")[1] in DEPRECATED_ALIASES
                        and len(name.split(".")) == 2)
    found += [line.strip() for line in path.read_text().splitlines() if ALIAS_PATH.search(line)]
    return found


MOVES_PAGE = ROOT / "docs" / "package.md"  # lists each move, old path -> new path


def test_nothing_of_ours_uses_a_deprecated_alias():
    """The package, tests/, tools/ and the docs (not the dated experiment diaries) use the new paths, so the
    aliases serve only users' code and can go without a search; docs/package.md names them once, in its
    table of moves."""
    moves = MOVES_PAGE.read_text()
    for old, new in DEPRECATED_ALIASES.items():
        assert f"| `tfdeblur.{old}` | `tfdeblur.{new}` |" in moves, f"{MOVES_PAGE} does not list {old} -> {new}"
    exempt = {PACKAGE / f"{old}.py" for old in DEPRECATED_ALIASES} | {MOVES_PAGE}
    files = [*PACKAGE.rglob("*.py"), *(ROOT / "tests").rglob("*.py"), *(ROOT / "tools").rglob("*.py"),
             ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    found = {}
    for path in files:
        if path in exempt or path == Path(__file__).resolve() or {"saved_models", "datasets"} & set(path.parts):
            continue
        uses = _uses_of_aliases(path)
        if uses:
            found[path.relative_to(ROOT).as_posix()] = uses
    assert not found, f"deprecated aliases used (import the new paths): {found}"


@pytest.mark.parametrize("source", ["from tfdeblur import io, fitting\n", "import tfdeblur.demo\n",
                                    "code = 'from tfdeblur.train import train'\n"])
def test_the_alias_check_can_fail(monkeypatch, source):
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: source)
    assert _uses_of_aliases(PACKAGE / "cli" / "run.py")


@pytest.mark.parametrize("old, new", sorted(DEPRECATED_ALIASES.items()))
def test_each_old_path_is_its_new_module_and_warns(old, new):
    """`import tfdeblur.<old>` and `from tfdeblur import <old>` give the new module itself, with a
    DeprecationWarning; patching an attribute through one name patches it for the other."""
    import importlib
    import sys
    import warnings

    import tfdeblur

    module = importlib.import_module(f"tfdeblur.{new}")
    sys.modules.pop(f"tfdeblur.{old}", None)  # imported afresh, so that it warns again
    vars(tfdeblur).pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"tfdeblur.{old} is deprecated: import tfdeblur.{new}"):
        alias = importlib.import_module(f"tfdeblur.{old}")
    assert alias is module and sys.modules[f"tfdeblur.{old}"] is module and getattr(tfdeblur, old) is module
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # imported once: no second warning
        namespace = {}
        exec(f"from tfdeblur import {old}", namespace)
    assert namespace[old] is module
    name = next(name for name in vars(module) if not name.startswith("_") and callable(vars(module)[name]))
    original = getattr(module, name)
    try:
        setattr(namespace[old], name, "patched")
        assert getattr(module, name) == "patched"
    finally:
        setattr(module, name, original)


@pytest.mark.parametrize("source, expected", [
    ("from tfdeblur import io, methods\n", {"tfdeblur.io", "tfdeblur.methods"}),
    ("from tfdeblur import InputError\n", {"tfdeblur"}),
    ("import tfdeblur.physics.blur as b\n", {"tfdeblur.physics.blur"}),
    ("def f():\n    from tfdeblur.training.run import fit\n", {"tfdeblur.training.run"}),
    ("from .blur import Blur\n", {"tfdeblur.physics.blur"}),
    ("import numpy\n", set()),
])
def test_the_import_scanner_sees_every_form(tmp_path, monkeypatch, source, expected):
    """The scanner itself: the forms of import the package uses, including lazy and relative ones."""
    path = PACKAGE / "physics" / "kernels.py"
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: source)
    assert imported_modules(path) == expected


@pytest.mark.parametrize("file, line, edge", [
    ("solvers/wiener.py", "from tfdeblur.models.idc import IDC",
     ("tfdeblur.solvers.wiener", "tfdeblur.models.idc")),
    ("training/fitting.py", "from tfdeblur.training import run",
     ("tfdeblur.training.fitting", "tfdeblur.training.run")),
])
def test_an_upward_import_is_caught(monkeypatch, file, line, edge):
    """A solver importing a model family, or the fit machinery importing the run above the families, would
    be reported (the check can fail, also inside a subpackage whose modules sit on two layers)."""
    original = Path.read_text

    def read_text(self, *args, **kwargs):
        text = original(self, *args, **kwargs)
        return text + f"\n{line}\n" if self.as_posix().endswith("/" + file) else text

    monkeypatch.setattr(Path, "read_text", read_text)
    upward = {edge for edge, rise in all_imports().items() if rise > 0}
    assert edge in upward


def test_a_module_named_on_its_own_has_its_own_layer():
    assert layer("tfdeblur.training") == layer("tfdeblur.training.fitting") == LAYERS["training"]
    assert layer("tfdeblur.training.run") == LAYERS["training.run"] > LAYERS["models"]
    with pytest.raises(AssertionError, match="has no layer"):
        layer("tfdeblur.nowhere.module")


def import_graph() -> dict[str, set[str]]:
    """module -> the tfdeblur modules it imports at module level."""
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "saved_models" not in path.parts and "datasets" not in path.parts:
            graph[module_name(path)] = imported_modules(path, module_level=True) - {module_name(path)}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_import_cycle_between_files():
    cycles = import_cycles(import_graph())
    assert not cycles, "module-level import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_an_import_cycle_is_caught():
    """The cycle finder on a tiny graph: a -> b -> c -> a is one cycle, d -> a is not in it."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert import_cycles(graph) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_lazy_and_type_checking_imports_are_not_module_level(monkeypatch):
    source = ("from tfdeblur import io\nif TYPE_CHECKING:\n    from tfdeblur import metrics\n"
              "class A:\n    from tfdeblur import errors\n    def f(self):\n"
              "        from tfdeblur.training import run\n")
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: source)
    found = imported_modules(PACKAGE / "physics" / "kernels.py", module_level=True)
    assert found == {"tfdeblur.io", "tfdeblur.errors"}


# Loading code by name hides a dependency from this test and from a reader: families are found through the
# plain imports of `tfdeblur.families`. Only these files may load code dynamically, each with its reason.
DYNAMIC_LOADING_ALLOWED = {
    "data/builders.py": "loads the TFDS builders of datasets/ from their files (not tfdeblur modules)",
}
DYNAMIC_LOADING = re.compile(r"\bimport_module\(|\b__import__\(|spec_from_file_location\(|"
                             r"[\"']tfdeblur(\.\w+)+:\w+[\"']")


def dynamic_loading(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if DYNAMIC_LOADING.search(line)]


def test_no_code_is_loaded_by_name_outside_the_registry():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if "saved_models" in path.parts or "datasets" in path.parts or relative in DYNAMIC_LOADING_ALLOWED:
            continue
        lines = dynamic_loading(path.read_text())
        if lines:
            found[relative] = lines
    assert not found, f"code loaded by name (use a plain import, or tfdeblur.families): {found}"


@pytest.mark.parametrize("line, caught", [
    ('module = importlib.import_module(f"tfdeblur.models.{family}")', True),
    ('fn = __import__("tfdeblur.io")', True),
    ('MethodSpec("idc", "tfdeblur.models.idc.method:deblur_method", False)', True),
    ("from importlib import resources", False),
    ("from tfdeblur.models.idc.method import deblur_method", False),
])
def test_the_dynamic_loading_check_can_fail(line, caught):
    assert bool(dynamic_loading(line)) is caught
