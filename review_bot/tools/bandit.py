"""bandit: Python security issues with CWE ids, one run per review."""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from review_bot.change import FileChange
from review_bot.config.models import ToolsConfig
from review_bot.errors import ToolOutputError
from review_bot.findings import Category, Finding, Severity
from review_bot.redaction import placeholder_for
from review_bot.tools.base import CommandAnalyzer, load_json, relative_to_workdir
from review_bot.tools.cwe import BANDIT_TAXONOMY
from review_bot.tools.sandbox import ProcessResult

__all__ = ["BanditAnalyzer", "bandit_config_path"]

_FLAGS = ("-f", "json", "--ignore-nosec", "-q")

# (issue_severity, issue_confidence) -> our severity: low confidence costs one level.
_LEVELS: tuple[Severity, ...] = ("high", "medium", "low", "info")
_BASE = {"HIGH": 0, "MEDIUM": 1, "LOW": 2}


def bandit_config_path() -> Path:
    """Our pinned bandit YAML, shipped with the package."""
    return Path(str(resources.files("review_bot.tools") / "configs" / "bandit.yml"))


def bandit_severity(severity: str, confidence: str) -> Severity:
    """HIGH/HIGH is high; each step down in severity, or a LOW confidence, lowers it."""
    level = _BASE.get(severity.upper(), 2)
    if confidence.upper() == "LOW":
        level += 1
    return _LEVELS[min(level, len(_LEVELS) - 1)]


class BanditAnalyzer(CommandAnalyzer):
    """Runs ``python -m bandit`` with our config only (``-c``), ignoring ``# nosec``."""

    name = "bandit"
    module = "bandit"
    distribution = "bandit"
    binary = "bandit"

    def applies_to(self, file: FileChange) -> bool:
        """Python files."""
        return file.language == "python" or file.path.endswith(".py")

    def command(self, files: Sequence[str], workdir: Path, config: ToolsConfig) -> list[str]:
        """Explicit files (no ``-r``), so no ``.bandit`` in the tree is ever looked up."""
        return [*_FLAGS, "-c", str(bandit_config_path()), "--", *files]

    def pinned_config(self) -> bytes:
        """Flags and the YAML config."""
        return "\0".join(_FLAGS).encode() + bandit_config_path().read_bytes()

    def parse(self, result: ProcessResult, workdir: Path) -> list[Finding]:
        """bandit's JSON report (``results``); hard-coded password messages lose the value."""
        data = load_json(self.name, result.stdout)
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise ToolOutputError("bandit's JSON has no 'results' list")

        def read(item: Any) -> Finding | None:
            path = relative_to_workdir(str(item["filename"]), workdir)
            if path is None:
                return None
            line = int(item["line_number"])
            lines = [int(n) for n in item.get("line_range") or [line]]
            cwe_id = (item.get("issue_cwe") or {}).get("id")
            test_id = str(item["test_id"])
            default: tuple[Category, tuple[str, ...]] = (
                "security",
                (f"CWE-{cwe_id}",) if cwe_id else (),
            )
            category, cwe = BANDIT_TAXONOMY.get(test_id, default)
            return self.finding(
                path,
                line,
                end_line=max(line, *lines),
                severity=bandit_severity(
                    str(item["issue_severity"]), str(item["issue_confidence"])
                ),
                category=category,
                rule_id=test_id,
                message=_without_value(test_id, str(item["issue_text"])),
                cwe=cwe,
            )

        return self.findings_from(data["results"], read, "result")


_PASSWORD_RULES = frozenset({"B105", "B106", "B107"})
_QUOTED = re.compile(r"'(.*)'", re.DOTALL)


def _without_value(rule_id: str, message: str) -> str:
    """bandit's B105-B107 quote the password they found (``Possible hardcoded password:
    '<value>'``); the finding keeps the rule's words and a placeholder, never the value, so
    no cache entry, transcript or report can hold it."""
    if rule_id not in _PASSWORD_RULES:
        return message
    return _QUOTED.sub(lambda m: placeholder_for("password", m.group(1)), message)
