"""Code context shown next to a finding, with secrets masked."""

from __future__ import annotations

from review_bot.change import ChangeSet
from review_bot.findings import Finding
from review_bot.redaction import Redactor
from review_bot.suggestions import suggestion_diff

_REDACTOR = Redactor()


def context_lines(
    finding: Finding, change: ChangeSet | None, around: int = 1
) -> list[tuple[int, str, bool]]:
    """(line number, redacted text, is the finding's line) around ``finding``."""
    if change is None:
        return []
    file = change.file(finding.path)
    if file is None or file.new_content is None:
        return []
    lines = file.new_content.splitlines()
    first = max(1, finding.line - around)
    last = min(len(lines), min(finding.end_line, finding.line + 4) + around)
    out = []
    for number in range(first, last + 1):
        text = _REDACTOR.redact(lines[number - 1])
        if "CWE-798" in finding.cwe and finding.line <= number <= finding.end_line:
            text = _mask_secret_line(text)
        out.append((number, text, finding.line <= number <= finding.end_line))
    return out


def _mask_secret_line(text: str) -> str:
    """A line a secrets detector flagged: keep the indentation and the name, hide the value."""
    stripped = text.lstrip()
    indent = text[: len(text) - len(stripped)]
    for sep in ("=", ":"):
        if sep in stripped:
            name = stripped.split(sep, 1)[0].rstrip()
            return f"{indent}{name} {sep} [secret hidden]"
    return f"{indent}[secret hidden]"


def suggestion_lines(finding: Finding, change: ChangeSet | None) -> list[str]:
    """The finding's suggestion as diff lines (``-`` the lines it replaces, ``+`` the new
    ones), secrets masked."""
    return [_REDACTOR.redact(line) for line in suggestion_diff(finding, change)]
