"""The change under review: ``ChangeSet → FileChange → Hunk``.

A ChangeSet knows, per file, the new content, the old content and the set of changed lines on
the new side, so later stages can ask of any finding whether its line was added by the
change, is context shown around it, or lies outside it.

Builders (each raises :class:`~review_bot.errors.InputError` on unusable input)::

    from_git(repo, base, *, uncommitted=False, limits=DEFAULT_LIMITS) -> ChangeSet
    from_diff(diff, *, tree=None, limits=DEFAULT_LIMITS) -> ChangeSet
    from_files(before, after, *, limits=DEFAULT_LIMITS) -> ChangeSet

Files the review should not read (deleted, binary, vendored, generated, lock files,
oversized, past ``max_files``, and Review Bot's own artefacts: ``.review-bot/`` folders,
transcripts, the baseline file) land in ``ChangeSet.skipped`` with the reason.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from review_bot._artefacts import artefact_reason
from review_bot._context import context_from_dir, context_from_git
from review_bot._diffparse import (
    EntryKind,
    ParsedFile,
    ParsedHunk,
    decode_text,
    parse_diff,
    split_lines,
    unified_diff,
)
from review_bot._git import Git, RawEntry, TooBig
from review_bot.errors import InputError

__all__ = [
    "DEFAULT_LIMITS",
    "ChangeLimits",
    "ChangeSet",
    "ContextFile",
    "FileChange",
    "FileStatus",
    "Hunk",
    "LineKind",
    "SkippedFile",
    "from_diff",
    "from_diff_files",
    "from_files",
    "from_git",
    "language_of",
]

LineKind = Literal["added", "context", "outside"]
FileStatus = Literal["added", "modified", "deleted", "renamed", "copied"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class ChangeLimits(BaseModel):
    """What a review is willing to look at."""

    model_config = _FROZEN

    max_file_bytes: int = 1_000_000
    max_files: int = 2_000


DEFAULT_LIMITS = ChangeLimits()


class Hunk(BaseModel):
    """One ``@@`` block. Line numbers are 1-based; ``added``/``context`` are new-side lines."""

    model_config = _FROZEN

    old_start: int
    old_length: int
    new_start: int
    new_length: int
    header: str = ""
    added: frozenset[int] = frozenset()
    context: frozenset[int] = frozenset()
    removed: frozenset[int] = frozenset()  # old-side line numbers
    text: str = ""  # the hunk as it appears in the diff, header line included


class FileChange(BaseModel):
    """One file of the change; ``path`` is the new path (the old one for deletions)."""

    model_config = _FROZEN

    path: str
    old_path: str | None = None
    status: FileStatus
    language: str | None = None
    hunks: tuple[Hunk, ...] = ()
    new_content: str | None = None
    old_content: str | None = None
    old_mode: str | None = None  # git file modes ("100644", "100755"), when the diff says
    new_mode: str | None = None
    similarity: int | None = None  # git's similarity index (percent) of a rename or copy

    @property
    def added_lines(self) -> frozenset[int]:
        """Every new-side line this change added or modified."""
        return frozenset().union(*(h.added for h in self.hunks))

    @property
    def context_lines(self) -> frozenset[int]:
        """New-side lines shown as context around the change."""
        return frozenset().union(*(h.context for h in self.hunks))

    def line_kind(self, line: int) -> LineKind:
        """Where ``line`` (new side) stands relative to the change."""
        for hunk in self.hunks:
            if line in hunk.added:
                return "added"
            if line in hunk.context:
                return "context"
        return "outside"

    def line_text(self, line: int) -> str | None:
        """The text of a new-side line, without its end-of-line, or None if unknown."""
        if self.new_content is None or line < 1:
            return None
        lines = split_lines(self.new_content)  # git's numbering: split on "\n" only
        return lines[line - 1].removesuffix("\n").removesuffix("\r") if line <= len(lines) else None


class SkippedFile(BaseModel):
    """A file of the diff that the review does not look at, with the reason."""

    model_config = _FROZEN

    path: str
    reason: str


class ContextFile(BaseModel):
    """A new-side file outside the change that analyzers need to read (see ``_context``)."""

    model_config = _FROZEN

    path: str
    content: str


class ChangeSet(BaseModel):
    """Everything a review needs to know about the change."""

    model_config = _FROZEN

    files: tuple[FileChange, ...]
    skipped: tuple[SkippedFile, ...] = ()
    base: str | None = None  # sha of the base ref (from_git)
    head: str | None = None  # sha of HEAD (from_git)
    merge_base: str | None = None  # sha the diff was taken against (from_git)
    # read by the analyzers only (a Go package's other files); never dumped, hashed or redacted
    context: tuple[ContextFile, ...] = Field(default=(), exclude=True, repr=False)

    def file(self, path: str) -> FileChange | None:
        """The reviewed file at ``path`` (new path), if any."""
        for f in self.files:
            if f.path == path:
                return f
        return None

    def line_kind(self, path: str, line: int) -> LineKind:
        """Where ``line`` of ``path`` stands relative to the change."""
        f = self.file(path)
        return f.line_kind(line) if f else "outside"

    def line_text(self, path: str, line: int) -> str | None:
        """The text of a new-side line of ``path``, or None if unknown."""
        f = self.file(path)
        return f.line_text(line) if f else None

    def content_hash(self) -> str:
        """sha256 over the reviewed files' paths, statuses, hunks and contents."""
        payload = [
            [f.path, f.old_path, f.status, f.new_content, [h.text for h in f.hunks]]
            for f in sorted(self.files, key=lambda f: f.path)
        ]
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


