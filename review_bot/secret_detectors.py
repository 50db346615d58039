"""The one set of secret detectors: our patterns plus every detect-secrets plugin.

Redaction (:mod:`review_bot.redaction`) uses this set, so every value the ``secrets`` tool
(detect-secrets, run on the files) can flag is also replaced before text leaves the process:
the token-shape plugins run as whole-text regexes (their own ``denylist``), the high-entropy
plugins with their own regex and entropy limit (and, as their YAML/INI transformers do, on
unquoted ``key: value`` / ``key=value`` values too), and the keyword plugin on the lines that
name a credential. Detect-secrets' false-positive filters are not applied: redaction must be a
superset of the findings. Public IPv4 addresses (a detect-secrets plugin) are not secrets and
are left alone.

:func:`detect` also finds a secret split over two lines (``"ghp_abc" \\`` + ``"def..."``,
or a bare token wrapped mid-value): it scans once more with the line breaks between two
token fragments removed and keeps the hits that cross a break, as one span per fragment.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.high_entropy_strings import (
    Base64HighEntropyString,
    HexHighEntropyString,
    HighEntropyStringsPlugin,
)
from detect_secrets.plugins.keyword import KeywordDetector

__all__ = ["OWN_KINDS", "Hit", "detect", "own_hits"]

MIN_GENERIC_LENGTH = 8
MIN_GENERIC_ENTROPY = 3.0
MIN_ENV_LENGTH = 6
MIN_SPLIT_FRAGMENT = 4  # shorter fragments on either side of a line break are not joined
LINE_MEMO = 1 << 16  # lines whose hits are remembered
MIN_SPLIT_TOKEN = 16  # nor are two fragments shorter than this together

Hit = tuple[int, int, str]  # start, end, kind


@dataclass(frozen=True)
class _Pattern:
    kind: str
    regex: re.Pattern[str]
    group: int = 0  # which group is the secret (-1: the last group that matched)
    check_entropy: bool = False
    min_length: int = 1


_KEYWORD = (
    r"[A-Za-z0-9_.-]*(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key|client[_-]?secret|credentials?|auth[_-]?(?:token|key))[A-Za-z0-9_.-]*"
)
_ENV_NAME = r"[A-Z][A-Z0-9_]*(?:KEY|SECRET|TOKEN|PASSWORD|PASSWD|PWD|CREDENTIALS?|AUTH)[A-Z0-9_]*"

_OWN_PATTERNS: tuple[_Pattern, ...] = (
    _Pattern(
        "private-key",
        re.compile(
            r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----"
            r"(?:.{0,20000}?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----"
            r"|(?:\n[+\- ]?[ \t\"']*(?:[A-Za-z0-9+/=]{16,}|[A-Za-z-]+: [^\n]*)[\"',]*)*)",
            re.DOTALL,
        ),
    ),
    _Pattern(
        "aws-access-key",
        re.compile(
            r"(?<![A-Z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)"
            r"[A-Z0-9]{16}(?![A-Z0-9])"
        ),
    ),
    _Pattern(
        "aws-secret-key",
        re.compile(
            r"(?i)aws.{0,30}?(?:secret|key|token|pwd|pass).{0,30}?[\s'\"=:]"
            r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
        ),
        group=1,
    ),
    _Pattern("github-token", re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}\b")),
    _Pattern("github-token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b")),
    _Pattern("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    _Pattern(
        "slack-webhook",
        re.compile(r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/\w+"),
    ),
    _Pattern("stripe-key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[0-9a-zA-Z]{16,}\b")),
    _Pattern("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])")),
    _Pattern(
        "jwt",
        re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}"),
    ),
    _Pattern("npm-token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    _Pattern("twilio-key", re.compile(r"\b(?:AC|SK)[0-9a-f]{32}\b")),
    _Pattern(
        "bearer-token",
        re.compile(r"(?i)\bbearer\s+([A-Za-z0-9\-._~+/]{16,}=*)"),
        group=1,
    ),
    _Pattern(
        "url-credentials",
        re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@'\"\[\]]+:([^\s/@'\"]+)@"),
        group=1,
    ),
    _Pattern(
        "env-value",
        re.compile(
            rf"(?m)^[+\- ]?[ \t]*(?:(?:#|//|;|--)[ \t]*)?(?:export[ \t]+)?{_ENV_NAME}[ \t]*=[ \t]*"
            r"(['\"]?)([^\s'\"#]+)\1"
        ),
        group=2,
        min_length=MIN_ENV_LENGTH,
    ),
    _Pattern(
        "secret-assignment",
        re.compile(rf"(?i)\b{_KEYWORD}['\"]?\s*(?::=|=>|==|=|:)\s*[bru]?(['\"])([^'\"\n]+)\1"),
        group=2,
        check_entropy=True,
        min_length=MIN_GENERIC_LENGTH,
    ),
)


OWN_KINDS = frozenset(p.kind for p in _OWN_PATTERNS)


def _slug(secret_type: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", secret_type.lower()).strip("-")


def _plugin_patterns() -> tuple[_Pattern, ...]:
    """Every regex-based detect-secrets plugin, by its own denylist (IPs excepted)."""
    patterns = []
    plugins: dict[str, type[Any]] = dict(get_mapping_from_secret_type_to_class())
    for secret_type, plugin in sorted(plugins.items()):
        if not issubclass(plugin, RegexBasedDetector) or "IP" in secret_type:
            continue
        detector: RegexBasedDetector = plugin()
        for regex in detector.denylist:
            patterns.append(_Pattern(_slug(secret_type), regex, group=-1 if regex.groups else 0))
    return tuple(patterns)


_PATTERNS = (*_OWN_PATTERNS, *_plugin_patterns())
# a private key block spans lines; every other detector matches within one line
_MULTILINE_PATTERNS = tuple(p for p in _PATTERNS if p.regex.flags & re.DOTALL)
_LINE_PATTERNS = tuple(p for p in _PATTERNS if p not in _MULTILINE_PATTERNS)
# patterns run again over text whose line breaks between token fragments were removed
_SPLIT_PATTERNS = tuple(p for p in _PATTERNS if p.kind not in ("env-value", "private-key"))

_NOT_SECRET = re.compile(
    r"^(?:\$\{?[A-Za-z_]|\{\{|<[^>]*>$|%\(|os\.environ|env\(|getenv|process\.env)"
    r"|^(?:x+|\*+|changeme|example\S*|placeholder|password|secret|none|null|true|false)$",
    re.IGNORECASE,
)
_ENTROPY_PLUGINS: tuple[HighEntropyStringsPlugin, ...] = (
    Base64HighEntropyString(),
    HexHighEntropyString(),
)
_BASE64 = _ENTROPY_PLUGINS[0]
# what detect-secrets' YAML/INI transformers turn into quoted strings: unquoted values
_UNQUOTED_VALUE = re.compile(
    r"(?m)(?:^|[\s,{])[+\- ]?[A-Za-z_][\w.-]*[ \t]*[:=][ \t]*([A-Za-z0-9+/=_-]{20,})[ \t]*(?:#|,|$)"
)
_KEYWORD_DETECTOR = KeywordDetector()
_KEYWORD_HINT = re.compile(r"(?i)key|pass|pwd|secret|contras|token|auth|cred")
# a token fragment starting a line (after a diff marker, `+` and an opening quote)
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-")
_HEAD = re.compile(r"[+\- ]?[ \t]*\+?[ \t]*([\"']?)([A-Za-z0-9+/=_-]+)")


def _entropy(value: str) -> float:
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def _plausible(pattern: _Pattern, value: str) -> bool:
    if len(value) < pattern.min_length or _NOT_SECRET.search(value):
        return False
    if pattern.check_entropy:
        classes = sum(
            any(test(c) for c in value) for test in (str.islower, str.isupper, str.isdigit)
        )
        return " " not in value.strip() and classes >= 2 and _entropy(value) >= MIN_GENERIC_ENTROPY
    return True


def _group(pattern: _Pattern, match: re.Match[str]) -> int:
    """The group holding the secret; for a plugin's regex the longest group, unless that is
    a mere prefix (``(ghp|gho)_...``), when the whole match is the secret."""
    if pattern.group >= 0:
        return pattern.group
    lengths = [(len(match.group(i) or ""), i) for i in range(1, pattern.regex.groups + 1)]
    longest, index = max(lengths, default=(0, 0))
    return index if longest > MIN_SPLIT_FRAGMENT else 0


def _pattern_hits(text: str, patterns: tuple[_Pattern, ...]) -> Iterator[Hit]:
    for pattern in patterns:
        for match in pattern.regex.finditer(text):
            start, end = match.span(_group(pattern, match))
            if 0 <= start < end and _plausible(pattern, text[start:end]):
                yield start, end, pattern.kind


def _entropy_hits(text: str) -> Iterator[Hit]:
    for plugin in _ENTROPY_PLUGINS:
        for match in plugin.regex.finditer(text):
            value = match.group(2)
            if value and plugin.calculate_shannon_entropy(value) > plugin.entropy_limit:
                yield match.start(2), match.end(2), "high-entropy"
    for match in _UNQUOTED_VALUE.finditer(text):
        value = match.group(1)
        if _BASE64.calculate_shannon_entropy(value) > _BASE64.entropy_limit:
            yield match.start(1), match.end(1), "high-entropy"


def _keyword_hits(text: str, filename: str) -> Iterator[Hit]:
    offset = 0
    for line in text.split("\n"):
        if _KEYWORD_HINT.search(line):
            found = _KEYWORD_DETECTOR.analyze_line(filename=filename, line=line, line_number=1)
            for secret in found:
                value = secret.secret_value or ""
                if len(value) < 2 or _NOT_SECRET.search(value):
                    continue
                start = line.find(value)
                while start >= 0:
                    yield offset + start, offset + start + len(value), "secret-keyword"
                    start = line.find(value, start + len(value))
        offset += len(line) + 1


def _tail(line: str) -> tuple[int, int, bool]:
    """Where the token fragment ending ``line`` ends, its length (before a closing quote, a
    ``+`` or a ``\\`` continuation), and whether a quote closed it."""
    end = len(line.rstrip(" \t\r\\"))
    if line[:end].endswith("+") and line[: end - 1].rstrip(" \t")[-1:] in ("'", '"'):
        end = len(line[: end - 1].rstrip(" \t"))
    quoted = line[:end].endswith(("'", '"'))
    if quoted:
        end -= 1
    start = end
    while start > 0 and line[start - 1] in _TOKEN_CHARS:
        start -= 1
    return end, end - start, quoted


def _seams(text: str) -> Iterator[tuple[int, int, int, int]]:
    """Line breaks with a token fragment on both sides, as offsets into ``text``: the first
    line's start, its fragment's end, the second line's fragment start, and its end."""
    offset = 0
    lines = text.split("\n")
    for first, second in itertools.pairwise(lines):
        start = offset
        offset += len(first) + 1
        tail_end, tail_len, quoted = _tail(first)
        head = _HEAD.match(second)
        # a closed string continues only in an opened one ("ab" "cd"), a bare token bare
        if head is None or bool(head.group(1)) != quoted:
            continue
        head_len = len(head.group(2))
        if min(tail_len, head_len) < MIN_SPLIT_FRAGMENT or tail_len + head_len < MIN_SPLIT_TOKEN:
            continue
        tail_end += start
        yield start, tail_end, offset + head.start(2), offset + len(second)


