"""semgrep: our own rules (``rules/*.yml``, one file per language and kind) over every language
they cover: pattern rules and taint-mode rules with framework sources.

Semgrep phones home unless told not to: without ``--metrics=off`` and the version check
disabled, a scan here stalls for about 97 s on network timeouts. Both flags and their
environment twins are always set, and HOME is a temp dir so nothing lands in the user's home.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from review_bot.change import FileChange
from review_bot.config.models import ToolsConfig
from review_bot.errors import ToolOutputError
from review_bot.findings import CATEGORIES, SEVERITIES, Category, Finding, Severity, Skip
from review_bot.suggestions import Edit
from review_bot.tools import _semgrep_core as core
from review_bot.tools.autofix import read_workdir_file, suggestion_from_edits
from review_bot.tools.base import AnalyzerResult, CommandAnalyzer, load_json, relative_to_workdir
from review_bot.tools.sandbox import ProcessResult, ProcessRunner

__all__ = [
    "SEMGREP_LANGUAGES",
    "SemgrepAnalyzer",
    "SemgrepEngine",
    "bundled_rules_path",
    "rules_bytes",
]

SemgrepEngine = Literal["auto", "core", "wrapper"]
"""``auto``: semgrep-core directly when it is usable (see ``_semgrep_core``), else the wrapper."""

SEMGREP_LANGUAGES = frozenset({"python", "javascript", "typescript", "go", "java", "rust"})
_SUFFIXES = (".py", ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".go", ".java", ".rs")
_PER_FILE_TIMEOUT_S = 30
_TIMEOUT_THRESHOLD = 3
_FLAGS = (
    "scan",
    "--metrics=off",
    "--disable-version-check",
    "--json",
    "--quiet",
    "--no-git-ignore",
    "--timeout",
    str(_PER_FILE_TIMEOUT_S),
    "--timeout-threshold",
    str(_TIMEOUT_THRESHOLD),
)
_SEVERITY: dict[str, Severity] = {"ERROR": "high", "WARNING": "medium", "INFO": "low"}
_BY_NAME_SEVERITY: dict[str, Severity] = {s: s for s in SEVERITIES}
_BY_NAME_CATEGORY: dict[str, Category] = {c: c for c in CATEGORIES}


def bundled_rules_path() -> Path:
    """The folder of rule files shipped with review_bot (semgrep loads every ``*.yml`` in it)."""
    return Path(str(resources.files("review_bot.tools") / "rules"))


def rules_bytes(rules: Path) -> bytes:
    """The bytes of a rules file, or of every ``*.yml`` in a rules folder (sorted by name)."""
    if not rules.is_dir():
        return rules.read_bytes()
    files = sorted(rules.glob("*.yml"))
    return b"".join(f.name.encode() + b"\0" + f.read_bytes() for f in files)


def _cwe(metadata: Mapping[str, object]) -> tuple[str, ...]:
    raw = metadata.get("cwe") or ()
    items = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list) else []
    return tuple(str(item).split(":", 1)[0].strip() for item in items)


def _autofix(content: str | None, finding: Finding, item: Any) -> str | None:
    """A rule's ``fix:`` (``extra.fix`` replaces the match, byte offsets) as a suggestion."""
    if content is None:
        return None
    try:
        raw = content.encode("utf-8")
        start, end = int(item["start"]["offset"]), int(item["end"]["offset"])
        edit = Edit(
            len(raw[:start].decode("utf-8")),
            len(raw[:end].decode("utf-8")),
            str(item["extra"]["fix"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
    return suggestion_from_edits(content, finding, [edit])


class SemgrepAnalyzer(CommandAnalyzer):
    """Runs our rules with the semgrep installed next to this interpreter (or on PATH).

    With ``engine="auto"`` the engine binary the installed semgrep ships runs directly, one
    process over every file of the review (all languages), with the same findings as the
    ``semgrep`` wrapper and without its 1.7 CPU-seconds of Python start-up; the wrapper runs
    when that is not possible (an executable given by path, an untested semgrep version,
    rules in a language the direct path does not map). ``"core"`` and ``"wrapper"`` force one
    (tests compare them).
    """

    name = "semgrep"
    distribution = "semgrep"
    binary = "semgrep"
    missing_hint = "install it (pip install 'review-bot-orchestrator[semgrep]') or disable the tool"

    def __init__(
        self,
        executable: str | None = None,
        rules: Path | None = None,
        *,
        engine: SemgrepEngine = "auto",
    ) -> None:
        super().__init__(executable)
        self._rules = rules or bundled_rules_path()
        self._engine = engine

    def _core(self, config: ToolsConfig) -> tuple[Path, core.CoreRules] | None:
        """The engine binary and compiled rules when the direct path runs, else None."""
        if self._engine == "wrapper" or not self.installed_here():
            return None
        binary = core.core_binary()
        rules = core.load_core_rules(Path(config.semgrep_rules or self._rules).resolve())
        if binary is None or rules is None:
            if self._engine == "core":
                raise ToolOutputError("semgrep-core cannot run these rules here (engine='core')")
            return None
        return binary, rules

    async def analyze(
        self,
        files: Sequence[FileChange],
        workdir: Path,
        runner: ProcessRunner,
        config: ToolsConfig,
    ) -> AnalyzerResult:
        """semgrep-core directly when possible, else the wrapper (CommandAnalyzer's flow)."""
        direct = self._core(config) if self.executable() is not None else None
        if direct is None:
            return await super().analyze(files, workdir, runner, config)
        binary, rules = direct
        paths = tuple(f.path for f in files)
        # the rules and targets files live beside the copy, never in it (other tools read it)
        spec = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="review-bot-semgrep-"))
        try:
            rules_file, targets_file = spec / "rules.json", spec / "targets.json"
            rules_file.write_bytes(rules.json)
            targets_file.write_bytes(core.targets_json(paths, rules))
            flags = core.core_flags(
                rules_file, targets_file, _PER_FILE_TIMEOUT_S, _TIMEOUT_THRESHOLD
            )

            def parse(result: ProcessResult, workdir: Path) -> tuple[list[Finding], list[Skip]]:
                items = core.core_results(result.stdout, rules, workdir)
                return self._read_results(items, workdir), []

            argv = [str(binary), *flags]
            return await self.run_argv(argv, paths, workdir, runner, config, parse=parse)
        finally:
            await asyncio.to_thread(shutil.rmtree, spec, True)

    def missing_reason(self) -> str:
        """The install hint users need."""
        if self._override:
            return f"semgrep not found at {self._override!r}: fix tools.paths or disable the tool"
        return "semgrep not installed (pip install 'review-bot-orchestrator[semgrep]')"

    def installed_here(self) -> bool:
        """True when the ``semgrep`` beside this interpreter is the one we run."""
        return self._override is None and (Path(sys.executable).parent / "semgrep").is_file()

    def executable(self) -> list[str] | None:
        """The venv's own ``semgrep`` first: it matches the installed extra."""
        if self._override is None:
            beside = Path(sys.executable).parent / "semgrep"
            if beside.is_file():
                return [str(beside)]
            found = shutil.which("semgrep")
            return [found] if found else None
        return super().executable()

    def applies_to(self, file: FileChange) -> bool:
        """Languages our rules cover."""
        return file.language in SEMGREP_LANGUAGES or file.path.endswith(_SUFFIXES)

    def env(self, workdir: Path) -> Mapping[str, str]:
        """Metrics and version check off (both stall offline); settings under the temp HOME."""
        return {"SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}

    def version_args(self) -> list[str]:
        """``--version`` also checks for updates unless told not to."""
        return ["--version", "--disable-version-check"]

    def command(self, files: Sequence[str], workdir: Path, config: ToolsConfig) -> list[str]:
        """Our rules only; ``nosemgrep`` comments the change adds were cut from the temp copy."""
        rules = config.semgrep_rules or self._rules
        return [*_FLAGS, "--config", str(Path(rules).resolve()), "--", *files]

    def pinned_config(self) -> bytes:
        """Flags and the rules' bytes (every file of the folder)."""
        return "\0".join(_FLAGS).encode() + rules_bytes(self._rules)

    def parse(self, result: ProcessResult, workdir: Path) -> list[Finding]:
        """semgrep's JSON (``results``; per-file ``errors`` do not fail the run), or
        semgrep-core's, converted to the same form first."""
        data = load_json(self.name, result.stdout)
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise ToolOutputError("semgrep's JSON has no 'results' list")
        return self._read_results(data["results"], workdir)

    def _read_results(self, results: Sequence[Any], workdir: Path) -> list[Finding]:
        """Findings from the wrapper's ``results`` items."""
        texts: dict[str, str | None] = {}

        def read(item: Any) -> Finding | None:
            path = relative_to_workdir(str(item["path"]), workdir)
            if path is None:
                return None
            extra = item["extra"]
            metadata = extra.get("metadata") or {}
            wanted = str(metadata.get("review-bot-severity", "")).lower()
            fallback = _SEVERITY.get(str(extra.get("severity")).upper(), "medium")
            finding = self.finding(
                path,
                int(item["start"]["line"]),
                end_line=int(item["end"]["line"]),
                severity=_BY_NAME_SEVERITY.get(wanted, fallback),
                category=_BY_NAME_CATEGORY.get(
                    str(metadata.get("category", "security")).lower(), "security"
                ),
                rule_id=str(item["check_id"]).rsplit(".", 1)[-1],
                message=str(extra["message"]).strip(),
                cwe=_cwe(metadata),
            )
            if not isinstance(extra.get("fix"), str):
                return finding
            if path not in texts:
                texts[path] = read_workdir_file(workdir, path)
            suggestion = _autofix(texts[path], finding, item)
            if suggestion is None:
                return finding
            return finding.model_copy(update={"suggestion": suggestion})

        return self.findings_from(results, read, "result")
