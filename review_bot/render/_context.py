"""Code context shown next to a finding, with secrets masked.

Lines come from the change redacted as a whole (never line by line): a private key block or a
secret split over two lines is only recognised with its neighbours, so line 2 of a PEM block
is as hidden as line 1. Findings name files by their redacted paths, as the redacted change
does.
"""

from __future__ import annotations

from review_bot.change import ChangeSet
from review_bot.findings import Finding
from review_bot.redaction import Redactor

# the last change rendered and its redaction (a report renders one change, many findings)
_last: list[tuple[ChangeSet, ChangeSet]] = []


def _redacted(change: ChangeSet) -> ChangeSet:
    if _last and _last[0][0] is change:
        return _last[0][1]
    redacted = Redactor(remember=True).redact_change(change, everywhere=True)
    _last[:] = [(change, redacted)]
    return redacted


def context_lines(
    finding: Finding, change: ChangeSet | None, around: int = 1
) -> list[tuple[int, str, bool]]:
    """(line number, redacted text, is the finding's line) around ``finding``."""
    if change is None:
        return []
    file = _redacted(change).file(finding.path)
    if file is None or file.new_content is None:
        return []
    lines = file.new_content.splitlines()
    first = max(1, finding.line - around)
    last = min(len(lines), min(finding.end_line, finding.line + 4) + around)
    out = []
    for number in range(first, last + 1):
        text = lines[number - 1]
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
