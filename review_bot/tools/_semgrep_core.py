"""semgrep's engine, run directly: what the ``semgrep`` wrapper would hand ``semgrep-core``.

The ``semgrep`` command is a Python program (about 1.7 CPU-seconds of start-up per run) that
reads the rules, picks each file's language, runs the ``semgrep-core`` binary it ships and
post-processes the answer. For our explicit file lists that work is small and fixed, so it is
done here instead, in process:

- rules: every ``*.yml`` loaded (YAML anchors resolved, which ``semgrep-core`` alone cannot
  do), ids prefixed exactly as the wrapper prefixes them (so ``nosemgrep: <id>`` comments match
  the same way) and JavaScript rules extended to TypeScript, as the wrapper does; compiled
  once per content into the JSON rules file the wrapper would write;
- targets: each file gets every rule language whose extensions it ends with (explicit targets:
  no ignore files, no size limit, no minified-file filter, as the wrapper does for them); the
  rules' ``paths:`` include/exclude filters are applied by ``semgrep-core`` on the ``ppath``;
- results: ``is_ignored`` ones (``nosemgrep``) dropped; message, severity and metadata from the
  match, falling back to the rule's (the wrapper's ``core_matches_to_rule_matches``); ``fix``
  right-stripped. Messages and fixes come back already interpolated with metavariables.

This is an internal interface of semgrep, so it is used only for the versions in
:data:`TESTED_VERSIONS`; any other version, a ``semgrep`` given by path, or a rules set with a
language missing from :data:`_LANGUAGES` runs the wrapper instead.
``tests/tools/test_semgrep_core.py`` runs both over the rules' test files and the bundled
example and asserts the same findings.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from review_bot.errors import ToolOutputError
from review_bot.tools.base import relative_to_workdir

__all__ = [
    "TESTED_VERSIONS",
    "CoreRules",
    "core_binary",
    "core_flags",
    "core_results",
    "load_core_rules",
    "targets_json",
    "tested_version",
]

TESTED_VERSIONS = ((1, 185), (1, 186))
"""``[low, high)`` (major, minor) of semgrep whose ``semgrep-core`` interface is tested here."""

# rule language key -> (semgrep-core analyzer id, extensions); from semgrep's lang.json
_LANGUAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "python": ("python", (".py", ".pyi")),
    "py": ("python", (".py", ".pyi")),
    "javascript": ("js", (".cjs", ".js", ".jsx", ".mjs")),
    "js": ("js", (".cjs", ".js", ".jsx", ".mjs")),
    "typescript": ("ts", (".ts", ".tsx")),
    "ts": ("ts", (".ts", ".tsx")),
    "go": ("go", (".go",)),
    "golang": ("go", (".go",)),
    "java": ("java", (".java",)),
    "rust": ("rust", (".rs",)),
}
_RULE_ID_CHARS = re.compile(r"[^a-zA-Z0-9._-]")
# libyaml's safe loader when PyYAML has it: the same documents at a seventh of the CPU
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def tested_version(version: str) -> bool:
    """True for a semgrep version inside :data:`TESTED_VERSIONS`."""
    found = re.match(r"(\d+)\.(\d+)", version)
    if found is None:
        return False
    low, high = TESTED_VERSIONS
    return low <= (int(found.group(1)), int(found.group(2))) < high


@functools.cache
def core_binary() -> Path | None:
    """The ``semgrep-core`` the installed semgrep package ships, when its version is tested."""
    try:
        version = importlib.metadata.version("semgrep")
    except importlib.metadata.PackageNotFoundError:
        return None
    if not tested_version(version):
        return None
    spec = importlib.util.find_spec("semgrep")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "bin" / "semgrep-core"
    return binary if binary.is_file() else None


def _prefix(rules_file: Path) -> str:
    """The wrapper's rule-id prefix for a config file outside the scan's directory."""
    prefix = ".".join(rules_file.parts[:-1]).lstrip("./").lstrip(".")
    return _RULE_ID_CHARS.sub("", prefix + "." if prefix else "")


class CoreRules:
    """Our rules as ``semgrep-core`` gets them: the JSON bytes and each rule by id."""

    def __init__(self, rules: Sequence[Mapping[str, Any]]) -> None:
        self.by_id = {str(r["id"]): r for r in rules}
        self.json = json.dumps({"rules": list(rules)}, sort_keys=True).encode()
        self.analyzers = {
            _LANGUAGES[str(lang).lower()] for r in rules for lang in r.get("languages", ())
        }


def load_core_rules(rules: Path) -> CoreRules | None:
    """The rules of a file or folder, or None when the wrapper must run them (a language or
    a rules file this module does not handle). Compiled once per content."""
    files = sorted(rules.glob("*.yml")) if rules.is_dir() else [rules]
    try:
        texts = tuple((file.resolve(), file.read_bytes()) for file in files)
    except OSError:
        return None  # the wrapper reports it properly
    return _compile(texts)


@functools.lru_cache(maxsize=8)
def _compile(texts: tuple[tuple[Path, bytes], ...]) -> CoreRules | None:
    loaded: list[dict[str, Any]] = []
    for file, text in texts:
        try:
            data = yaml.load(text.decode("utf-8"), Loader=_LOADER)  # a safe loader
        except (UnicodeDecodeError, yaml.YAMLError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
            return None
        prefix = _prefix(file)
        for rule in data["rules"]:
            if not isinstance(rule, dict) or not isinstance(rule.get("languages"), list):
                return None
            if any(str(lang).lower() not in _LANGUAGES for lang in rule["languages"]):
                return None
            loaded.append(_as_wrapper_sends(rule, prefix))
    return CoreRules(loaded)


def _as_wrapper_sends(rule: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The rule as the wrapper passes it on: id prefixed and, as ``semgrep.rule.Rule`` does,
    a JavaScript rule also runs on TypeScript (its languages then become the sorted ids)."""
    out = {**rule, "id": prefix + str(rule.get("id", ""))}
    languages = {_LANGUAGES[str(lang).lower()][0] for lang in rule["languages"]}
    if "js" in languages:
        out["languages"] = sorted(languages | {"ts"})
    return out


