"""What every analyzer is and does: the Analyzer protocol, ToolRun, and a shared runner flow.

An analyzer runs ONE tool process over every changed file it applies to and turns the
output into findings. Anything that goes wrong (tool missing, crash, timeout, garbage output)
becomes a ToolRun with status skipped/failed and a reason, never an exception: one broken
tool must not cost the review its other tools.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from review_bot.change import FileChange
from review_bot.config.models import ToolsConfig
from review_bot.errors import ToolError, ToolMissing, ToolOutputError
from review_bot.findings import Category, Finding, Severity, Skip
from review_bot.tools.sandbox import Limits, ProcessResult, ProcessRunner

__all__ = [
    "Analyzer",
    "AnalyzerResult",
    "CommandAnalyzer",
    "ToolRun",
    "ToolStatus",
    "limits_for",
    "load_json",
    "relative_to_workdir",
]

ToolStatus = Literal["ok", "skipped", "failed"]
_FROZEN = ConfigDict(frozen=True, extra="forbid")
_VERSION_TIMEOUT_S = 60.0
_STDERR_TAIL = 500
_VERSION_RE = re.compile(r"\d+(?:\.\d+)+[\w.+-]*")
# what reading a malformed item of a tool's JSON raises
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError)

# Versions are asked once per process and runner kind: tools do not change under us.
_VERSIONS: dict[tuple[str, tuple[str, ...]], str | None] = {}


class ToolRun(BaseModel):
    """The record of one analyzer run, for stats, transcripts and cache keys."""

    model_config = _FROZEN

    tool: str
    version: str | None = None
    argv: tuple[str, ...] = ()
    status: ToolStatus
    reason: str = ""
    exit_code: int | None = None
    duration_s: float = 0.0
    files: tuple[str, ...] = ()
    findings: int = 0
    cached: bool = False  # served from the tool-output cache: no process ran


class AnalyzerResult(BaseModel):
    """A run and the findings it produced (paths are the change's relative paths).

    ``file_skips`` names files of the batch the tool ran over but could not check (a Go
    package whose imports are not in the change): the run is ok for the others, these are
    reported as skipped, and nothing is cached for them.
    """

    model_config = _FROZEN

    run: ToolRun
    findings: tuple[Finding, ...] = ()
    file_skips: tuple[Skip, ...] = ()


@runtime_checkable
class Analyzer(Protocol):
    """One static-analysis tool behind a uniform interface."""

    name: str

    def applies_to(self, file: FileChange) -> bool:
        """True when this tool should look at ``file``."""

    async def version(self, runner: ProcessRunner) -> str | None:
        """The tool's version string, or None when it is not installed."""

    async def analyze(
        self,
        files: Sequence[FileChange],
        workdir: Path,
        runner: ProcessRunner,
        config: ToolsConfig,
    ) -> AnalyzerResult:
        """Run the tool once over ``files`` (materialized under ``workdir``)."""

    def config_hash(self) -> str:
        """A hash of our pinned configuration for this tool (a cache key part)."""


def limits_for(config: ToolsConfig, *, memory: bool = True) -> Limits:
    """The sandbox limits from the tools config (``memory`` False leaves a tool's memory
    unbounded)."""
    return Limits(
        timeout_s=config.timeout_s,
        memory_mb=config.memory_mb if memory else None,
        cpu_s=config.cpu_s,
        max_output_bytes=config.max_output_bytes,
    )


def load_json(tool: str, text: str) -> object:
    """Parse a tool's JSON output or raise ToolOutputError quoting the start of it."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ToolOutputError(
            f"{tool} printed output that is not JSON ({exc}); it starts {text[:120]!r}"
        ) from exc


def relative_to_workdir(filename: str, workdir: Path) -> str | None:
    """The change-relative path of a file a tool reported, or None if outside the workdir."""
    path = Path(filename)
    if not path.is_absolute():
        path = workdir / path
    try:
        rel = Path(os.path.normpath(path)).relative_to(os.path.normpath(workdir))
    except ValueError:
        try:
            rel = path.resolve().relative_to(workdir.resolve())
        except ValueError:
            return None
    return rel.as_posix()


@functools.cache
def _adapter_source(adapter_module: str) -> bytes:
    """The source of an adapter's module and of this one (what turns output into findings)."""
    parts = []
    for module in {adapter_module, __name__}:
        found = sys.modules.get(module)
        path = getattr(found, "__file__", None)
        if path:
            with contextlib.suppress(OSError):
                parts.append(Path(path).read_bytes())
    return b"\0".join(sorted(parts))


@functools.cache
def _distribution_version(distribution: str) -> str:
    """An installed distribution's version, read once per process (it parses metadata)."""
    return importlib.metadata.version(distribution)


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _STDERR_TAIL else "..." + text[-_STDERR_TAIL:]


class CommandAnalyzer:
    """Shared flow for analyzers that run one command: resolve, run, check, parse.

    Subclasses set ``name``, ``module`` (a Python module run with this interpreter) or
    ``binary`` (looked up on PATH), and implement :meth:`command` and :meth:`parse`.
    """

    name: str = ""
    module: str | None = None
    binary: str | None = None
    distribution: str | None = None
    ok_exit_codes: frozenset[int] = frozenset({0, 1})
    limit_memory: bool = True
    missing_hint: str = "install it or disable the tool"
    # a binary a Python package installs: the one beside this interpreter comes first
    venv_binary: bool = False

    def __init__(self, executable: str | None = None) -> None:
        self._override = executable

    # -- what subclasses provide -------------------------------------------------------------

    def finding(
        self,
        path: str,
        line: int,
        *,
        end_line: int | None = None,
        severity: Severity,
        category: Category,
        rule_id: str,
        message: str,
        cwe: Sequence[str] = (),
    ) -> Finding:
        """A finding of this tool: ``sources`` names it, lines are clamped to 1 and up."""
        line = max(1, line)
        return Finding(
            path=path,
            line=line,
            end_line=max(line, end_line or line),
            severity=severity,
            category=category,
            rule_id=rule_id,
            message=message,
            sources=(f"tool:{self.name}",),
            cwe=tuple(cwe),
        )

    def findings_from(
        self, items: Iterable[Any], read: Callable[[Any], Finding | None], what: str
    ) -> list[Finding]:
        """``read`` every item of the tool's output into a finding (None skips the item,
        e.g. a file outside the workdir); an item lacking what ``read`` needs raises
        ToolOutputError naming the tool, ``what`` it is, and the item."""
        findings: list[Finding] = []
        for item in items:
            try:
                found = read(item)
            except _MALFORMED as exc:
                raise ToolOutputError(f"{self.name} {what} {item!r:.300} lacks {exc}") from exc
            if found is not None:
                findings.append(found)
        return findings

    def applies_to(self, file: FileChange) -> bool:
        """True when this tool should look at ``file``."""
        raise NotImplementedError

    def command(self, files: Sequence[str], workdir: Path, config: ToolsConfig) -> list[str]:
        """Arguments after the executable, for the relative ``files`` in ``workdir``."""
        raise NotImplementedError

    def parse(self, result: ProcessResult, workdir: Path) -> list[Finding]:
        """Turn the tool's output into findings; raise ToolOutputError on garbage."""
        raise NotImplementedError

    def parse_checked(
        self, result: ProcessResult, workdir: Path
    ) -> tuple[list[Finding], list[Skip]]:
        """The findings, and the files the tool said it could not check (default: none)."""
        return self.parse(result, workdir), []

    def pinned_config(self) -> bytes:
        """The bytes of our pinned configuration (argv flags, rules files)."""
        return b""

    def env(self, workdir: Path) -> Mapping[str, str]:
        """Extra environment variables for the tool (never credentials)."""
        return {}

    # -- shared flow -------------------------------------------------------------------------

    def config_hash(self) -> str:
        """sha256 of our pinned config and of the adapter's own code, so a config change or
        an adapter that now parses differently invalidates cached results."""
        code = _adapter_source(type(self).__module__)
        return hashlib.sha256(self.pinned_config() + code).hexdigest()[:16]

    def executable(self) -> list[str] | None:
        """The argv prefix that runs the tool, or None when it is not installed."""
        if self._override is not None:
            found = shutil.which(self._override)
            return [found] if found else None
        if self.module is not None:
            if importlib.util.find_spec(self.module) is None:
                return None
            return [sys.executable, "-m", self.module]
        if self.binary is not None:
            beside = Path(sys.executable).parent / self.binary
            if self.venv_binary and beside.is_file() and os.access(beside, os.X_OK):
                return [str(beside)]
            found = shutil.which(self.binary)
            return [found] if found else None
        return None

    def missing_reason(self) -> str:
        """Why the tool is skipped when it is not installed."""
        where = repr(self._override) if self._override else "on PATH"
        return f"{self.name} not found {where}: {self.missing_hint}"

    def version_args(self) -> list[str]:
        """Arguments that print the version."""
        return ["--version"]

    def installed_here(self) -> bool:
        """True when the tool runs from this interpreter's environment (no override)."""
        return self._override is None and self.module is not None

    async def version(self, runner: ProcessRunner) -> str | None:
        """The tool's version: package metadata when it lives in our environment (free),
        else the first version number ``--version`` prints, asked once per process."""
        prefix = self.executable()
        if prefix is None:
            return None
        if self.distribution and self.installed_here():
            with contextlib.suppress(importlib.metadata.PackageNotFoundError):
                return _distribution_version(self.distribution)
        argv = (*prefix, *self.version_args())
        key = (type(runner).__qualname__, argv)
        if key not in _VERSIONS:
            here = Path(tempfile.gettempdir())
            limits = Limits(timeout_s=_VERSION_TIMEOUT_S, cpu_s=60, max_output_bytes=65536)
            try:
                result = await runner.run(argv, cwd=here, limits=limits, env=self.env(here))
            except ToolMissing:
                return None
            found = _VERSION_RE.search(result.stdout or result.stderr)
            _VERSIONS[key] = found.group(0) if result.exit_code == 0 and found else None
        return _VERSIONS[key]

    async def analyze(
        self,
        files: Sequence[FileChange],
        workdir: Path,
        runner: ProcessRunner,
        config: ToolsConfig,
    ) -> AnalyzerResult:
        """Run the tool once over ``files``; every failure becomes a ToolRun, not an error."""
        paths = tuple(f.path for f in files)
        prefix = self.executable()
        if prefix is None:
            return self._result("skipped", paths, reason=self.missing_reason())
        argv = [*prefix, *self.command(paths, workdir, config)]
        return await self.run_argv(argv, paths, workdir, runner, config)

    async def run_argv(
        self,
        argv: Sequence[str],
        paths: tuple[str, ...],
        workdir: Path,
        runner: ProcessRunner,
        config: ToolsConfig,
        *,
        parse: Callable[[ProcessResult, Path], tuple[list[Finding], list[Skip]]] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> AnalyzerResult:
        """Run ``argv`` in the sandbox and check, parse (``parse`` or :meth:`parse_checked`)
        and record what it did; ``env`` replaces :meth:`env`'s variables."""
        limits = limits_for(config, memory=self.limit_memory)
        try:
            # The version is asked alongside the run: some tools take seconds to start.
            version, result = await asyncio.gather(
                self.version(runner),
                runner.run(
                    argv, cwd=workdir, limits=limits, env=self.env(workdir) if env is None else env
                ),
            )
        except ToolMissing as exc:
            return self._result("skipped", paths, reason=str(exc), argv=argv)

        def done(
            status: ToolStatus,
            reason: str = "",
            findings: Sequence[Finding] = (),
            skips: Sequence[Skip] = (),
        ) -> AnalyzerResult:
            return self._result(
                status,
                paths,
                reason=reason,
                argv=argv,
                version=version,
                result=result,
                findings=findings,
                skips=skips,
            )

        if result.timed_out:
            return done(
                "failed", f"{self.name} timed out after {limits.timeout_s:g}s and was killed"
            )
        if result.truncated:
            return done(
                "failed",
                f"{self.name} printed more than {limits.max_output_bytes} bytes and was killed; "
                "raise tools.max_output_bytes or review fewer files",
            )
        if result.exit_code not in self.ok_exit_codes:
            return done(
                "failed",
                f"{self.name} exited with code {result.exit_code}: {_tail(result.stderr)!r}",
            )
        try:
            found, skips = (parse or self.parse_checked)(result, workdir)
        except ToolError as exc:
            return done("failed", str(exc))
        findings = [f for f in found if f.path in paths]
        return done("ok", findings=findings, skips=[s for s in skips if s.name in paths])

    def _result(
        self,
        status: ToolStatus,
        paths: tuple[str, ...],
        *,
        reason: str = "",
        argv: Sequence[str] = (),
        version: str | None = None,
        result: ProcessResult | None = None,
        findings: Sequence[Finding] = (),
        skips: Sequence[Skip] = (),
    ) -> AnalyzerResult:
        run = ToolRun(
            tool=self.name,
            version=version,
            argv=tuple(argv),
            status=status,
            reason=reason,
            exit_code=result.exit_code if result else None,
            duration_s=result.duration_s if result else 0.0,
            files=paths,
            findings=len(findings),
        )
        return AnalyzerResult(run=run, findings=tuple(findings), file_skips=tuple(skips))
