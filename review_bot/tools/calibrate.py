"""Give the tools' findings the confidence they earned, and drop the ones known to be noise.

Every tool finding gets a confidence from ``configs/confidence.toml``: the rule's precision
measured on labeled data and on real commits, or its tool's default. On top of that, two kinds
of findings are reclassified because they are wrong far more often than they are right:

- detect-secrets' heuristics (entropy, keyword) are a ``low`` "possible secret" with a low
  confidence, unless the line also holds a provider-specific token shape (AWS, GitHub, Slack,
  Stripe, a private key block...); a hex digest in a pinning context (``rev:`` in a pre-commit
  config, ``uses: owner/action@<sha>``, lockfiles, ``sha256:``/``integrity`` fields, commit
  SHAs) is not a secret at all and is dropped;
- bandit's ``assert`` (B101) and hard-coded password (B105-B107) rules say nothing useful about
  test files (``tests/``, ``test_*.py``, ``*_test.py``, ``conftest.py``) and are dropped there;
- test data and fixtures (``tests/data/``, ``testdata/``, ``fixtures/``, ``tests/**/cases/``,
  snapshots) are samples a tool formats or parses, never run: code findings there are ``info``
  with the table's ``fixture`` confidence (on psf/black they were 108 of 112 false alarms).

A rule may also carry a severity override (``[severity.<tool>]``), and a rule key ending in
``*`` covers every rule with that prefix (``"SC30*"``: shellcheck's POSIX-sh portability family).
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import PurePosixPath
from typing import Any

from review_bot.change import ChangeSet, FileChange
from review_bot.findings import SEVERITIES, Finding, Severity, severity_at_least
from review_bot.redaction import PLACEHOLDER_RE, Redactor

__all__ = [
    "HEURISTIC_SECRET_TYPES",
    "calibrate",
    "confidence_for",
    "confidence_table",
    "is_fixture_path",
    "is_test_path",
    "severity_for",
]

HEURISTIC_SECRET_TYPES = frozenset(
    {"Hex High Entropy String", "Base64 High Entropy String", "Secret Keyword"}
)
# the kinds of review_bot.redaction that name one provider's token shape
_PROVIDER_KINDS = frozenset(
    {
        "private-key",
        "aws-access-key",
        "aws-secret-key",
        "github-token",
        "slack-token",
        "slack-webhook",
        "stripe-key",
        "google-api-key",
        "gitlab-token",
        "sendgrid-key",
        "openai-key",
        "pypi-token",
        "square-oauth",
        "azure-storage-key",
        "discord-token",
    }
)
_TEST_ONLY_NOISE = frozenset({"B101", "B105", "B106", "B107"})
_TEST_DIRS = frozenset({"tests", "test", "testing", "__tests__"})
_FIXTURE_DIRS = frozenset(
    {"testdata", "test_data", "test-data", "fixtures", "__fixtures__", "__snapshots__"}
)
_TEST_DATA_DIRS = frozenset({"data", "cases", "snapshots", "samples", "expected", "inputs"})
_LOCKFILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "poetry.lock",
        "pipfile.lock",
        "uv.lock",
        "pdm.lock",
        "cargo.lock",
        "go.sum",
        "gemfile.lock",
        "composer.lock",
        "flake.lock",
        "mix.lock",
        "pubspec.lock",
        "packages.lock.json",
    }
)
_HEX_DIGEST = r"[0-9a-fA-F]{7,128}"
_PINNING = re.compile(
    r"^\s*-?\s*['\"]?rev['\"]?\s*:\s*['\"]?[0-9a-fA-F]{7,64}\b"  # pre-commit `rev:`
    r"|\buses\s*:\s*['\"]?[\w.-]+/[\w./-]*@[0-9a-fA-F]{7,64}\b"  # GitHub Actions pin
    r"|[@/][\w.-]+@sha256:[0-9a-f]{64}"  # container image digest
    r"|\b(?:sha1|sha224|sha256|sha384|sha512|md5|blake2b?)\s*[:=-]\s*['\"]?[0-9a-zA-Z+/=_-]{16,}"
    r"|\b(?:integrity|checksum|digest|hash|shasum)['\"]?\s*[:=]"
    r"|--hash[= ]"
    r"|(?<![A-Za-z0-9])(?:commit|revision|sha|git_?sha|git_?rev|rev|ref)"
    r"(?:_?(?:id|hash|sha|ref|rev))?"
    rf"['\"]?\s*[:=]\s*['\"]?{_HEX_DIGEST}\b",
    re.IGNORECASE,
)
# a line that is nothing but a commit SHA or sha256 digest (a list of pins)
_SOLE_GIT_SHA = re.compile(r"^\s*[-*]?\s*['\"`]?(?:[0-9a-f]{40}|[0-9a-f]{64})['\"`]?,?\s*$")
_REDACTOR = Redactor()
_PLACEHOLDER_KIND = re.compile(r"\[REDACTED:([a-z0-9-]+):[0-9a-f]{8}\]")


@functools.cache
def confidence_table() -> Mapping[str, Any]:
    """The packaged ``configs/confidence.toml`` (read once per process)."""
    raw = (resources.files("review_bot.tools") / "configs" / "confidence.toml").read_text("utf-8")
    return tomllib.loads(raw)


def _lookup(section: Mapping[str, Any], rule_id: str) -> Any:
    """``section[rule_id]``, else the longest ``prefix*`` key that covers it, else None."""
    if rule_id in section:
        return section[rule_id]
    prefixes = [k for k in section if k.endswith("*") and rule_id.startswith(k[:-1])]
    return section[max(prefixes, key=len)] if prefixes else None


def confidence_for(tool: str, rule_id: str) -> float:
    """The measured confidence of ``tool``'s ``rule_id``, else the tool's default."""
    table = confidence_table()
    found = _lookup(table.get("rules", {}).get(tool, {}), rule_id)
    if found is not None:
        return float(found)
    return float(table["defaults"].get(tool, table["defaults"]["agent"]))


def severity_for(tool: str, rule_id: str) -> Severity | None:
    """The table's severity override for ``tool``'s ``rule_id`` (None: the adapter's)."""
    found = _lookup(confidence_table().get("severity", {}).get(tool, {}), rule_id)
    return found if found in SEVERITIES else None


def is_fixture_path(path: str) -> bool:
    """Test data a tool only formats or parses (``tests/data/``, ``testdata/``, ...)."""
    parts = [p.lower() for p in PurePosixPath(path).parts[:-1]]
    if any(p in _FIXTURE_DIRS for p in parts):
        return True
    in_tests = [i for i, p in enumerate(parts) if p in _TEST_DIRS]
    return bool(in_tests) and any(p in _TEST_DATA_DIRS for p in parts[in_tests[0] + 1 :])


def is_test_path(path: str) -> bool:
    """True for test code: under a ``tests``/``test`` folder, ``test_*.py``, ``*_test.py``,
    ``conftest.py`` (and the JS/Go twins ``*.test.js``, ``*.spec.ts``, ``*_test.go``)."""
    pure = PurePosixPath(path)
    name = pure.name.lower()
    if any(part.lower() in _TEST_DIRS for part in pure.parts[:-1]):
        return True
    return (
        name == "conftest.py"
        or (name.startswith("test_") and name.endswith(".py"))
        or name.endswith(("_test.py", "_test.go"))
        or bool(re.search(r"\.(?:test|spec)\.[cm]?[jt]sx?$", name))
    )


def _tool_of(finding: Finding) -> str | None:
    for source in finding.sources:
        if source.startswith("tool:"):
            return source.removeprefix("tool:")
    return None


def _is_pinning(path: str, line: str) -> bool:
    if PurePosixPath(path).name.lower() in _LOCKFILES:
        return True
    line = PLACEHOLDER_RE.sub("0" * 40, line)  # a redacted value reads as a digest would
    return bool(_PINNING.search(line) or _SOLE_GIT_SHA.match(line))


def _provider_shape(line: str) -> bool:
    """A provider-specific token on the line, or its redaction placeholder (replay sees the
    redacted change and must classify the finding the same way)."""
    kinds = {m.group(1) for m in _PLACEHOLDER_KIND.finditer(line)}
    kinds |= {span.kind for span in _REDACTOR.find(line)}
    return bool(kinds & _PROVIDER_KINDS)


def _secret(finding: Finding, file: FileChange | None) -> Finding | None:
    """A detect-secrets finding reclassified (None: not a secret at all)."""
    table = confidence_table()["secrets"]
    line = (file.line_text(finding.line) if file is not None else None) or ""
    heuristic = finding.rule_id in HEURISTIC_SECRET_TYPES
    if heuristic and _is_pinning(finding.path, line):
        return None
    if not heuristic:
        return finding.model_copy(update={"confidence": confidence_for("secrets", "")})
    if _provider_shape(line):
        return finding.model_copy(update={"confidence": float(table["provider_shape"])})
    where = f"{finding.path}:{finding.line}"
    return finding.model_copy(
        update={
            "severity": "low",
            "confidence": float(table["heuristic"]),
            "message": (
                f"Possible secret ({finding.rule_id}, a heuristic) at {where}. If it is a "
                "real credential, remove it, rotate it, and load it from the environment "
                "or a secret store."
            ),
        }
    )


def calibrate(findings: Iterable[Finding], change: ChangeSet) -> list[Finding]:
    """The tools' findings with measured confidences; known noise dropped or downgraded."""
    files = {f.path: f for f in change.files}
    table = confidence_table()
    out: list[Finding] = []
    for finding in findings:
        tool = _tool_of(finding)
        if tool is None:
            out.append(finding)
            continue
        if tool == "secrets":
            found = _secret(finding, files.get(finding.path))
            if found is not None:
                out.append(found)
            continue
        if tool == "bandit" and finding.rule_id in _TEST_ONLY_NOISE and is_test_path(finding.path):
            continue
        confidence = confidence_for(tool, finding.rule_id)
        update: dict[str, object] = {"confidence": confidence}
        severity = severity_for(tool, finding.rule_id)
        if severity is not None:
            update["severity"] = severity
        if finding.category == "security" and tool != "review-bot" and is_test_path(finding.path):
            # test code is not attack surface: shown, as low, and never enough for the gate
            factor = float(table["defaults"]["test_code_security"])
            update["confidence"] = round(confidence * factor, 4)
            if severity_at_least(finding.severity, "medium"):
                update["severity"] = "low"
        if is_fixture_path(finding.path) and tool != "review-bot":
            update = {"severity": "info", "confidence": float(table["defaults"]["fixture"])}
        out.append(finding.model_copy(update=update))
    return out
