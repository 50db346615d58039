"""Unified diff text → plain records, on top of ``unidiff``.

unidiff does the line-level parsing. This module adds what it leaves out and the
change model needs: decoding of non-UTF-8 bytes that never fails, git's extended
headers (``rename``/``copy from``/``to``, similarity, modes), C-quoted paths,
``a/``/``b/`` prefixes, and a check for hunks longer than their header says
(unidiff stops at the count and quietly files the surplus lines as commentary).
It also writes unified diffs for before/after pairs, so ``from_files`` goes
through the same parser as every other builder.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from unidiff.errors import UnidiffParseError
from unidiff.patch import Hunk as UHunk
from unidiff.patch import PatchedFile, PatchSet

from review_bot.errors import InputError

__all__ = [
    "ParsedFile",
    "ParsedHunk",
    "decode_lines",
    "decode_text",
    "parse_diff",
    "split_lines",
    "unified_diff",
]

Status = Literal["added", "modified", "deleted", "renamed", "copied"]
EntryKind = Literal["file", "symlink", "submodule"]

DEV_NULL = "/dev/null"
NO_NEWLINE = "\\ No newline at end of file\n"
# (old-side prefix, new-side prefix) pairs git writes: default, mnemonic, --no-index.
_PREFIX_PAIRS = (("a/", "b/"), ("c/", "i/"), ("c/", "w/"), ("i/", "w/"), ("o/", "w/"), ("1/", "2/"))
_C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_KINDS: dict[str | None, EntryKind] = {"120000": "symlink", "160000": "submodule"}


@dataclass(frozen=True)
class ParsedHunk:
    """One hunk, with the same fields as :class:`review_bot.change.Hunk`."""

    old_start: int
    old_length: int
    new_start: int
    new_length: int
    header: str
    added: frozenset[int]
    context: frozenset[int]
    removed: frozenset[int]
    text: str
    added_text: tuple[tuple[int, str], ...]  # (new-side line, text without end-of-line)


@dataclass(frozen=True)
class ParsedFile:
    """One file entry of a diff, paths unquoted and unprefixed."""

    path: str
    old_path: str | None
    status: Status
    kind: EntryKind
    binary: bool
    hunks: tuple[ParsedHunk, ...]
    added_content: str | None  # whole content of an added file, rebuilt from its hunks
    old_mode: str | None
    new_mode: str | None
    similarity: int | None


def split_lines(text: str) -> list[str]:
    """Lines with their ends, split on ``\\n`` only, as git and diff count them.

    ``str.splitlines`` also splits on form feeds, ``\\r``, ``\\u2028`` and more, which
    would shift every line number after one of them.
    """
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _decode_line(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # maps every byte: decoding never fails


def decode_lines(data: bytes | str) -> list[str]:
    """Split and decode: UTF-8 where a line is valid UTF-8, Latin-1 where it is not.

    Decoding line by line keeps one stray byte from garbling a whole file, and gives a
    diff line and the same line read from a tree the same text.
    """
    if isinstance(data, str):
        return split_lines(data)
    try:
        return split_lines(data.decode("utf-8"))
    except UnicodeDecodeError:
        raw_parts = data.split(b"\n")
        lines = [_decode_line(part + b"\n") for part in raw_parts[:-1]]
        if raw_parts[-1]:
            lines.append(_decode_line(raw_parts[-1]))
        return lines


def decode_text(data: bytes | str) -> str:
    """The text of file content, decoded as :func:`decode_lines` does."""
    return data if isinstance(data, str) else "".join(decode_lines(data))


def _strip_eol(value: str) -> str:
    return value.removesuffix("\n").removesuffix("\r")


def _unquote(name: str) -> str:
    """Undo git's C-style quoting of unusual path names (``"a/tab\\there"``)."""
    if len(name) < 2 or not (name.startswith('"') and name.endswith('"')):
        return name
    body, out, i = name[1:-1], bytearray(), 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "0123" and body[i + 1 : i + 4].isdigit():
                out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
                i += 4
                continue
            if nxt in _C_ESCAPES:
                out.append(_C_ESCAPES[nxt])
                i += 2
                continue
        out += char.encode("utf-8")
        i += 1
    return _decode_line(bytes(out))


