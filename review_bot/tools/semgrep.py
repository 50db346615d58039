"""semgrep: our own rules (``rules/*.yml``, one file per language and kind) over every language
they cover: pattern rules and taint-mode rules with framework sources.

Semgrep phones home unless told not to: without ``--metrics=off`` and the version check
disabled, a scan here stalls for about 97 s on network timeouts. Both flags and their
environment twins are always set, and HOME is a temp dir so nothing lands in the user's home.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from review_bot.change import FileChange
from review_bot.config.models import ToolsConfig
from review_bot.errors import ToolOutputError
from review_bot.findings import CATEGORIES, SEVERITIES, Category, Finding, Severity
from review_bot.tools.base import CommandAnalyzer, load_json, relative_to_workdir
from review_bot.tools.sandbox import ProcessResult

__all__ = ["SEMGREP_LANGUAGES", "SemgrepAnalyzer", "bundled_rules_path", "rules_bytes"]

SEMGREP_LANGUAGES = frozenset({"python", "javascript", "typescript", "go", "java", "rust"})
_SUFFIXES = (".py", ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".go", ".java", ".rs")
_PER_FILE_TIMEOUT_S = 30
_FLAGS = (
    "scan",
    "--metrics=off",
    "--disable-version-check",
    "--disable-nosem",
    "--json",
    "--quiet",
    "--no-git-ignore",
    "--timeout",
    str(_PER_FILE_TIMEOUT_S),
    "--timeout-threshold",
    "3",
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


class SemgrepAnalyzer(CommandAnalyzer):
    """Runs the ``semgrep`` installed next to this interpreter (or on PATH)."""

    name = "semgrep"
    distribution = "semgrep"
    binary = "semgrep"
    missing_hint = "install it (pip install 'review-bot[semgrep]') or disable the tool"

    def __init__(self, executable: str | None = None, rules: Path | None = None) -> None:
        super().__init__(executable)
        self._rules = rules or bundled_rules_path()

    def missing_reason(self) -> str:
        """The install hint users need."""
        if self._override:
            return f"semgrep not found at {self._override!r}: fix tools.paths or disable the tool"
        return "semgrep not installed (pip install 'review-bot[semgrep]')"

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
        """Our rules only; ``--disable-nosem`` so added ``nosemgrep`` comments hide nothing."""
        rules = config.semgrep_rules or self._rules
        return [*_FLAGS, "--config", str(Path(rules).resolve()), "--", *files]

    def pinned_config(self) -> bytes:
        """Flags and the rules' bytes (every file of the folder)."""
        return "\0".join(_FLAGS).encode() + rules_bytes(self._rules)

    def parse(self, result: ProcessResult, workdir: Path) -> list[Finding]:
        """semgrep's JSON (``results``; per-file ``errors`` do not fail the run)."""
        data = load_json(self.name, result.stdout)
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise ToolOutputError("semgrep's JSON has no 'results' list")

        def read(item: Any) -> Finding | None:
            path = relative_to_workdir(str(item["path"]), workdir)
            if path is None:
                return None
            extra = item["extra"]
            metadata = extra.get("metadata") or {}
            wanted = str(metadata.get("review-bot-severity", "")).lower()
            fallback = _SEVERITY.get(str(extra.get("severity")).upper(), "medium")
            return self.finding(
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

        return self.findings_from(data["results"], read, "result")
