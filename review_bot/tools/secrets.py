"""detect-secrets: hard-coded credentials in every changed file, whatever its language.

A finding names the detector and the line, never the secret (nor its hash): reviews are
posted, logged and recorded, and must not spread the credential further.

The detectors are the ones redaction uses (:mod:`review_bot.secret_detectors`): besides
detect-secrets' own results, a line where only one of our patterns finds a secret (a Google
API key, a URL password, an ``.env`` value, a token split over two lines) is reported too, so
what is redacted and what is reported come from one set.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from review_bot.change import FileChange
from review_bot.config.models import ToolsConfig
from review_bot.errors import ToolError, ToolOutputError
from review_bot.findings import Finding
from review_bot.secret_detectors import own_hits
from review_bot.tools._secrets_scan import scan_in_process
from review_bot.tools.base import AnalyzerResult, CommandAnalyzer, load_json, relative_to_workdir
from review_bot.tools.sandbox import ProcessResult, ProcessRunner

__all__ = ["SecretsAnalyzer"]

# Explicit file arguments: no git lookups, no baseline, default plugins and filters.
# `pragma: allowlist secret` the change adds is neutralised in the temp copy.
_FLAGS = ("scan",)


_ALLOWLIST = re.compile(r"pragma:\s*allowlist[ -]secret", re.IGNORECASE)
_ALLOWLIST_NEXT = re.compile(r"pragma:\s*allowlist[ -]nextline[ -]secret", re.IGNORECASE)


def _allowlisted(lines: Sequence[str], line: int) -> bool:
    """detect-secrets' own pragmas: on the line, or ``allowlist nextline`` just above it."""
    if _ALLOWLIST.search(lines[line - 1]):
        return True
    return line >= 2 and bool(_ALLOWLIST_NEXT.search(lines[line - 2]))


class SecretsAnalyzer(CommandAnalyzer):
    """detect-secrets' ``scan <files>`` on the temp copy: in this process by default
    (``in_process=False`` or an executable given by path: ``python -m detect_secrets``)."""

    name = "secrets"
    module = "detect_secrets"
    distribution = "detect-secrets"
    binary = "detect-secrets"
    ok_exit_codes = frozenset({0})

    def applies_to(self, file: FileChange) -> bool:
        """Every file: credentials turn up in configs, scripts and docs too."""
        return file.new_content is not None

    def command(self, files: Sequence[str], workdir: Path, config: ToolsConfig) -> list[str]:
        """One process for every file."""
        return [*_FLAGS, "--", *files]

    def missing_reason(self) -> str:
        """detect-secrets is a core dependency; missing means a broken install."""
        return "detect-secrets not found: reinstall review-bot or disable the 'secrets' tool"

    def pinned_config(self) -> bytes:
        """The flags (plugins are detect-secrets' defaults for its version)."""
        return "\0".join(_FLAGS).encode()

    def __init__(self, executable: str | None = None, *, in_process: bool = True) -> None:
        super().__init__(executable)
        self._in_process = in_process and executable is None

    async def _detect(
        self,
        files: Sequence[FileChange],
        workdir: Path,
        runner: ProcessRunner,
        config: ToolsConfig,
    ) -> AnalyzerResult:
        """detect-secrets' own results: in this process (``_secrets_scan``) unless told
        otherwise or busy, else its CLI in the sandbox. Both give the same JSON."""
        if not self._in_process:
            return await super().analyze(files, workdir, runner, config)
        paths = tuple(f.path for f in files)
        argv = ("detect-secrets (in process)", *_FLAGS, "--", *paths)
        version = await self.version(runner)
        started = time.monotonic()
        try:
            stdout = await asyncio.wait_for(
                asyncio.to_thread(scan_in_process, paths, workdir), timeout=config.timeout_s
            )
        except TimeoutError:
            reason = f"secrets timed out after {config.timeout_s:g}s (in process)"
            return self._result("failed", paths, reason=reason, argv=argv, version=version)
        except (
            Exception
        ) as exc:  # a crash of the in-process tool is a failed run, as one of its process
            reason = f"detect-secrets failed in process: {type(exc).__name__}: {exc}"
            return self._result("failed", paths, reason=reason, argv=argv, version=version)
        if stdout is None:  # another review's scan holds detect-secrets' settings
            return await super().analyze(files, workdir, runner, config)
        elapsed = round(time.monotonic() - started, 3)
        result = ProcessResult(argv=argv, exit_code=0, stdout=stdout, stderr="", duration_s=elapsed)
        try:
            found = self.parse(result, workdir)
        except ToolError as exc:
            return self._result("failed", paths, reason=str(exc), argv=argv, version=version)
        findings = [f for f in found if f.path in paths]
        return self._result(
            "ok", paths, argv=argv, version=version, result=result, findings=findings
        )

    async def analyze(
        self,
        files: Sequence[FileChange],
        workdir: Path,
        runner: ProcessRunner,
        config: ToolsConfig,
    ) -> AnalyzerResult:
        """detect-secrets' run, plus the lines only our own detectors flag."""
        result = await self._detect(files, workdir, runner, config)
        if result.run.status != "ok":
            return result
        flagged = {(f.path, f.line) for f in result.findings}
        extra: list[Finding] = []
        for file in files:
            # the temp copy: a pragma the change adds is already inert there, one the base
            # side had still allowlists its line, as it does for detect-secrets itself
            copy = workdir / file.path
            text = copy.read_text(errors="replace") if copy.is_file() else file.new_content or ""
            lines = text.split("\n")
            ours: set[tuple[int, str]] = set()
            for start, _, kind in own_hits(text):
                line = text.count("\n", 0, start) + 1
                if _allowlisted(lines, line):
                    continue
                ours.add((line, kind))
                # a secret split over lines is one finding, on its first line
                if (file.path, line) not in flagged and (line - 1, kind) not in ours:
                    flagged.add((file.path, line))
                    extra.append(self._finding(file.path, line, kind))
        if not extra:
            return result
        findings = (*result.findings, *extra)
        run = result.run.model_copy(update={"findings": len(findings)})
        return result.model_copy(update={"run": run, "findings": findings})

    def _finding(self, path: str, line: int, kind: str) -> Finding:
        return self.finding(
            path,
            line,
            severity="high",
            category="security",
            rule_id=kind,
            message=(
                f"{kind} hard-coded at {path}:{line}. Remove it, rotate the "
                "credential, and load it from the environment or a secret store."
            ),
            cwe=("CWE-798",),
        )

    def parse(self, result: ProcessResult, workdir: Path) -> list[Finding]:
        """The baseline JSON's ``results``: ``{filename: [{type, line_number, ...}]}``."""
        data = load_json(self.name, result.stdout)
        if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
            raise ToolOutputError("detect-secrets' JSON has no 'results' object")

        def read(path: str) -> Callable[[Any], Finding]:
            def one(item: Any) -> Finding:
                return self._finding(path, int(item["line_number"]), str(item["type"]))

            return one

        findings: list[Finding] = []
        for filename, secrets in data["results"].items():
            path = relative_to_workdir(str(filename), workdir)
            if path is not None:
                findings += self.findings_from(secrets, read(path), "result")
        return findings
