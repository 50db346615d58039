"""eslint: JavaScript and TypeScript bugs with our pinned flat config (``eslint`` on PATH).

TypeScript files go to eslint only when ``@typescript-eslint/parser`` is installed beside that
eslint (``npm install eslint@9 @typescript-eslint/parser@8``): our config imports it by the
absolute path we pass in ``REVIEW_BOT_TS_PARSER``, never anything from the reviewed repo.
Without it TypeScript is left to semgrep. The security plugins installed beside eslint are
loaded the same way (see ``eslint_plugins``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from review_bot.change import FileChange
from review_bot.config.models import ToolsConfig
from review_bot.errors import ToolOutputError
from review_bot.findings import Category, Finding, Severity
from review_bot.suggestions import Edit
from review_bot.tools.autofix import read_workdir_file, suggestion_from_edits
from review_bot.tools.base import AnalyzerResult, CommandAnalyzer, load_json, relative_to_workdir
from review_bot.tools.cwe import cwe_for
from review_bot.tools.eslint_plugins import plugin_env, plugin_fingerprint, plugin_rule
from review_bot.tools.sandbox import ProcessResult, ProcessRunner

__all__ = ["EslintAnalyzer", "eslint_config_path"]

_SUFFIXES = (".js", ".mjs", ".cjs", ".jsx")
_TS_SUFFIXES = (".ts", ".tsx", ".mts", ".cts")
_TS_PARSER = Path("@typescript-eslint", "parser")
_FLAGS = (
    "--no-config-lookup",
    "--no-warn-ignored",
    "--no-error-on-unmatched-pattern",
    "-f",
    "json",
)
_SECURITY_RULES = frozenset({"no-eval", "no-implied-eval", "no-new-func", "no-script-url"})


def eslint_config_path() -> Path:
    """Our pinned flat config, shipped with the package."""
    return Path(str(resources.files("review_bot.tools") / "configs" / "eslint.config.mjs"))


@functools.cache
def _package_json(package: Path) -> bytes | None:
    """An installed npm package's ``package.json`` (read once per process), or None."""
    try:
        return (package / "package.json").read_bytes()
    except OSError:
        return None


def _installed_version(eslint: str) -> str | None:
    """The version in the ``package.json`` of the eslint package ``eslint`` runs from
    (``node_modules/eslint/bin/eslint.js``): what ``eslint --version`` prints, without the
    0.3 CPU-s of starting node. None when that is not how it is installed."""
    script = Path(eslint).resolve()
    if script.name != "eslint.js" or script.parent.name != "bin":
        return None
    raw = _package_json(script.parents[1])
    try:
        meta = json.loads(raw) if raw is not None else None
    except ValueError:
        return None
    if not isinstance(meta, dict) or meta.get("name") != "eslint":
        return None
    version = meta.get("version")
    return version if isinstance(version, str) and version else None


@functools.cache
def _parser_beside(eslint: str) -> Path | None:
    """``@typescript-eslint/parser``'s entry point next to the eslint at ``eslint``.

    Looked up once per process and eslint: it is asked for every file a review considers.
    """
    # node_modules/.bin/eslint -> node_modules/eslint/bin/eslint.js
    package = Path(eslint).resolve().parents[2] / _TS_PARSER
    raw = _package_json(package)
    try:
        meta = json.loads(raw) if raw is not None else None
        entry = package / str(meta.get("main") or "dist/index.js") if meta else None
    except (ValueError, AttributeError):
        return None
    return entry if entry is not None and entry.is_file() else None


def _autofix(content: str | None, finding: Finding, fix: Any) -> str | None:
    """eslint's ``fix`` (``range`` in UTF-16 code units, ``text``) as a suggestion, or None."""
    if content is None or not isinstance(fix, dict):
        return None
    if any(ord(c) > 0xFFFF for c in content):
        return None  # UTF-16 offsets differ from ours past the BMP: not worth the risk
    try:
        start, end = (int(n) for n in fix["range"])
        edit = Edit(start, end, str(fix["text"]))
    except (KeyError, TypeError, ValueError):
        return None
    return suggestion_from_edits(content, finding, [edit])


def classify(rule_id: str, level: int, fatal: bool) -> tuple[Severity, Category]:
    """Parse errors and eval-like sinks are high; other errors medium; warnings low."""
    if fatal:
        return ("high", "bug")
    if rule_id in _SECURITY_RULES:
        return ("high", "security")
    return ("medium", "bug") if level >= 2 else ("low", "correctness")


def _typescript(file: FileChange) -> bool:
    return file.language == "typescript" or file.path.endswith(_TS_SUFFIXES)


