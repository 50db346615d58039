"""Go: ``go vet`` and staticcheck over the changed packages, in a throwaway offline module.

Both tools type-check whole packages, so they run per package dir on a private copy of the
change's Go files with our go.mod (see ``_gomodule``): offline, no cgo, no repo config
(staticcheck.conf, go.work, .golangci.yml are never copied). When the change was built from
a new-side tree (a commit, a work tree, a diff with its tree), the package's other ``.go``
files come with it as context (``ChangeSet.context``), so editing one file of a package
still type-checks; findings are kept on the changed files only. A package the copy still
cannot type-check (a third-party import, offline; or no tree to read siblings from) is
reported as skipped, file by file, never as findings or a failed run.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from review_bot.change import FileChange
from review_bot.config.models import ToolsConfig
from review_bot.findings import Category, Finding, Severity, Skip
from review_bot.tools._gomodule import go_env, prepare_module
from review_bot.tools.base import (
    AnalyzerResult,
    CommandAnalyzer,
    load_json,
    relative_to_workdir,
)
from review_bot.tools.sandbox import ProcessResult, ProcessRunner

__all__ = ["GoVetAnalyzer", "StaticcheckAnalyzer"]

_POSN = re.compile(r"^(?P<file>.+?\.go):(?P<line>\d+)(?::(?P<col>\d+))?$")
_VET_TYPE_ERROR = re.compile(r"^vet: (?P<file>.+?\.go):\d+(?::\d+)?: (?P<msg>.*)$", re.M)
_MISSING_HINT = "apt-get install golang-go (Debian) or install Go from go.dev"

Rule = tuple[Severity, Category, tuple[str, ...]]
_BUG: Rule = ("medium", "bug", ())
_LINT: Rule = ("low", "correctness", ())

# go vet analyzers: what each finds (defaults to a medium bug).
_VET_RULES: dict[str, Rule] = {
    "copylocks": ("medium", "bug", ("CWE-667",)),
    "lostcancel": ("medium", "bug", ("CWE-772",)),
    "atomic": ("medium", "bug", ("CWE-362",)),
    "httpresponse": ("medium", "bug", ("CWE-476",)),
    "unusedresult": ("medium", "bug", ("CWE-252",)),
    "shift": ("medium", "bug", ("CWE-1335",)),
    "composites": ("low", "style", ()),
    "structtag": _LINT,
    "stdmethods": _LINT,
    "assign": _LINT,
    "unreachable": _LINT,
    "buildtag": _LINT,
    "directive": _LINT,
    "tests": _LINT,
    "stdversion": _LINT,
}

# staticcheck checks, by exact code then by group prefix.
_SC_RULES: dict[str, Rule] = {
    "SA1006": ("medium", "bug", ("CWE-134",)),
    "SA1019": ("low", "maintainability", ("CWE-477",)),
    "SA4023": _BUG,
    "SA5000": ("medium", "bug", ("CWE-476",)),
    "SA5007": ("medium", "bug", ("CWE-674",)),
    "SA5011": ("medium", "bug", ("CWE-476",)),
}
_SC_GROUPS: dict[str, Rule] = {
    "SA1": _BUG,
    "SA2": ("medium", "bug", ("CWE-362",)),
    "SA3": _LINT,
    "SA4": _LINT,
    "SA5": _BUG,
    "SA6": ("low", "performance", ()),
    "SA9": _LINT,
}
_SC_CHECKS = "SA*"
_SC_FLAGS = ("-f", "json", "-checks", _SC_CHECKS, "-tests=true")
_VET_FLAGS = ("vet", "-json")


def _package_files(root: Path, rel_dir: str) -> list[str]:
    """The change-relative ``.go`` files of one package dir of the copy."""
    folder = root / rel_dir
    return sorted((PurePosixPath(rel_dir) / p.name).as_posix() for p in folder.glob("*.go"))


class _GoAnalyzer(CommandAnalyzer):
    """The shared flow: prepare the module, skip what cannot be checked, run on the rest."""

    # the answer for a file depends on its package's other files and the module's go.mod
    # (the tool cache keys on them too)
    package_context = ("*.go", "go.mod")

    missing_hint = _MISSING_HINT

    def applies_to(self, file: FileChange) -> bool:
        """Go source files."""
        return file.path.endswith(".go")

    def env(self, workdir: Path) -> Mapping[str, str]:
        """See ``go_env``; ``workdir`` is the module root inside the private copy."""
        return go_env(workdir.parent / "cache")

    async def go_version(self, runner: ProcessRunner) -> str | None:
        """The Go toolchain's version (our go.mod's ``go`` line)."""
        return await GoVetAnalyzer().version(runner)

    def command(self, files: Sequence[str], workdir: Path, config: ToolsConfig) -> list[str]:
        """One process for every changed package dir."""
        dirs = sorted({PurePosixPath(f).parent.as_posix() for f in files})
        return [*self.flags(), "--", *(f"./{d}" if d != "." else "." for d in dirs)]

    def flags(self) -> tuple[str, ...]:
        """The arguments before the package patterns."""
        raise NotImplementedError

    def pinned_config(self) -> bytes:
        """The flags and the environment (our go.mod is derived from them)."""
        env = go_env(Path("/cache"))
        return "\0".join((*self.flags(), *sorted(f"{k}={v}" for k, v in env.items()))).encode()

    def skips_for(self, root: Path, rel_file: str, reason: str) -> list[Skip]:
        """A skip for every file of the package that holds ``rel_file``."""
        rel_dir = PurePosixPath(rel_file).parent.as_posix()
        return [
            Skip(kind="file", name=path, reason=f"{self.name}: {reason}")
            for path in _package_files(root, rel_dir)
        ]

    async def analyze(
        self,
        files: Sequence[FileChange],
        workdir: Path,
        runner: ProcessRunner,
        config: ToolsConfig,
    ) -> AnalyzerResult:
        """Run over the packages that can be type-checked; skip the others file by file."""
        paths = tuple(f.path for f in files)
        if self.executable() is None:
            return self._result("skipped", paths, reason=self.missing_reason())
        go_version = await self.go_version(runner)
        if go_version is None:
            return self._result("skipped", paths, reason=f"go not found: {_MISSING_HINT}")
        private = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="review-bot-go-"))
        try:
            shared = config.cache_dir / "go" if config.cache_dir is not None else None
            module = await asyncio.to_thread(
                prepare_module, workdir, private, paths, go_version, shared
            )
            skips = [
                Skip(kind="file", name=f.path, reason=f"{self.name}: package not checked: {why}")
                for f in files
                for d, why in module.unchecked.items()
                if PurePosixPath(f.path).parent.as_posix() == d
            ]
            checkable = [
                f for f in files if PurePosixPath(f.path).parent.as_posix() in module.packages
            ]
            if not checkable:
                version = await self.version(runner)
                reason = "no changed package could be type-checked"
                return self._result("ok", paths, reason=reason, version=version, skips=skips)
            result = await super().analyze(checkable, module.root, runner, config)
        finally:
            await asyncio.to_thread(shutil.rmtree, private, True)
        return result.model_copy(
            update={
                "run": result.run.model_copy(update={"files": paths}),
                "file_skips": (*skips, *result.file_skips),
            }
        )

    def parse(self, result: ProcessResult, workdir: Path) -> list[Finding]:
        """See :meth:`parse_checked`."""
        return self.parse_checked(result, workdir)[0]


class GoVetAnalyzer(_GoAnalyzer):
    """Runs ``go vet -json`` over the changed packages."""

    name = "govet"
    binary = "go"
    # 2: some package did not type-check (its error is on stderr); the others were vetted.
    ok_exit_codes = frozenset({0, 2})

    def version_args(self) -> list[str]:
        """``go version`` prints ``go version go1.19.8 linux/amd64``."""
        return ["version"]

    def flags(self) -> tuple[str, ...]:
        """``go vet`` with every default analyzer, JSON on stderr."""
        return _VET_FLAGS

    def parse_checked(
        self, result: ProcessResult, workdir: Path
    ) -> tuple[list[Finding], list[Skip]]:
        """stderr holds ``# pkg`` headers, one JSON object per vetted package, and a
        ``vet: file:line:col: message`` line per package that did not type-check."""
        skips: list[Skip] = []
        for match in _VET_TYPE_ERROR.finditer(result.stderr):
            rel = relative_to_workdir(match["file"], workdir)
            if rel is not None:
                reason = f"package does not type-check alone: {match['msg'][:200]}"
                skips += self.skips_for(workdir, rel, reason)
        findings: list[Finding] = []
        for package in _json_objects(result.stderr):
            for analyzers in package.values():
                if not isinstance(analyzers, dict):
                    continue
                for analyzer, items in analyzers.items():
                    if isinstance(items, list):
                        findings += self.findings_from(
                            items, self._reader(str(analyzer), workdir), "diagnostic"
                        )
        return findings, skips

    def _reader(self, analyzer: str, workdir: Path) -> Any:
        severity, category, cwe = _VET_RULES.get(analyzer, _BUG)

        def read(item: Any) -> Finding | None:
            where = _POSN.match(str(item["posn"]))
            path = relative_to_workdir(where["file"], workdir) if where else None
            if where is None or path is None:
                return None
            return self.finding(
                path,
                int(where["line"]),
                severity=severity,
                category=category,
                rule_id=analyzer,
                message=str(item["message"]),
                cwe=cwe,
            )

        return read


class StaticcheckAnalyzer(_GoAnalyzer):
    """Runs ``staticcheck -f json -checks SA*`` (Debian names it ``go-staticcheck``)."""

    name = "staticcheck"
    binary = "staticcheck"

    def executable(self) -> list[str] | None:
        """``staticcheck``, or Debian's ``go-staticcheck``."""
        found = super().executable()
        if found is None and self._override is None:
            debian = shutil.which("go-staticcheck")
            return [debian] if debian else None
        return found

    def version_args(self) -> list[str]:
        """``staticcheck -version`` prints ``staticcheck 2023.1 (v0.4.0)``."""
        return ["-version"]

    def flags(self) -> tuple[str, ...]:
        """The bug-finding checks (SA*); style (ST*) and simplifications (S1*) are noise."""
        return _SC_FLAGS

    def parse_checked(
        self, result: ProcessResult, workdir: Path
    ) -> tuple[list[Finding], list[Skip]]:
        """One JSON object per line; code ``compile`` means the package did not load."""
        skips: list[Skip] = []
        findings: list[Finding] = []
        lines = result.stdout.splitlines()
        items = [load_json(self.name, line) for line in lines if line.startswith("{")]

        def read(item: Any) -> Finding | None:
            code = str(item["code"])
            location = item["location"]
            path = relative_to_workdir(str(location["file"]), workdir)
            if path is None:
                return None
            if code == "compile":
                reason = f"package does not type-check alone: {str(item['message'])[:200]}"
                skips.extend(self.skips_for(workdir, path, reason))
                return None
            severity, category, cwe = _SC_RULES.get(code) or _SC_GROUPS.get(code[:3], _BUG)
            line = int(location["line"])
            end = item.get("end") or {}
            return self.finding(
                path,
                line,
                end_line=int(end.get("line") or line),
                severity=severity,
                category=category,
                rule_id=code,
                message=str(item["message"]),
                cwe=cwe,
            )

        findings = self.findings_from(items, read, "diagnostic")
        # one skip per file, with the package's first type error
        return findings, list({skip.name: skip for skip in reversed(skips)}.values())[::-1]


def _json_objects(text: str) -> list[dict[str, Any]]:
    """The top-level JSON objects in ``text`` (each starts with ``{`` at a line start)."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    index = 0
    while (start := text.find("{", index)) != -1:
        if start and text[start - 1] != "\n":
            index = start + 1
            continue
        try:
            value, index = decoder.raw_decode(text, start)
        except ValueError:
            index = start + 1
            continue
        if isinstance(value, dict):
            found.append(value)
    return found
