"""ruff: Python bugs (undefined names, syntax errors, bugbear, async misuse), one run per review."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from review_bot.change import FileChange
from review_bot.config.models import ToolsConfig
from review_bot.errors import ToolOutputError
from review_bot.findings import Category, Finding, Severity
from review_bot.tools.base import CommandAnalyzer, load_json, relative_to_workdir
from review_bot.tools.cwe import cwe_for
from review_bot.tools.sandbox import ProcessResult

__all__ = ["RUFF_SELECT", "RuffAnalyzer"]

# Bug-finding rules only: style is the reviewed repo's business, not ours.
RUFF_SELECT = ("E9", "F", "B", "PLE", "ASYNC", "RUF006")
_FLAGS = ("check", "--isolated", "--no-cache", "--ignore-noqa", "--output-format", "json")

# code (or prefix) -> (severity, category); the longest matching prefix wins.
_RULES: dict[str, tuple[Severity, Category]] = {
    "invalid-syntax": ("high", "bug"),
    "E9": ("high", "bug"),
    "F821": ("high", "bug"),
    "F822": ("high", "bug"),
    "F823": ("high", "bug"),
    "F7": ("high", "bug"),
    "F811": ("medium", "bug"),
    "F6": ("medium", "bug"),
    "F5": ("medium", "bug"),
    "F4": ("low", "maintainability"),
    "F841": ("low", "maintainability"),
    "F": ("low", "correctness"),
    "B0": ("medium", "bug"),
    "B": ("low", "correctness"),
    "PLE": ("medium", "bug"),
    "ASYNC": ("medium", "performance"),
    "RUF006": ("medium", "bug"),
}


def classify(code: str) -> tuple[Severity, Category]:
    """Severity and category for a ruff code (unknown codes: low correctness)."""
    for size in range(len(code), 0, -1):
        hit = _RULES.get(code[:size])
        if hit is not None:
            return hit
    return ("low", "correctness")


class RuffAnalyzer(CommandAnalyzer):
    """Runs ``python -m ruff check --isolated`` with our pinned rule selection."""

    name = "ruff"
    module = "ruff"
    distribution = "ruff"
    binary = "ruff"

    def applies_to(self, file: FileChange) -> bool:
        """Python files and stubs."""
        return file.language == "python" or file.path.endswith((".py", ".pyi"))

    def command(self, files: Sequence[str], workdir: Path, config: ToolsConfig) -> list[str]:
        """``--isolated`` ignores every pyproject/ruff.toml the change may carry."""
        return [*_FLAGS, "--select", ",".join(RUFF_SELECT), "--", *files]

    def pinned_config(self) -> bytes:
        """Flags and rule selection."""
        return "\0".join((*_FLAGS, *RUFF_SELECT)).encode()

    def parse(self, result: ProcessResult, workdir: Path) -> list[Finding]:
        """ruff's JSON list of diagnostics."""
        data = load_json(self.name, result.stdout)
        if not isinstance(data, list):
            raise ToolOutputError(f"ruff printed {type(data).__name__}, expected a JSON list")

        def read(item: Any) -> Finding | None:
            path = relative_to_workdir(str(item["filename"]), workdir)
            if path is None:
                return None
            code = str(item.get("code") or "invalid-syntax")
            line = int(item["location"]["row"])
            end = item.get("end_location") or item["location"]
            severity, category = classify(code)
            return self.finding(
                path,
                line,
                end_line=int(end["row"]),
                severity=severity,
                category=category,
                rule_id=code,
                message=str(item["message"]),
                cwe=cwe_for(self.name, code),
            )

        return self.findings_from(data, read, "diagnostic")