def targets_json(paths: Sequence[str], rules: CoreRules) -> bytes:
    """The ``-targets`` file: each path once per rule language whose extension it has."""
    targets = [
        [
            "CodeTarget",
            {
                "path": {"fpath": path, "ppath": "/" + path},
                "analyzer": analyzer,
                "products": ["sast"],
            },
        ]
        for path in paths
        for analyzer, exts in sorted(rules.analyzers)
        if path.endswith(exts)
    ]
    return json.dumps(["Targets", targets]).encode()


def core_flags(rules_file: Path, targets_file: Path, timeout_s: int, threshold: int) -> list[str]:
    """The arguments the wrapper passes (``-fast``: its default optimisations)."""
    return [
        "-json",
        "-rules",
        str(rules_file),
        "-targets",
        str(targets_file),
        "-timeout",
        str(timeout_s),
        "-timeout_threshold",
        str(threshold),
        "-max_memory",
        "0",
        "-fast",
    ]


def _answer(stdout: str) -> dict[str, Any]:
    """The JSON answer after the progress dots ``semgrep-core`` prints per target."""
    start = stdout.find("{")
    try:
        data = json.loads(stdout[start:]) if start >= 0 else None
    except ValueError as exc:
        raise ToolOutputError(
            f"semgrep-core printed output that is not JSON ({exc}); it starts {stdout[:120]!r}"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ToolOutputError(f"semgrep-core's JSON has no 'results' list: {stdout[:120]!r}")
    return data


def _rule_errors(data: Mapping[str, Any], workdir: Path) -> list[str]:
    """Errors about the rules (located outside the copy of the change), which fail the run;
    errors about one target file (it does not parse, a rule timed out) do not."""
    found = []
    for error in data.get("errors") or ():
        where = str((error.get("location") or {}).get("path", ""))
        inside = where and relative_to_workdir(where, workdir) is not None
        if not inside and error.get("severity") == "error":
            found.append(f"{error.get('rule_id', '')}: {error.get('message', '')}".strip(": "))
    return found


def core_results(stdout: str, rules: CoreRules, workdir: Path) -> list[dict[str, Any]]:
    """``semgrep-core``'s answer as the wrapper's ``results`` list (what the parser reads)."""
    data = _answer(stdout)
    errors = _rule_errors(data, workdir)
    if errors:
        raise ToolOutputError("semgrep-core rejected the rules: " + "; ".join(errors)[:500])
    out: list[dict[str, Any]] = []
    for match in data["results"]:
        extra = match.get("extra") or {}
        if extra.get("is_ignored"):
            continue  # a nosemgrep comment (of the base side: added ones were cut)
        rule = rules.by_id.get(str(match.get("check_id")), {})
        metadata = dict(rule.get("metadata") or {})
        metadata.update(extra.get("metadata") or {})
        converted = {
            "message": extra.get("message") or rule.get("message"),
            "metadata": metadata,
            "severity": extra.get("severity") or rule.get("severity"),
        }
        if isinstance(extra.get("fix"), str):
            converted["fix"] = extra["fix"].rstrip()
        out.append({**match, "extra": converted})
    return out