class EslintAnalyzer(CommandAnalyzer):
    """Runs ``eslint --no-config-lookup -c <ours> -f json``."""

    name = "eslint"
    binary = "eslint"
    # node runs under the memory limit: it is RLIMIT_DATA, which V8's large address-space
    # reservations do not count against (RLIMIT_AS would kill node at start)

    def applies_to(self, file: FileChange) -> bool:
        """JavaScript files, and TypeScript ones when the TS parser is installed."""
        if file.language == "javascript" or file.path.endswith(_SUFFIXES):
            return True
        return _typescript(file) and self.ts_parser() is not None

    def unsupported_reason(self, file: FileChange) -> str | None:
        """Why a TypeScript file is not given to eslint here (None for other files)."""
        if not _typescript(file):
            return None
        if self.executable() is None:
            return f"TypeScript not analyzed by eslint: {self.missing_reason()}"
        return (
            "TypeScript not analyzed by eslint: @typescript-eslint/parser is not installed "
            "beside it (npm install eslint@9 @typescript-eslint/parser@8)"
        )

    def ts_parser(self) -> Path | None:
        """The entry point of ``@typescript-eslint/parser`` in the node_modules that holds
        the eslint we run (a local or a global npm install), or None."""
        found = self.executable()
        return None if found is None else _parser_beside(found[0])

    def env(self, workdir: Path) -> Mapping[str, str]:
        """Where our config finds the TypeScript parser and the security plugins (if any)."""
        found = self.executable()
        parser = self.ts_parser()
        env = {} if found is None else plugin_env(found[0])
        return env if parser is None else {**env, "REVIEW_BOT_TS_PARSER": str(parser)}

    async def version(self, runner: ProcessRunner) -> str | None:
        """From eslint's ``package.json`` when it is there, else ``eslint --version``."""
        found = self.executable()
        known = None if found is None else _installed_version(found[0])
        return known if known is not None else await super().version(runner)

    async def analyze(
        self,
        files: Sequence[FileChange],
        workdir: Path,
        runner: ProcessRunner,
        config: ToolsConfig,
    ) -> AnalyzerResult:
        """Without a TypeScript file in the batch the TypeScript parser is not loaded: it
        pulls in the TypeScript compiler, more than half of eslint's CPU on a small change."""
        prefix = self.executable()
        if prefix is None or any(_typescript(f) for f in files):
            return await super().analyze(files, workdir, runner, config)
        paths = tuple(f.path for f in files)
        env = {k: v for k, v in self.env(workdir).items() if k != "REVIEW_BOT_TS_PARSER"}
        argv = [*prefix, *self.command(paths, workdir, config)]
        return await self.run_argv(argv, paths, workdir, runner, config, env=env)

    def command(self, files: Sequence[str], workdir: Path, config: ToolsConfig) -> list[str]:
        """Inline ``eslint-disable`` comments apply; the change's own were cut from the temp
        copy (suppressions.py)."""
        return [*_FLAGS, "-c", str(eslint_config_path()), "--", *files]

    def pinned_config(self) -> bytes:
        """Flags, the config file, and which TypeScript parser it loads (if any)."""
        parser = self.ts_parser()
        meta = b"" if parser is None else _package_json(parser.parents[1]) or b""
        found = self.executable()
        plugins = b"" if found is None else plugin_fingerprint(found[0])
        return "\0".join(_FLAGS).encode() + eslint_config_path().read_bytes() + meta + plugins

    def parse(self, result: ProcessResult, workdir: Path) -> list[Finding]:
        """eslint's JSON formatter: one entry per file, each with ``messages``."""
        data = load_json(self.name, result.stdout)
        if not isinstance(data, list):
            raise ToolOutputError(f"eslint printed {type(data).__name__}, expected a JSON list")

        def read(path: str) -> Callable[[Any], Finding]:
            content = read_workdir_file(workdir, path)

            def one(item: Any) -> Finding:
                line = int(item.get("line") or 1)
                rule_id = str(item.get("ruleId") or "parse-error")
                fatal = bool(item.get("fatal"))
                severity, category = classify(rule_id, int(item["severity"]), fatal)
                severity, category, cwe = plugin_rule(rule_id) or (severity, category, ())
                finding = self.finding(
                    path,
                    line,
                    end_line=int(item.get("endLine") or line),
                    severity=severity,
                    category=category,
                    rule_id=rule_id,
                    message=str(item["message"]),
                    cwe=cwe or cwe_for(self.name, rule_id),
                )
                suggestion = _autofix(content, finding, item.get("fix"))
                if suggestion is None:
                    return finding
                return finding.model_copy(update={"suggestion": suggestion})

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
