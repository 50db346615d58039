"""The package's shape: no import cycles between its modules, every exception in one tree.

Both read the source with ``ast`` (nothing is imported), so a cycle hidden behind a lazy
import inside a function counts too. Imports under ``if TYPE_CHECKING:`` are left out: they
never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import review_bot
from review_bot import errors

PACKAGE = Path(review_bot.__file__).resolve().parent
_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.With,
    ast.AsyncWith,
    ast.For,
    ast.AsyncFor,
    ast.While,
)


def _modules(package: Path) -> dict[str, Path]:
    """Dotted module name -> source file, for every module of ``package``."""
    found: dict[str, Path] = {}
    for path in sorted(package.rglob("*.py")):
        parts = [package.name, *path.relative_to(package).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: module level, in functions, in try/if blocks."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node):
                yield from _imports(node.body)
                yield from _imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from _imports(block)
        elif isinstance(node, _SCOPES):
            yield from _imports(node.body)
            yield from _imports(getattr(node, "orelse", []))


def _targets(
    module: str, node: ast.Import | ast.ImportFrom, modules: Mapping[str, Path]
) -> set[str]:
    """The package's modules one import statement depends on.

    ``from pkg import sub`` depends on ``pkg.sub`` when that is a module, on ``pkg`` (its
    ``__init__``) when ``sub`` is a name defined there.
    """
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in modules}
    if node.level:
        here = module.split(".")
        if modules[module].name != "__init__.py":
            here.pop()
        base = here[: len(here) - (node.level - 1)]
        source = ".".join([*base, *([node.module] if node.module else [])])
    else:
        source = node.module or ""
    found: set[str] = set()
    for alias in node.names:
        sub = f"{source}.{alias.name}"
        if sub in modules:
            found.add(sub)
        elif source in modules:
            found.add(source)
    return found


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports."""
    modules = _modules(package)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        edges = {t for node in _imports(tree.body) for t in _targets(name, node, modules)}
        graph[name] = edges - {name}
    return graph


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One import cycle as ``[a, b, ..., a]``, or None; depth-first, in sorted order."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph(PACKAGE)
    assert len(graph) > 100  # the walk found the package
    assert "review_bot.render._sarif" in graph["review_bot.render"]
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or ())


def test_the_cycle_finder_names_a_cycle_even_through_a_lazy_import(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from pkg.a import A\n")
    (pkg / "a.py").write_text("from pkg.sub import b\nA = 1\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import c\n"
        "def f():\n    from .. import A\n    return A\n"
    )
    (pkg / "c.py").write_text("from pkg.sub import b\n")  # only a type-only edge back
    graph = import_graph(pkg)
    assert graph["pkg.sub.b"] == {"pkg"}  # the lazy relative import; not the TYPE_CHECKING one
    assert find_cycle(graph) == ["pkg", "pkg.a", "pkg.sub.b", "pkg"]
    (pkg / "sub" / "b.py").write_text("X = 1\n")
    assert find_cycle(import_graph(pkg)) is None


def _exception_classes() -> Iterator[tuple[str, str]]:
    """(module file, class name) of every class deriving, by name, from an error class."""
    tree_names = {name for name in dir(errors) if isinstance(getattr(errors, name), type)} | {
        "Exception",
        "BaseException",
    }
    classes = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases}
                classes.append((path, node.name, bases))
    known = set(tree_names)
    grew = True
    while grew:  # subclasses of subclasses
        grew = False
        for _, name, bases in classes:
            if name not in known and bases & known:
                known.add(name)
                grew = True
    for path, name, bases in classes:
        if name in known and bases & known and path.name != "errors.py":
            yield str(path.relative_to(PACKAGE)), name


def test_every_exception_lives_in_the_one_tree() -> None:
    outside = sorted(_exception_classes())
    assert outside == [], f"define these in review_bot/errors.py (re-export them): {outside}"


def test_moved_exceptions_keep_their_old_import_paths() -> None:
    from review_bot.github.client import (
        GitHubRateLimited,
        GitHubStatusError,
        GitHubWriteUncertain,
    )
    from review_bot.llm.budget import BudgetExhausted
    from review_bot.service.runner import JobBusy

    assert BudgetExhausted is errors.BudgetExhausted
    assert JobBusy is errors.JobBusy
    assert issubclass(JobBusy, errors.BulkheadFull)
    assert GitHubStatusError is errors.GitHubStatusError
    assert issubclass(GitHubRateLimited, GitHubStatusError)
    assert issubclass(GitHubWriteUncertain, errors.GitHubError)
    for name in ("BudgetExhausted", "JobBusy", "GitHubStatusError", "GitHubRateLimited"):
        assert name in errors.__all__
        assert name in (errors.__doc__ or "")  # drawn in the tree


def _environment_reads(package: Path) -> Iterator[str]:
    """``os.environ`` / ``os.getenv`` / ``os.putenv`` uses outside ``config/``."""
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package)
        if rel.parts[0] in ("config", "examples"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
                and node.attr in ("environ", "getenv", "putenv", "unsetenv")
            ):
                yield f"{rel}:{node.lineno} os.{node.attr}"
            elif isinstance(node, ast.ImportFrom) and node.module == "os":
                names = {a.name for a in node.names} & {"environ", "getenv", "putenv"}
                if names:
                    yield f"{rel}:{node.lineno} from os import {', '.join(sorted(names))}"


def test_only_config_reads_the_environment(tmp_path: Path) -> None:
    found = list(_environment_reads(PACKAGE))
    assert found == [], f"read settings in review_bot/config/ instead: {found}"
    (tmp_path / "mod.py").write_text("import os\nURL = os.environ.get('X')\n")
    assert list(_environment_reads(tmp_path)) == ["mod.py:2 os.environ"]  # the scan sees one
