"""A throwaway Go module for the Go analyzers: the change's Go files, our go.mod, no network.

The temp copy holds the changed files and, when the change knows its new side, their
packages' other files (``ChangeSet.context``, written by the tools phase beside them).

Go tools load whole packages and need a module. The reviewed repo's ``go.mod`` is never
given to them (it can name toolchains, replacements and tools); only its ``module`` line is
read, so imports between the change's own packages resolve. Third-party modules are not
fetched (``GOPROXY=off``), and one unresolvable import makes ``go vet`` refuse the whole
run, so packages that import what the copy does not hold are found here, before the tool
runs, and reported as not checked instead of being given to it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = ["GoModule", "go_env", "prepare_module"]

FALLBACK_MODULE = "review-bot.invalid/change"
SOURCE_DIR = "src"
_MODULE_RE = re.compile(r"^\s*module\s+\"?([^\s\"/]+(?:/[^\s\"]+)*)\"?\s*(?://.*)?$", re.M)
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_LINE_COMMENT = re.compile(r"//[^\n]*")
_IMPORT_BLOCK = re.compile(r"^import\s*\((.*?)\)", re.S | re.M)
_IMPORT_ONE = re.compile(r"^import\s+(?:[\w.]+\s+)?[\"`]([^\"`]+)[\"`]", re.M)
_IMPORT_SPEC = re.compile(r"(?:^|\s|;)(?:[\w.]+\s+)?[\"`]([^\"`]+)[\"`]")
_FUNC = re.compile(r"^(?:func|type|var|const)\b", re.M)


@dataclass(frozen=True)
class GoModule:
    """The prepared copy: where it is, which package dirs to check, which not and why."""

    root: Path  # the module root (cwd of the tool)
    cache: Path  # GOCACHE / GOPATH live here, outside the module
    packages: tuple[str, ...]  # relative dirs, "." for the root package
    unchecked: Mapping[str, str]  # relative dir -> why it is not checked


def go_env(cache: Path) -> dict[str, str]:
    """Offline, reproducible, no cgo (it would run compilers with flags from the source), no
    environment file or workspace of the user, caches inside ``cache``."""
    return {
        "GO111MODULE": "on",
        "GOFLAGS": "-mod=mod",
        "GOPROXY": "off",
        "GOSUMDB": "off",
        "GONOSUMDB": "*",
        "GOTOOLCHAIN": "local",
        "GOTELEMETRY": "off",
        "CGO_ENABLED": "0",
        "GOENV": "off",
        "GOWORK": "off",
        "GOCACHE": str(cache / "build"),
        "GOPATH": str(cache / "gopath"),
        "GOMODCACHE": str(cache / "gopath" / "pkg" / "mod"),
        "XDG_CACHE_HOME": str(cache / "xdg"),  # staticcheck keeps its facts there
    }


def module_path(go_mod: str | None) -> str:
    """The ``module`` line of the change's go.mod, or our placeholder."""
    found = _MODULE_RE.search(go_mod or "")
    return found.group(1) if found else FALLBACK_MODULE


def imports_of(source: str) -> set[str]:
    """The import paths of a Go file (its import declarations precede any other one)."""
    text = _LINE_COMMENT.sub("", _BLOCK_COMMENT.sub(" ", source))
    first_decl = _FUNC.search(text)
    head = text[: first_decl.start()] if first_decl else text
    found = set(_IMPORT_ONE.findall(head))
    for block in _IMPORT_BLOCK.findall(head):
        found.update(_IMPORT_SPEC.findall(block))
    return found


def _is_std(path: str) -> bool:
    return path == "C" or "." not in path.split("/", 1)[0]


def _unresolved(imports: Mapping[str, set[str]], module: str) -> dict[str, str]:
    """Package dirs that cannot be type-checked in the copy, with the reason."""
    bad: dict[str, str] = {}
    internal: dict[str, set[str]] = {d: set() for d in imports}
    for pkg, paths in imports.items():
        for path in sorted(paths):
            if path == module or path.startswith(module + "/"):
                rel = path[len(module) + 1 :] or "."
                if rel in imports:
                    internal[pkg].add(rel)
                    continue
            elif _is_std(path):
                continue
            bad.setdefault(pkg, f"imports {path!r}, which is not in the change")
    changed = True
    while changed:  # a package that imports an unchecked one cannot be checked either
        changed = False
        for pkg, deps in internal.items():
            blocked = sorted(d for d in deps if d in bad)
            if pkg not in bad and blocked:
                bad[pkg] = f"imports package {blocked[0]!r}, which cannot be checked"
                changed = True
    return bad


def _write(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape", newline="") as out:
        out.write(text)


def _go_files(workdir: Path) -> dict[str, str]:
    """Every ``.go`` file of the change's temp copy (relative posix path -> text)."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(workdir, followlinks=False):
        dirnames[:] = [d for d in dirnames if not (Path(dirpath) / d).is_symlink()]
        for name in filenames:
            path = Path(dirpath) / name
            if name.endswith(".go") and not path.is_symlink():
                rel = path.relative_to(workdir).as_posix()
                found[rel] = path.read_text(encoding="utf-8", errors="surrogateescape")
    return found


def prepare_module(
    workdir: Path,
    private: Path,
    batch: Iterable[str],
    go_version: str | None,
    shared_cache: Path | None = None,
) -> GoModule:
    """Copy the change's Go files from ``workdir`` into ``private``/src with our go.mod.

    Whole package dirs are copied (a cached file's siblings are still needed to type-check
    the batch), and only ``.go`` files: a repo's ``staticcheck.conf``, ``go.work``,
    ``vendor/modules.txt`` or ``.golangci.yml`` never reach the tools. ``shared_cache`` (the
    tools config's ``cache_dir``/go) keeps the build caches between runs; Go's caches are
    content-addressed and safe for concurrent use, and type-checking runs no reviewed code.
    """
    root = private / SOURCE_DIR
    cache = private / "cache"
    root.mkdir(parents=True)
    if shared_cache is None:
        cache.mkdir()
    else:
        shared_cache.mkdir(parents=True, exist_ok=True, mode=0o700)
        cache.symlink_to(shared_cache, target_is_directory=True)
    files = _go_files(workdir)
    try:
        go_mod = (workdir / "go.mod").read_text(encoding="utf-8", errors="replace")
    except OSError:
        go_mod = None
    module = module_path(go_mod)
    language = ".".join((go_version or "1.19").split(".")[:2])
    _write(root / "go.mod", f"module {module}\n\ngo {language}\n")
    imports: dict[str, set[str]] = {}
    for rel, text in files.items():
        _write(root / rel, text)
        imports.setdefault(PurePosixPath(rel).parent.as_posix(), set()).update(imports_of(text))
    bad = _unresolved(imports, module)
    wanted = sorted({PurePosixPath(p).parent.as_posix() for p in batch})
    return GoModule(
        root=root,
        cache=cache,
        packages=tuple(p for p in wanted if p not in bad),
        unchecked={p: bad[p] for p in wanted if p in bad},
    )