def _split_hits(text: str) -> Iterator[Hit]:
    """Hits that only exist once two lines' token fragments are joined, per fragment."""
    for line_start, tail_end, head_start, line_end in _seams(text):
        joined = text[line_start:tail_end] + text[head_start:line_end]
        cut = tail_end - line_start  # where the break was, in ``joined``
        for start, end, kind in (*_pattern_hits(joined, _SPLIT_PATTERNS), *_entropy_hits(joined)):
            if start < cut < end:  # not split: the plain scan sees it
                yield line_start + start, tail_end, kind
                yield head_start, head_start + end - cut, kind


# what sets a line of a diff (``+``/``-``/`` ``) or of a numbered excerpt the agents are shown
# (``  12 + ``) apart from the file's own line: single-line detectors look at the rest, so a line
# seen as file content, as a hunk line and inside a model prompt is scanned once. A secret
# cannot reach into the prefix (it ends in a space or is one marker character before the text).
_LINE_PREFIX = re.compile(r"[ \t]*\d+ [+ ] |[+\- ]")


def _scan_line(line: str) -> tuple[Hit, ...]:
    """The single-line pattern and entropy detectors on one line (the costly part)."""
    return (*_pattern_hits(line, _LINE_PATTERNS), *_entropy_hits(line))


@functools.lru_cache(maxsize=LINE_MEMO)
def _body_hits(body: str) -> tuple[Hit, ...]:
    return _scan_line(body)


