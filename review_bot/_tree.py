"""A whole tree as a change: every file of a commit as an added file.

``review-bot baseline`` reviews this to record the fingerprints of the findings a
repository has today. Files are skipped as in any change (binary, vendored, generated,
oversized, over ``max_files``, the bot's own artefacts), through the same assembly as
``change.from_git``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from review_bot._diffparse import ParsedFile, decode_text, parse_diff, unified_diff
from review_bot._git import Git, TooBig
from review_bot.change import DEFAULT_LIMITS, ChangeLimits, ChangeSet, _assemble
from review_bot.errors import InputError

__all__ = ["from_tree"]

_BINARY_SNIFF = 8000


def from_tree(repo: Path, ref: str, *, limits: ChangeLimits = DEFAULT_LIMITS) -> ChangeSet:
    """Every file of ``ref``'s tree in ``repo`` as an added file (``head`` is its sha)."""
    git = Git(Path(repo))
    sha = git.resolve(ref)
    paths = git.tracked(sha)
    blobs = git.blobs([f"{sha}:{p}" for p in paths], limits.max_file_bytes)
    parsed: list[ParsedFile] = []
    for path in paths:
        raw = blobs.get(f"{sha}:{path}")
        if raw is None:
            continue  # a submodule: no blob to review
        binary = isinstance(raw, bytes) and b"\0" in raw[:_BINARY_SNIFF]
        if binary or isinstance(raw, TooBig):  # an entry the assembly skips with its reason
            entry = parse_diff(unified_diff(path, None, "-\n"))[0]
            parsed.append(replace(entry, binary=binary, hunks=()))
            continue
        text = decode_text(raw)
        if text:
            parsed.append(parse_diff(unified_diff(path, None, text))[0])
    if not parsed:
        raise InputError(f"{ref!r} has no files in {str(repo)!r}; pass a ref with a tree")
    return _assemble(
        parsed,
        lambda files: {f.path: blobs[f"{sha}:{f.path}"] for f in files},
        None,
        limits,
        head=sha,
    )
