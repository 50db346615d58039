"""shellcheck: shell script bugs, when the binary is on PATH."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from review_bot.change import FileChange
from review_bot.config.models import ToolsConfig
from review_bot.errors import ToolOutputError
from review_bot.findings import Category, Finding, Severity
from review_bot.tools.base import CommandAnalyzer, load_json, relative_to_workdir
from review_bot.tools.sandbox import ProcessResult

__all__ = ["ShellcheckAnalyzer"]

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

    def applies_to(self, file: FileChange) -> bool:
        """Shell scripts."""
        return file.language in SHELL_LANGUAGES or file.path.endswith(_SUFFIXES)

    def command(self, files: Sequence[str], workdir: Path, config: ToolsConfig) -> list[str]:
        """One process for every script."""
        return [*_FLAGS, "--", *files]

    def pinned_config(self) -> bytes:
        """The flags."""
        return "\0".join(_FLAGS).encode()

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
