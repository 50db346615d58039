"""eslint: JavaScript bugs with our pinned flat config, when ``eslint`` is on PATH.

TypeScript needs the typescript-eslint parser, which our import-free config cannot load; TS
files are left to semgrep.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from review_bot.change import FileChange
from review_bot.config.models import ToolsConfig
from review_bot.errors import ToolOutputError
from review_bot.findings import Category, Finding, Severity
from review_bot.tools.base import CommandAnalyzer, load_json, relative_to_workdir
from review_bot.tools.sandbox import ProcessResult

__all__ = ["EslintAnalyzer", "eslint_config_path"]

_SUFFIXES = (".js", ".mjs", ".cjs", ".jsx")
_FLAGS = (
    "--no-config-lookup",
    "--no-inline-config",
    "--no-warn-ignored",
    "--no-error-on-unmatched-pattern",
    "-f",
    "json",
)
_SECURITY_RULES = frozenset({"no-eval", "no-implied-eval", "no-new-func", "no-script-url"})


def eslint_config_path() -> Path:
    """Our pinned flat config, shipped with the package."""
    return Path(str(resources.files("review_bot.tools") / "configs" / "eslint.config.mjs"))


def classify(rule_id: str, level: int, fatal: bool) -> tuple[Severity, Category]:
    """Parse errors and eval-like sinks are high; other errors medium; warnings low."""
    if fatal:
        return ("high", "bug")
    if rule_id in _SECURITY_RULES:
        return ("high", "security")
    return ("medium", "bug") if level >= 2 else ("low", "correctness")


class EslintAnalyzer(CommandAnalyzer):
    """Runs ``eslint --no-config-lookup -c <ours> --no-inline-config -f json``."""

    name = "eslint"
    binary = "eslint"
    # V8 reserves a large virtual address space at start; RLIMIT_AS would kill node.
    limit_memory = False

    def applies_to(self, file: FileChange) -> bool:
        """JavaScript files (see the module docstring about TypeScript)."""
        return file.language == "javascript" or file.path.endswith(_SUFFIXES)

    def command(self, files: Sequence[str], workdir: Path, config: ToolsConfig) -> list[str]:
        """``--no-inline-config``: ``// eslint-disable`` comments hide nothing."""
        return [*_FLAGS, "-c", str(eslint_config_path()), "--", *files]

    def pinned_config(self) -> bytes:
        """Flags and the config file."""
        return "\0".join(_FLAGS).encode() + eslint_config_path().read_bytes()

    def parse(self, result: ProcessResult, workdir: Path) -> list[Finding]:
        """eslint's JSON formatter: one entry per file, each with ``messages``."""
        data = load_json(self.name, result.stdout)
        if not isinstance(data, list):
            raise ToolOutputError(f"eslint printed {type(data).__name__}, expected a JSON list")

        def read(path: str) -> Callable[[Any], Finding]:
            def one(item: Any) -> Finding:
                line = int(item.get("line") or 1)
                rule_id = str(item.get("ruleId") or "parse-error")
                fatal = bool(item.get("fatal"))
                severity, category = classify(rule_id, int(item["severity"]), fatal)
                return self.finding(
                    path,
                    line,
                    end_line=int(item.get("endLine") or line),
                    severity=severity,
                    category=category,
                    rule_id=rule_id,
                    message=str(item["message"]),
                )

            return one

        findings: list[Finding] = []
        for entry in data:
            try:
                path = relative_to_workdir(str(entry["filePath"]), workdir)
                messages = list(entry["messages"])
            except (KeyError, TypeError) as exc:
                raise ToolOutputError(f"eslint entry lacks {exc}") from exc
            if path is not None:
                findings += self.findings_from(messages, read(path), "message")
        return findings