@functools.lru_cache(maxsize=LINE_MEMO)
def _keyword_line_hits(body: str, filename: str) -> tuple[Hit, ...]:
    return tuple(_keyword_hits(body, filename))


def _line_hits(line: str, filename: str) -> list[Hit]:
    """The single-line detectors on one line, memoised on the line without its diff or
    excerpt prefix (lines repeat: old and new side, hunks, the agents' excerpts)."""
    match = _LINE_PREFIX.match(line)
    cut = match.end() if match else 0
    body = line[cut:]
    hits = list(_body_hits(body))
    if _KEYWORD_HINT.search(body):  # the keyword rules depend on the file type as well
        hits += _keyword_line_hits(body, filename)
    if cut:
        hits = [(start + cut, end + cut, kind) for start, end, kind in hits]
    return hits


def _keyword_file(filename: str | None) -> str:
    """The keyword plugin only looks at the extension: one memo entry per file type."""
    suffix = filename.rsplit(".", 1)[-1] if filename and "." in filename else "yaml"
    return f"file.{suffix[:10]}"


def detect(text: str, filename: str | None = None) -> list[Hit]:
    """Every candidate secret span in ``text`` (possibly overlapping), with its kind.

    ``filename`` picks the keyword plugin's rules for the file type (code vs config).
    """
    kind = _keyword_file(filename)
    hits: list[Hit] = []
    offset = 0
    for line in text.split("\n"):
        hits += [(offset + s, offset + e, k) for s, e, k in _line_hits(line, kind)]
        offset += len(line) + 1
    if "PRIVATE KEY" in text:
        hits += _pattern_hits(text, _MULTILINE_PATTERNS)
    hits += _split_hits(text)
    return hits


def own_hits(text: str) -> list[Hit]:
    """The hits of our own patterns only (detect-secrets' plugins report through the tool,
    with their false-positive filters), split secrets included."""
    return [hit for hit in detect(text) if hit[2] in OWN_KINDS]