# --- builders ---------------------------------------------------------------------------------

_VENDORED_DIRS = frozenset({"vendor", "third_party", "node_modules", ".venv", "site-packages"})
_LOCK_FILES = frozenset(
    {
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "poetry.lock",
        "Pipfile.lock",
        "Cargo.lock",
        "go.sum",
        "uv.lock",
        "composer.lock",
        "Gemfile.lock",
    }
)
_GENERATED_SUFFIXES = (".min.js", ".min.css", "_pb2.py", "_pb2_grpc.py", "_pb2.pyi", ".pb.go")
_GENERATED_HEADER = re.compile(
    r"@generated\b|DO NOT EDIT|\b(?:auto-?generated|generated by|automatically generated)\b",
    re.IGNORECASE,
)
_EXTENSIONS = {
    **dict.fromkeys((".py", ".pyi", ".pyw"), "python"),
    **dict.fromkeys((".js", ".mjs", ".cjs", ".jsx"), "javascript"),
    **dict.fromkeys((".ts", ".tsx", ".mts", ".cts"), "typescript"),
    **dict.fromkeys((".sh", ".bash", ".zsh", ".ksh"), "shell"),
    ".go": "go",
    ".java": "java",
    **dict.fromkeys((".rb", ".rake", ".gemspec"), "ruby"),
    **dict.fromkeys((".c", ".h"), "c"),
    **dict.fromkeys((".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".h++"), "cpp"),
    ".rs": "rust",
    **dict.fromkeys((".yml", ".yaml"), "yaml"),
    ".json": "json",
    ".toml": "toml",
    ".dockerfile": "dockerfile",
    **dict.fromkeys((".md", ".markdown"), "markdown"),
}
_NAMES = {"Dockerfile": "dockerfile", "Containerfile": "dockerfile", "Gemfile": "ruby"}
_NAMES |= {"Rakefile": "ruby", "Pipfile": "toml"}
_INTERPRETERS = {"python": "python", "node": "javascript", "nodejs": "javascript"}
_INTERPRETERS |= {"deno": "typescript", "ts-node": "typescript", "tsx": "typescript"}
_INTERPRETERS |= {"ruby": "ruby", "go": "go"}
_INTERPRETERS |= dict.fromkeys(("sh", "bash", "dash", "zsh", "ksh", "ash"), "shell")
_BINARY_SNIFF = 8000  # bytes git looks at for a NUL before calling a file binary
DELETED_REASON = "deleted: nothing to review on the new side"


def language_of(path: str, content: str | None = None) -> str | None:
    """The language of ``path``, by name or extension, else by its shebang line."""
    name = PurePosixPath(path).name
    if name in _NAMES or name.startswith(("Dockerfile.", "Containerfile.")):
        return _NAMES.get(name, "dockerfile")
    by_ext = _EXTENSIONS.get(PurePosixPath(name.lower()).suffix)
    if by_ext or not content or not content.startswith("#!"):
        return by_ext
    words = [w for w in content[2:].split("\n", 1)[0].split() if not w.startswith("-")]
    if words and PurePosixPath(words[0]).name == "env":
        words = words[1:]
    interpreter = PurePosixPath(words[0]).name.rstrip("0123456789.") if words else ""
    return _INTERPRETERS.get(interpreter)


def _check_path(path: str) -> None:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts:
        raise InputError(
            f"diff path {path!r} is absolute or leaves the tree; "
            "pass a diff with repository-relative paths (as `git diff` writes)"
        )


def _skip_by_name(pf: ParsedFile) -> str | None:
    """Why ``pf`` is not reviewed, judged from the diff alone; None if it may be."""
    pure = PurePosixPath(pf.path)
    vendored = next((d for d in pure.parts[:-1] if d in _VENDORED_DIRS), None)
    generated = next((s for s in _GENERATED_SUFFIXES if pure.name.endswith(s)), None)
    artefact = artefact_reason(pf.path)
    reasons = (
        (pf.status == "deleted", DELETED_REASON),
        (artefact is not None, artefact or ""),
        (pf.kind == "submodule", "submodule: no file content to review"),
        (pf.kind == "symlink", "symlink: its content is a path, not code"),
        (pf.binary, "binary: no text to review"),
        (vendored is not None, f"vendored: under {vendored}/"),
        (pure.name in _LOCK_FILES, "lock file: written by a package manager"),
        (generated is not None, f"generated: name ends with {generated!r}"),
    )
    return next((reason for hit, reason in reasons if hit), None)


def _skip_by_content(pf: ParsedFile, raw: bytes | str | TooBig | None, limit: int) -> str | None:
    """Why ``pf`` is not reviewed, judged from its new content (when known)."""
    if isinstance(raw, TooBig):
        return f"oversized: {int(raw)} bytes, over the {limit}-byte limit"
    if raw is not None:
        size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
        if size > limit:
            return f"oversized: {size} bytes, over the {limit}-byte limit"
        if "\0" in (raw[:_BINARY_SNIFF].decode("latin-1") if isinstance(raw, bytes) else raw):
            return "binary: contains NUL bytes"
        head = split_lines(decode_text(raw[: 5 * 1024]))[:5]
    else:  # content unknown: look at the first lines the diff itself shows
        head = [t for h in pf.hunks for n, t in h.added_text if n <= 5]
    marker = next((m.group(0) for m in map(_GENERATED_HEADER.search, head) if m), None)
    return f"generated: header says {marker!r}" if marker else None


def _unreadable_reason(path: str) -> str:
    if "\n" in path:
        return "unreadable: the file name holds a newline, which git cannot be asked to read"
    return (
        "unreadable: git has no file by this name as decoded (the name is probably not "
        "valid UTF-8); no analyzer could be given its content"
    )


def _verify(pf: ParsedFile, text: str, tree: Path | str) -> None:
    """The tree must hold the diff's new side: every ``+`` line where the diff puts it."""
    lines = split_lines(text)
    where = f"tree {str(tree)!r}" if isinstance(tree, Path) else str(tree)
    for hunk in pf.hunks:
        for number, expected in hunk.added_text:
            got = (
                lines[number - 1].removesuffix("\n").removesuffix("\r")
                if number <= len(lines)
                else None
            )
            if got != expected:
                raise InputError(
                    f"{where} does not match the diff at {pf.path!r} line {number} "
                    f"(diff adds {expected[:60]!r}, tree has {got and got[:60]!r}); "
                    "pass the tree the diff's new side was taken from"
                )


Contents = Mapping[str, bytes | str | TooBig]


def _assemble(
    parsed: Sequence[ParsedFile],
    fetch_new: Callable[[Sequence[ParsedFile]], Contents],
    fetch_old: Callable[[Sequence[ParsedFile]], Contents] | None,
    limits: ChangeLimits,
    *,
    tree: Path | None = None,
    require_content: bool = False,
    **shas: str | None,
) -> ChangeSet:
    """Skip what is not reviewed, read contents, and build the frozen ChangeSet.

    ``require_content``: a file still present whose content could not be read (a name git
    cannot be asked about, or one that is not valid UTF-8) is skipped, with the reason,
    instead of being reviewed from its hunks alone without any analyzer seeing it."""
    skipped: list[SkippedFile] = []
    pending: list[ParsedFile] = []
    seen: set[str] = set()
    for pf in parsed:
        _check_path(pf.path)
        if pf.path in seen:
            raise InputError(
                f"the diff changes {pf.path!r} more than once (a patch series?); "
                "pass one combined diff, e.g. `git diff BASE...HEAD`"
            )
        seen.add(pf.path)
        reason = _skip_by_name(pf)
        if reason is not None:
            skipped.append(SkippedFile(path=pf.path, reason=reason))
        else:
            pending.append(pf)
    files: list[FileChange] = []
    while pending and len(files) < limits.max_files:  # read no more than the limit can use
        room = limits.max_files - len(files)
        batch, pending = pending[:room], pending[room:]
        new, old = fetch_new(batch), fetch_old(batch) if fetch_old else {}
        for pf in batch:
            raw = new.get(pf.path)
            reason = _skip_by_content(pf, raw, limits.max_file_bytes)
            if reason is None and raw is None and require_content:
                reason = _unreadable_reason(pf.path)
            if reason is not None:
                skipped.append(SkippedFile(path=pf.path, reason=reason))
                continue
            text = None if raw is None or isinstance(raw, TooBig) else decode_text(raw)
            if tree is not None and text is not None:
                _verify(pf, text, tree)
            files.append(_file_change(pf, text, old.get(pf.old_path or pf.path)))
    over = f"over the file limit: the change has more than {limits.max_files} files"
    skipped += [SkippedFile(path=pf.path, reason=over) for pf in pending]
    return ChangeSet(files=tuple(files), skipped=tuple(skipped), **shas)


def _file_change(
    pf: ParsedFile, text: str | None, old_raw: bytes | str | TooBig | None
) -> FileChange:
    return FileChange(
        path=pf.path,
        old_path=pf.old_path,
        status=pf.status,
        language=language_of(pf.path, text),
        hunks=tuple(Hunk(**_hunk_fields(h)) for h in pf.hunks),
        new_content=text,
        old_content=None
        if old_raw is None or isinstance(old_raw, TooBig)
        else decode_text(old_raw),
        old_mode=pf.old_mode,
        new_mode=pf.new_mode,
        similarity=pf.similarity,
    )


def _hunk_fields(h: ParsedHunk) -> dict[str, object]:
    fields = dict(vars(h))
    del fields["added_text"]
    return fields


def _read_tree(tree: Path, paths: Sequence[str], max_bytes: int) -> dict[str, bytes | TooBig]:
    """New-side contents from a work tree; a listed file missing there is an input error."""
    root, out = tree.resolve(), {}
    for path in paths:
        file = (tree / path).resolve()
        if not file.is_relative_to(root) or not file.is_file():
            raise InputError(
                f"{path!r} is in the change but not a file in tree {str(tree)!r}; "
                "pass the new-side working tree the diff was made from"
            )
        size = file.stat().st_size
        out[path] = TooBig(size) if size > max_bytes else file.read_bytes()
    return out


def _materialized(change: ChangeSet) -> set[str]:
    """The paths the tools phase writes for analyzers: files with new content and additions."""
    return {
        f.path
        for f in change.files
        if f.status != "deleted" and f.new_content is not None and f.added_lines
    }


def _with_context(
    change: ChangeSet, read: Callable[[set[str]], list[tuple[str, str]]]
) -> ChangeSet:
    found = read(_materialized(change))
    if not found:
        return change
    context = tuple(ContextFile(path=p, content=text) for p, text in found)
    return change.model_copy(update={"context": context})


def from_diff(
    diff: str | bytes, *, tree: Path | None = None, limits: ChangeLimits = DEFAULT_LIMITS
) -> ChangeSet:
    """A ChangeSet from a unified diff (git's or ``diff -u``'s), new contents from ``tree``.

    Without ``tree`` only added files have known content (the diff holds all of it);
    other files keep their hunks with ``new_content=None``.
    """
    if tree is not None and not Path(tree).is_dir():
        raise InputError(f"tree {str(tree)!r} is not a directory; pass the new-side working tree")
    parsed = parse_diff(diff)

    def fetch(files: Sequence[ParsedFile]) -> Contents:
        if tree is None:
            return {f.path: f.added_content for f in files if f.added_content is not None}
        return _read_tree(Path(tree), [f.path for f in files], limits.max_file_bytes)

    change = _assemble(
        parsed,
        fetch,
        None,
        limits,
        tree=None if tree is None else Path(tree),
        require_content=tree is not None,
    )
    if tree is None:
        return change
    return _with_context(
        change, lambda done: context_from_dir(Path(tree), done, limits.max_file_bytes)
    )


def from_diff_files(
    diff: str | bytes, files: Mapping[str, str], *, limits: ChangeLimits = DEFAULT_LIMITS
) -> ChangeSet:
    """A ChangeSet from a unified diff and the new side of its files as text (the review API).

    Like :func:`from_diff` with a tree, without writing one: every file the diff keeps must be
    in ``files`` (an added file may be left out: the diff holds it), and must hold the diff's
    ``+`` lines where the diff puts them.
    """
    parsed = parse_diff(diff)
    for pf in parsed:
        kept = pf.status != "deleted" and _skip_by_name(pf) is None
        if kept and pf.path not in files and pf.added_content is None:
            raise InputError(
                f"{pf.path!r} is in the diff but not in the files; send its new content"
            )

    def fetch(batch: Sequence[ParsedFile]) -> Contents:
        out: dict[str, bytes | str | TooBig] = {}
        for f in batch:
            text = files.get(f.path, f.added_content)
            if text is not None:
                out[f.path] = text
        return out

    change = _assemble(parsed, fetch, None, limits, require_content=True)
    for pf in parsed:
        fc = change.file(pf.path)
        if fc is not None and fc.new_content is not None:
            _verify(pf, fc.new_content, "the files")
    return change


def from_files(
    before: Mapping[str, str], after: Mapping[str, str], *, limits: ChangeLimits = DEFAULT_LIMITS
) -> ChangeSet:
    """A ChangeSet from before/after file maps (eval cases); unchanged paths are left out."""
    paths = sorted(set(before) | set(after))
    diff = "".join(
        unified_diff(p, before.get(p), after.get(p)) for p in paths if before.get(p) != after.get(p)
    )
    if not diff:
        raise InputError("no changes: before and after hold the same files; pass differing maps")
    parsed = parse_diff(diff)
    return _assemble(
        parsed,
        lambda files: {f.path: after[f.path] for f in files},
        lambda files: {f.path: before[f.path] for f in files if f.path in before},
        limits,
    )


def _untracked(git: Git, path: str, limits: ChangeLimits) -> ParsedFile:
    """An untracked file as an added one (uncommitted mode)."""
    file = git.top / path
    data = b""
    if not file.is_symlink() and file.stat().st_size <= limits.max_file_bytes:
        data = file.read_bytes()
    binary = b"\0" in data[:_BINARY_SNIFF]
    text = "" if binary else decode_text(data)
    parsed = parse_diff(unified_diff(path, None, text))[0]
    kind: EntryKind = "symlink" if file.is_symlink() else "file"
    return replace(parsed, binary=binary, kind=kind, hunks=() if binary else parsed.hunks)


def from_git(
    repo: Path, base: str, *, uncommitted: bool = False, limits: ChangeLimits = DEFAULT_LIMITS
) -> ChangeSet:
    """The change ``git diff BASE...HEAD`` shows (merge-base semantics), read safely.

    With ``uncommitted=True`` the merge-base is compared with the work tree instead:
    staged and unstaged edits, and untracked (not ignored) files as added files.
    """
    git = Git(Path(repo))
    try:
        head = git.resolve("HEAD")
    except InputError as exc:
        raise InputError(f"repository {str(repo)!r} has no commits yet; commit first") from exc
    base_sha = git.resolve(base)
    merge_base = git.merge_base(base_sha, head)
    # oversized files are skipped from their size alone: never diffed, read or parsed
    big = _oversized(git.sizes(merge_base, None if uncommitted else head), limits)
    raw = git.diff(merge_base, None if uncommitted else head, exclude=[b.path for b in big])
    parsed = parse_diff(raw) if raw.strip() else []
    if uncommitted:
        parsed += [_untracked(git, p, limits) for p in git.untracked()]
    if not parsed and big:
        return ChangeSet(
            files=(), skipped=tuple(big), base=base_sha, head=head, merge_base=merge_base
        )
    if not parsed:
        hint = (
            "" if uncommitted else ", or pass uncommitted=True (--uncommitted) for work-tree edits"
        )
        raise InputError(
            f"no changes between {base!r} and HEAD in {str(repo)!r}; commit a change{hint}"
        )

    def fetch_new(files: Sequence[ParsedFile]) -> Contents:
        if uncommitted:
            return _read_tree(git.top, [f.path for f in files], limits.max_file_bytes)
        blobs = git.blobs([f"{head}:{f.path}" for f in files], limits.max_file_bytes)
        return {f.path: blobs[f"{head}:{f.path}"] for f in files if f"{head}:{f.path}" in blobs}

    def fetch_old(files: Sequence[ParsedFile]) -> Contents:
        olds = [f.old_path or f.path for f in files if f.status != "added"]
        blobs = git.blobs([f"{merge_base}:{p}" for p in olds], limits.max_file_bytes)
        return {p: blobs[f"{merge_base}:{p}"] for p in olds if f"{merge_base}:{p}" in blobs}

    change = _assemble(
        parsed,
        fetch_new,
        fetch_old,
        limits,
        require_content=True,
        base=base_sha,
        head=head,
        merge_base=merge_base,
    )
    if big:
        change = change.model_copy(update={"skipped": (*change.skipped, *big)})

    def read_context(done: set[str]) -> list[tuple[str, str]]:
        if uncommitted:
            return context_from_dir(git.top, done, limits.max_file_bytes)
        return context_from_git(git, head, done, limits.max_file_bytes)

    return _with_context(change, read_context)


_MODE_KINDS: dict[str, EntryKind] = {"120000": "symlink", "160000": "submodule"}
_RAW_STATUS: dict[str, FileStatus] = {"A": "added", "D": "deleted"}


def _oversized(entries: Sequence[RawEntry], limits: ChangeLimits) -> list[SkippedFile]:
    """The files of the change over the size limit, with the reason their name or kind
    would give first (vendored, lock file, deleted, ...), else ``oversized``."""
    skipped = []
    for entry in entries:
        if entry.size <= limits.max_file_bytes:
            continue
        status: FileStatus = _RAW_STATUS.get(entry.status, "modified")
        mode = entry.old_mode if status == "deleted" else entry.new_mode
        pf = ParsedFile(
            path=entry.path,
            old_path=None,
            status=status,
            kind=_MODE_KINDS.get(mode, "file"),
            binary=False,
            hunks=(),
            added_content=None,
            old_mode=entry.old_mode,
            new_mode=entry.new_mode,
            similarity=None,
        )
        reason = _skip_by_name(pf) or (
            f"oversized: {entry.size} bytes, over the {limits.max_file_bytes}-byte limit"
        )
        skipped.append(SkippedFile(path=entry.path, reason=reason))
    return skipped
