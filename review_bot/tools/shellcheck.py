"""shellcheck: shell script bugs, when the binary is on PATH.

The dialect is always passed (``--shell=``): a script without a shebang otherwise gets an
``SC2148`` error ("shell unknown") on line 1 and nothing else is checked the way the script runs.
It comes from a ``# shellcheck shell=`` directive, the shebang, or the extension (``.ksh``,
``.dash``), else bash. ``--shell`` also overrides the shebang, so each dialect's scripts run in
a process of their own. zsh, fish and csh scripts are not given to shellcheck (it cannot parse
them).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from review_bot.change import FileChange
from review_bot.config.models import ToolsConfig
from review_bot.errors import ToolOutputError
from review_bot.findings import Category, Finding, Severity
from review_bot.tools.base import AnalyzerResult, CommandAnalyzer, load_json, relative_to_workdir
from review_bot.tools.sandbox import ProcessResult, ProcessRunner

__all__ = ["DEFAULT_DIALECT", "ShellcheckAnalyzer", "dialect_of"]

DEFAULT_DIALECT = "bash"
_DIALECTS = {
    "sh": "sh",
    "dash": "dash",
    "ash": "dash",
    "ksh": "ksh",
    "mksh": "ksh",
    "ksh93": "ksh",
    "bash": "bash",
    "busybox": "busybox",
}
_UNSUPPORTED = frozenset({"zsh", "fish", "csh", "tcsh"})
_SHEBANG = re.compile(r"^#!\s*(?:\S*/)?(?:env\s+(?:-\S+\s+)*)?([\w.+-]+)")
_DIRECTIVE = re.compile(r"^\s*#\s*shellcheck\s+(?:.*\s)?shell=([\w-]+)", re.MULTILINE)
_EXTENSIONS = {".ksh": "ksh", ".dash": "dash", ".bash": "bash", ".bats": "bash"}

SHELL_LANGUAGES = frozenset({"shell", "bash", "sh"})
_SUFFIXES = (".sh", ".bash")
# --norc: never read the reviewed repo's .shellcheckrc. Directives the change adds are
# cut down to the base side's in the temp copy (see suppressions.py).
_FLAGS = ("-f", "json1", "--norc")
_LEVELS: dict[str, tuple[Severity, Category]] = {
    "error": ("high", "bug"),
    "warning": ("medium", "bug"),
    "info": ("low", "correctness"),
    "style": ("info", "style"),
}


class ShellcheckAnalyzer(CommandAnalyzer):
    """Runs ``shellcheck -f json1 --norc`` over the changed shell scripts."""

    name = "shellcheck"
    binary = "shellcheck"
    # 2: some file could not be checked; the JSON still holds the others' comments.
    ok_exit_codes = frozenset({0, 1, 2})

    def __init__(self, executable: str | None = None, *, dialect: str = DEFAULT_DIALECT) -> None:
        super().__init__(executable)
        self.dialect = dialect

    def applies_to(self, file: FileChange) -> bool:
        """Shell scripts in a dialect shellcheck knows."""
        shell = file.language in SHELL_LANGUAGES or file.path.endswith(_SUFFIXES)
        return shell and dialect_of(file) is not None

    def command(self, files: Sequence[str], workdir: Path, config: ToolsConfig) -> list[str]:
        """One process for every script of this dialect."""
        return [*_FLAGS, f"--shell={self.dialect}", "--", *files]

    async def analyze(
        self,
        files: Sequence[FileChange],
        workdir: Path,
        runner: ProcessRunner,
        config: ToolsConfig,
    ) -> AnalyzerResult:
        """One shellcheck process per dialect, folded into one result."""
        groups: dict[str, list[FileChange]] = {}
        for file in files:
            groups.setdefault(dialect_of(file) or DEFAULT_DIALECT, []).append(file)
        parts = await asyncio.gather(
            *(
                CommandAnalyzer.analyze(
                    ShellcheckAnalyzer(self._override, dialect=d), batch, workdir, runner, config
                )
                for d, batch in sorted(groups.items())
            )
        )
        return _fold(parts, files)

    def pinned_config(self) -> bytes:
        """The flags (the dialect is read from each file, whose content keys the cache)."""
        return "\0".join((*_FLAGS, "--shell")).encode()

    def parse(self, result: ProcessResult, workdir: Path) -> list[Finding]:
        """shellcheck's ``json1`` format: ``{"comments": [...]}``."""
        data = load_json(self.name, result.stdout)
        if not isinstance(data, dict) or not isinstance(data.get("comments"), list):
            raise ToolOutputError("shellcheck's JSON has no 'comments' list")

        def read(item: Any) -> Finding | None:
            path = relative_to_workdir(str(item["file"]), workdir)
            if path is None:
                return None
            line = int(item["line"])
            severity, category = _LEVELS.get(str(item["level"]), ("low", "correctness"))
            return self.finding(
                path,
                line,
                end_line=int(item.get("endLine") or line),
                severity=severity,
                category=category,
                rule_id=f"SC{int(item['code'])}",
                message=str(item["message"]),
            )

        return self.findings_from(data["comments"], read, "comment")


def dialect_of(file: FileChange) -> str | None:
    """The shellcheck dialect of a script (None: a shell shellcheck cannot check)."""
    text = file.new_content or ""
    head = "\n".join(text.splitlines()[:10])
    found = _DIRECTIVE.search(head)
    name = found.group(1) if found else None
    if name is None:
        shebang = _SHEBANG.match(text)
        name = shebang.group(1) if shebang else None
    if name is None:
        return _EXTENSIONS.get(Path(file.path).suffix.lower(), DEFAULT_DIALECT)
    name = name.lower()
    if name in _UNSUPPORTED:
        return None
    return _DIALECTS.get(name, DEFAULT_DIALECT)


def _fold(parts: Sequence[AnalyzerResult], files: Sequence[FileChange]) -> AnalyzerResult:
    """The per-dialect runs as one: failed if any failed, every finding, every argv."""
    if len(parts) == 1:
        return parts[0]
    runs = [p.run for p in parts]
    bad = [r for r in runs if r.status != "ok"]
    status = bad[0].status if bad else "ok"
    findings = tuple(f for p in parts for f in p.findings)
    argv: list[str] = []
    for run in runs:
        argv += [*(["&&"] if argv else []), *run.argv]
    run = runs[0].model_copy(
        update={
            "status": status,
            "reason": "; ".join(r.reason for r in bad),
            "argv": tuple(argv),
            "version": next((r.version for r in runs if r.version), None),
            "exit_code": max((r.exit_code or 0 for r in runs), default=0),
            "duration_s": max(r.duration_s for r in runs),
            "files": tuple(f.path for f in files),
            "findings": len(findings),
        }
    )
    return AnalyzerResult(run=run, findings=findings)
