"""Tool-output caching as an ``AnalyzerCall`` for ``Services.analyzer_call``.

Per file: each file's findings are cached under (tool, tool version, our config hash, path,
hash of the bytes the tool actually sees in the workdir); the analyzer runs once over just
the files that missed, and its per-file findings are stored for next time. A failed or
skipped run stores nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from review_bot.cache.keys import content_hash, tool_output_key, tool_tag
from review_bot.cache.store import CacheAccess, CacheStats
from review_bot.change import FileChange
from review_bot.config.models import ToolsConfig
from review_bot.findings import Finding
from review_bot.tools import AnalyzerCall
from review_bot.tools.base import Analyzer, AnalyzerResult, ToolRun
from review_bot.tools.sandbox import ProcessRunner

__all__ = ["CACHED_REASON", "caching_analyzer_call"]

CACHED_REASON = "served from cache"
_FINDINGS = TypeAdapter(tuple[Finding, ...])


def caching_analyzer_call(
    cache: CacheAccess,
    runner: ProcessRunner,
    config: ToolsConfig,
    *,
    ttl_s: float | None = None,
    tags: Sequence[str] = (),
    stats: CacheStats | None = None,
    redact: Callable[[str], str] | None = None,
) -> AnalyzerCall:
    """An AnalyzerCall that serves each file's findings from ``cache`` when it can.

    Args:
        cache: the process's TieredCache.
        runner: the process runner the analyzers use (the pipeline's ``services.runner``
            or the default SubprocessRunner).
        config: the tools config (passed through to ``analyze``).
        ttl_s: lifetime of entries.
        tags: extra tags for every entry (e.g. ``repo_tag(...)``).
        stats: per-review counters (one hit or miss per file).
        redact: the review's redaction. Entries are stored redacted (path, message,
            suggestion: a tool may quote the secret it found), and a hit is given back its
            file's real path. None stores the findings as they are.

    A run served entirely from cache has ``run.reason == CACHED_REASON`` and duration 0.
    """

    async def call(
        analyzer: Analyzer, files: Sequence[FileChange], workdir: Path
    ) -> AnalyzerResult:
        version = await analyzer.version(runner)
        if version is None:  # not installed: let the analyzer report the skip
            return await analyzer.analyze(files, workdir, runner, config)
        config_hash = analyzer.config_hash()
        entry_tags = (tool_tag(analyzer.name), tool_tag(analyzer.name, version), *tags)
        keys = await _keys(analyzer, version, config_hash, files, workdir)
        cached: list[Finding] = []
        missing: list[FileChange] = []
        for file in files:
            raw = await cache.get(keys[file.path], stats)
            found = _decode(raw)
            if found is None:
                missing.append(file)
            else:
                cached.extend(f.model_copy(update={"path": file.path}) for f in found)
        if not missing:
            run = ToolRun(
                tool=analyzer.name,
                version=version,
                status="ok",
                reason=CACHED_REASON,
                cached=True,
                files=tuple(f.path for f in files),
                findings=len(cached),
            )
            return AnalyzerResult(run=run, findings=tuple(cached))
        result = await analyzer.analyze(missing, workdir, runner, config)
        if result.run.status == "ok":
            for key, per_file in _entries(result, missing, keys):
                stored = per_file if redact is None else [_redact(f, redact) for f in per_file]
                await cache.set(key, _FINDINGS.dump_json(tuple(stored)), ttl_s, entry_tags, stats)
        findings = (*cached, *result.findings)
        run = result.run.model_copy(
            update={"files": tuple(f.path for f in files), "findings": len(findings)}
        )
        return AnalyzerResult(run=run, findings=findings, file_skips=result.file_skips)

    return call


async def _keys(
    analyzer: Analyzer,
    version: str,
    config_hash: str,
    files: Sequence[FileChange],
    workdir: Path,
) -> dict[str, str]:
    """Each file's cache key: tool, version, config, path and what the answer depends on."""
    package_files = tuple(getattr(analyzer, "package_context", ()))
    packages: dict[Path, bytes] = {}  # a directory's package files, read once per call
    keys: dict[str, str] = {}
    for file in files:
        data = await asyncio.to_thread((workdir / file.path).read_bytes)
        if package_files:
            directory = (workdir / file.path).parent
            if directory not in packages:
                packages[directory] = await asyncio.to_thread(
                    _package_bytes, workdir, directory, package_files
                )
            data += packages[directory]
        keys[file.path] = tool_output_key(
            tool=analyzer.name,
            tool_version=version,
            config_hash=config_hash,
            path=file.path,
            content_hash=content_hash(data),
        )
    return keys


def _entries(
    result: AnalyzerResult, missing: Sequence[FileChange], keys: dict[str, str]
) -> list[tuple[str, list[Finding]]]:
    """What to store after a run over ``missing``: each checked file's findings (none is an
    answer too) under its key; files the analyzer skipped are not stored."""
    by_path: dict[str, list[Finding]] = {f.path: [] for f in missing}
    for finding in result.findings:
        by_path.setdefault(finding.path, []).append(finding)
    unchecked = {skip.name for skip in result.file_skips}
    return [(keys[p], found) for p, found in by_path.items() if p in keys and p not in unchecked]


def _package_bytes(workdir: Path, directory: Path, package_files: Sequence[str]) -> bytes:
    """What else an analyzer that reads a file's package (``package_context``: globs, e.g. go
    vet's ``*.go`` and ``go.mod``) depends on: the files in the file's directory matching
    them and those at the root, each with its name. Any of them changing changes the key."""
    parts = []
    for folder in dict.fromkeys((directory, workdir)):
        for pattern in package_files:
            for other in sorted(folder.glob(pattern)):
                if other.is_file() and not other.is_symlink():
                    name = other.relative_to(workdir).as_posix().encode()
                    parts += [b"\0", name, b"\0", other.read_bytes()]
    return b"".join(parts)


def _redact(finding: Finding, redact: Callable[[str], str]) -> Finding:
    return finding.model_copy(
        update={
            "path": redact(finding.path),
            "message": redact(finding.message),
            "suggestion": None if finding.suggestion is None else redact(finding.suggestion),
        }
    )


def _decode(raw: bytes | None) -> tuple[Finding, ...] | None:
    if raw is None:
        return None
    try:
        return _FINDINGS.validate_json(raw)
    except ValidationError:
        return None  # written by an older schema: recompute