def _strip_prefixes(old: str, new: str, git: bool) -> tuple[str, str]:
    """Drop ``a/``/``b/`` (or mnemonic) prefixes, and ``diff -ru old new``'s first directory."""
    for src, dst in _PREFIX_PAIRS:
        old_ok = old.startswith(src) or (old == DEV_NULL and src == "a/")
        new_ok = new.startswith(dst) or (new == DEV_NULL and dst == "b/")
        if old_ok and new_ok:
            return (old if old == DEV_NULL else old[2:]), (new if new == DEV_NULL else new[2:])
    if not git and DEV_NULL not in (old, new) and "/" in old and "/" in new:
        old_rest, new_rest = old.split("/", 1)[1], new.split("/", 1)[1]
        if old_rest == new_rest and old_rest:
            return old_rest, new_rest
    return old, new


def _header_value(info: Iterable[str], key: str) -> str | None:
    for line in info:
        if line.startswith(key):
            return _strip_eol(line[len(key) :])
    return None


def _check_surplus(lines: Sequence[str], end: int, path: str, header: str) -> None:
    """Fail when the first non-blank line after a hunk still looks like a hunk line."""
    i = end
    while i < len(lines) and lines[i].strip("\r\n") == "":
        i += 1
    if i >= len(lines):
        return
    line = lines[i]
    is_header = line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ ")
    is_signature = _strip_eol(line) in ("--", "-- ")  # git format-patch's trailer
    if line[:1] in ("+", "-", " ", "\\") and not is_header and not is_signature:
        raise InputError(
            f"malformed diff: hunk {_strip_eol(header)!r} of {path!r} is followed by "
            f"{_strip_eol(line)!r}, a line its header does not count; regenerate the diff"
        )


def _hunk(lines: Sequence[str], hunk: UHunk, path: str) -> ParsedHunk:
    numbered = [line.diff_line_no for line in hunk if line.diff_line_no is not None]
    first, last = min(numbered) - 1, max(numbered)  # 1-based: header line, last body line
    if last < len(lines) and lines[last].startswith("\\"):
        last += 1
    header_line = lines[first - 1]
    _check_surplus(lines, last, path, header_line)
    body_end = max(numbered)
    swallowed = (
        body_end - first >= 2
        and lines[body_end - 2].startswith("--- ")
        and lines[body_end - 1].startswith("+++ ")
        and (body_end == len(lines) or lines[body_end].startswith("@@ "))
    )
    if swallowed:  # the next file's ---/+++ header was counted as two body lines
        raise InputError(
            f"malformed diff: hunk {_strip_eol(header_line)!r} of {path!r} is shorter than its "
            f"header counts (it runs into {_strip_eol(lines[body_end - 2])!r}); regenerate the diff"
        )
    added: set[int] = set()
    context: set[int] = set()
    removed: set[int] = set()
    added_text: list[tuple[int, str]] = []
    for line in hunk:
        kind = line.line_type
        if kind == "+":
            added.add(line.target_line_no or 0)
            added_text.append((line.target_line_no or 0, _strip_eol(line.value)))
        elif kind == " ":
            context.add(line.target_line_no or 0)
        elif kind == "-":
            removed.add(line.source_line_no or 0)
    return ParsedHunk(
        old_start=hunk.source_start,
        old_length=hunk.source_length,
        new_start=hunk.target_start,
        new_length=hunk.target_length,
        header=hunk.section_header.strip(),
        added=frozenset(added),
        context=frozenset(context),
        removed=frozenset(removed),
        text="".join(lines[first - 1 : last]),
        added_text=tuple(added_text),
    )


def _added_content(pf: PatchedFile) -> str:
    """An added file's content: its ``+`` lines, minding ``\\ No newline at end of file``."""
    out: list[str] = []
    for hunk in pf:
        for line in hunk:
            if line.is_added:
                out.append(line.value)
            elif line.line_type == "\\" and out:
                out[-1] = out[-1].removesuffix("\n")
    return "".join(out)


