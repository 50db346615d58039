"""detect-secrets: hard-coded credentials in every changed file, whatever its language.

A finding names the detector and the line, never the secret (nor its hash): reviews are
posted, logged and recorded, and must not spread the credential further.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from review_bot.change import FileChange
from review_bot.config.models import ToolsConfig
from review_bot.errors import ToolOutputError
from review_bot.findings import Finding
from review_bot.tools.base import CommandAnalyzer, load_json, relative_to_workdir
from review_bot.tools.sandbox import ProcessResult

__all__ = ["SecretsAnalyzer"]

# Explicit file arguments: no git lookups, no baseline, default plugins and filters.
# `pragma: allowlist secret` the change adds is neutralised in the temp copy.
_FLAGS = ("scan",)


class SecretsAnalyzer(CommandAnalyzer):
    """Runs ``python -m detect_secrets scan <files>`` on the temp copy."""

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

    def parse(self, result: ProcessResult, workdir: Path) -> list[Finding]:
        """The baseline JSON's ``results``: ``{filename: [{type, line_number, ...}]}``."""
        data = load_json(self.name, result.stdout)
        if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
            raise ToolOutputError("detect-secrets' JSON has no 'results' object")

        def read(path: str) -> Callable[[Any], Finding]:
            def one(item: Any) -> Finding:
                kind = str(item["type"])
                line = int(item["line_number"])
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

            return one

        findings: list[Finding] = []
        for filename, secrets in data["results"].items():
            path = relative_to_workdir(str(filename), workdir)
            if path is not None:
                findings += self.findings_from(secrets, read(path), "result")
        return findings
