"""New-side files the analyzers need besides the changed ones: a Go package's other files.

Go's analyzers type-check whole packages. A change that edits one file of a two-file
package cannot be type-checked from the changed file alone, so the change builders that
can see the new side (a git commit, a work tree, a ``--diff`` with its tree) also read the
package's other ``.go`` files and the module's root ``go.mod``. They are context only: never
reviewed, never reported on (analyzers keep findings on their batch, the pipeline keeps
findings on the change), never dumped with the change (so never in a transcript, a cache
key or an agent's prompt).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path, PurePosixPath

from review_bot._diffparse import decode_text
from review_bot._git import Git, TooBig

__all__ = ["MAX_CONTEXT_FILES", "context_from_dir", "context_from_git", "context_paths"]

MAX_CONTEXT_FILES = 500  # per change; a package dir with more is read up to this many
_GO_MOD = "go.mod"


def _go_dirs(reviewed: Iterable[str]) -> set[str]:
    return {PurePosixPath(p).parent.as_posix() for p in reviewed if p.endswith(".go")}


def context_paths(listing: Iterable[str], reviewed: Collection[str]) -> list[str]:
    """The paths of ``listing`` (the new side's regular files) that the reviewed Go files
    need: other ``.go`` files of their dirs, and ``go.mod`` at the root, up to the cap."""
    dirs = _go_dirs(reviewed)
    if not dirs:
        return []
    wanted = [
        p
        for p in listing
        if p not in reviewed
        and (p == _GO_MOD or (p.endswith(".go") and PurePosixPath(p).parent.as_posix() in dirs))
    ]
    return sorted(wanted)[:MAX_CONTEXT_FILES]


def _texts(raw: Mapping[str, bytes | TooBig]) -> list[tuple[str, str]]:
    """Readable text contents; oversized and binary files are left out."""
    found: list[tuple[str, str]] = []
    for path, data in sorted(raw.items()):
        if isinstance(data, TooBig) or b"\0" in data[:8000]:
            continue
        found.append((path, decode_text(data)))
    return found


def context_from_git(
    git: Git, commit: str, reviewed: Collection[str], max_bytes: int
) -> list[tuple[str, str]]:
    """Context files of ``reviewed`` from ``commit``'s tree (regular files only)."""
    dirs = _go_dirs(reviewed)
    if not dirs:
        return []
    paths = context_paths(git.regular_files(commit, sorted({*dirs, "."})), reviewed)
    blobs = git.blobs([f"{commit}:{p}" for p in paths], max_bytes)
    return _texts({p: blobs[f"{commit}:{p}"] for p in paths if f"{commit}:{p}" in blobs})


def _listing(tree: Path, dirs: Iterable[str]) -> list[str]:
    """Regular, non-symlink files directly in ``dirs`` of ``tree``, plus a root go.mod."""
    found: list[str] = []
    for rel in sorted({*dirs, "."}):
        folder = tree / rel
        if folder.is_symlink() or not folder.is_dir():
            continue
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    found.append((PurePosixPath(rel) / entry.name).as_posix())
    return found


def context_from_dir(
    tree: Path, reviewed: Collection[str], max_bytes: int
) -> list[tuple[str, str]]:
    """Context files of ``reviewed`` from a new-side work tree (regular files only)."""
    dirs = _go_dirs(reviewed)
    if not dirs:
        return []
    paths = context_paths(_listing(tree, dirs), reviewed)
    return _texts(_read_small(tree, paths, max_bytes))


def _read_small(tree: Path, paths: Iterable[str], max_bytes: int) -> dict[str, bytes | TooBig]:
    found: dict[str, bytes | TooBig] = {}
    for path in paths:
        file = tree / path
        try:
            size = file.lstat().st_size
            found[path] = TooBig(size) if size > max_bytes else file.read_bytes()
        except OSError:
            continue  # gone since it was listed: it is context, not worth failing over
    return found