def _file(lines: Sequence[str], pf: PatchedFile) -> ParsedFile:
    info = [str(x) for x in (pf.patch_info or [])]
    git = bool(info) and info[0].startswith("diff --git ")
    old, new = _strip_prefixes(
        _unquote(pf.source_file.strip()), _unquote(pf.target_file.strip()), git
    )
    status: Status = "modified"
    renamed_from, copied_from = (
        _header_value(info, "rename from "),
        _header_value(info, "copy from "),
    )
    if old == DEV_NULL or (not git and pf.is_added_file and not pf.is_binary_file):
        status = "added"
    elif new == DEV_NULL or (not git and pf.is_removed_file and not pf.is_binary_file):
        status = "deleted"
    elif copied_from is not None:
        status, old = "copied", _unquote(copied_from)
        new = _unquote(_header_value(info, "copy to ") or new)
    elif renamed_from is not None:
        status, old = "renamed", _unquote(renamed_from)
        new = _unquote(_header_value(info, "rename to ") or new)
    elif old != new:
        status = "renamed"
    path = old if status == "deleted" else new
    if not path or path == DEV_NULL:
        raise InputError(f"malformed diff: file entry {info[:1] or pf.source_file!r} names no file")
    similarity = _header_value(info, "similarity index ")
    return ParsedFile(
        path=path,
        old_path=old if status in ("renamed", "copied") else None,
        status=status,
        kind=_KINDS.get(pf.target_mode if pf.target_mode is not None else pf.source_mode, "file"),
        binary=pf.is_binary_file,
        hunks=tuple(_hunk(lines, h, path) for h in pf),
        added_content=_added_content(pf) if status == "added" else None,
        old_mode=pf.source_mode,
        new_mode=pf.target_mode,
        similarity=int(similarity[:-1]) if similarity and similarity[:-1].isdigit() else None,
    )


def _transport_crlf(lines: list[str]) -> list[str]:
    """Undo CRLF added to a whole diff in transit (git never writes ``\\r`` in headers)."""
    for line in lines:
        if line.startswith(("diff ", "--- ", "+++ ", "@@ ")):
            if line.endswith("\r\n"):
                return [line[:-2] + "\n" if line.endswith("\r\n") else line for line in lines]
            break
    return lines


def parse_diff(diff: bytes | str) -> list[ParsedFile]:
    """Every file entry of ``diff``; raises InputError for empty or malformed input."""
    lines = decode_lines(diff)
    if not any(line.strip() for line in lines):
        raise InputError("empty diff: nothing changed; pass a diff with at least one file change")
    if not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines[0] = lines[0].removeprefix("\ufeff")  # a BOM from an editor that saved the patch
    lines = _transport_crlf(lines)
    try:
        patch = PatchSet(lines)
    except UnidiffParseError as exc:
        raise InputError(
            f"malformed diff: {str(exc).strip()!r}; pass unmodified `git diff` or `diff -u` output"
        ) from exc
    if not patch:
        first = next(line for line in lines if line.strip())
        raise InputError(
            f"not a unified diff: no file headers found (input starts {_strip_eol(first)[:80]!r}); "
            "pass `git diff` or `diff -u` output"
        )
    return [_file(lines, pf) for pf in patch]


def _range(start: int, stop: int) -> str:
    length = stop - start
    return f"{start if length == 0 else start + 1},{length}"


def _emit(out: list[str], prefix: str, lines: Sequence[str]) -> None:
    for line in lines:
        out.append(prefix + line if line.endswith("\n") else prefix + line + "\n" + NO_NEWLINE)


def unified_diff(path: str, before: str | None, after: str | None) -> str:
    """A git-style diff of one file (``None`` side: added or deleted), 3 lines of context."""
    a, b = split_lines(before or ""), split_lines(after or "")
    out = [f"diff --git a/{path} b/{path}\n"]
    if before is None:
        out.append("new file mode 100644\n")
    if after is None:
        out.append("deleted file mode 100644\n")
    if a == b:
        return "".join(out)
    out.append("--- /dev/null\n" if before is None else f"--- a/{path}\n")
    out.append("+++ /dev/null\n" if after is None else f"+++ b/{path}\n")
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(3):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@\n")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                _emit(out, " ", a[a1:a2])
                continue
            if tag in ("replace", "delete"):
                _emit(out, "-", a[a1:a2])
            if tag in ("replace", "insert"):
                _emit(out, "+", b[b1:b2])
    return "".join(out)
