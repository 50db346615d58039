"""Find secrets in text and replace them with stable placeholders.

Reviewed code is untrusted and often holds credentials. Before any of its text leaves the
process (model requests, transcripts, logs), each secret is replaced by
``[REDACTED:<kind>:<first 8 hex of sha256(secret)>]``: the same secret always becomes the same
placeholder, so redacted text stays comparable (cache keys, replay matching) and a reader can
still tell two different secrets apart without seeing either.

Guarantees the rest of the package relies on:

* ``redact`` is idempotent: placeholders are never matched again.
* Line structure is kept: a multi-line secret (a private key block) is replaced by its
  placeholder followed by as many newlines as it spanned, so line numbers stay valid.
* Every literal occurrence of a detected secret is replaced, even where no pattern would
  match it on its own (a token quoted bare in a comment after its assignment).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector

from review_bot.change import ChangeSet, FileChange, Hunk

__all__ = ["PLACEHOLDER_RE", "Redactor", "SecretSpan", "placeholder_for"]

PLACEHOLDER_RE = re.compile(r"\[REDACTED:[a-z0-9-]+:[0-9a-f]{8}\]")
MIN_GENERIC_LENGTH = 8
MIN_GENERIC_ENTROPY = 3.0
MIN_ENV_LENGTH = 6
MIN_LITERAL_LENGTH = 8  # shorter values are not replaced everywhere (too many false hits)


@dataclass(frozen=True)
class SecretSpan:
    """One secret found in a text: ``text[start:end]`` is the secret (never stored here)."""

    start: int
    end: int
    kind: str
    placeholder: str


def placeholder_for(kind: str, secret: str) -> str:
    """The stable placeholder of ``secret``."""
    digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"[REDACTED:{kind}:{digest}]"


@dataclass(frozen=True)
class _Pattern:
    kind: str
    regex: re.Pattern[str]
    group: int = 0  # which group is the secret
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
            rf"(?m)^[+\- ]?[ \t]*(?:export[ \t]+)?{_ENV_NAME}[ \t]*=[ \t]*(['\"]?)([^\s'\"#]+)\1"
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

# Well-known token shapes that detect-secrets maintains; each has a fixed prefix, so they
# rarely match ordinary code.
_PLUGIN_PATTERNS: tuple[_Pattern, ...] = tuple(
    _Pattern(kind, regex)
    for kind, plugin in (
        ("gitlab-token", GitLabTokenDetector),
        ("sendgrid-key", SendGridDetector),
        ("openai-key", OpenAIDetector),
        ("pypi-token", PypiTokenDetector),
        ("square-oauth", SquareOAuthDetector),
        ("azure-storage-key", AzureStorageKeyDetector),
        ("discord-token", DiscordBotTokenDetector),
    )
    for regex in plugin().denylist
)

_NOT_SECRET = re.compile(
    r"^(?:\$\{?[A-Za-z_]|\{\{|<[^>]*>$|%\(|os\.environ|env\(|getenv|process\.env)"
    r"|^(?:x+|\*+|changeme|example\S*|placeholder|password|secret|none|null|true|false)$",
    re.IGNORECASE,
)


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


class Redactor:
    """Detects secrets and replaces them with stable placeholders.

    Args:
        extra_secrets: literal values to always redact (for example the API key in use), with
            the kind to name them by.
        remember: keep every secret found so later texts have its literal occurrences
            replaced too (a transcript recorder redacting record after record wants this).
    """

    def __init__(
        self, extra_secrets: Mapping[str, str] | None = None, *, remember: bool = False
    ) -> None:
        self._patterns = (*_OWN_PATTERNS, *_PLUGIN_PATTERNS)
        self._known: dict[str, str] = {
            value: kind for value, kind in (extra_secrets or {}).items() if value
        }
        self._remember = remember
        # the last change redacted: (original, everywhere?, secrets known after, redacted)
        self._last_change: tuple[ChangeSet, bool, int, ChangeSet] | None = None

    def find(self, text: str) -> list[SecretSpan]:
        """The secrets in ``text``, in order, without overlaps (placeholders are skipped)."""
        taken = [(m.start(), m.end()) for m in PLACEHOLDER_RE.finditer(text)]
        candidates: list[tuple[int, int, str]] = []
        for pattern in self._patterns:
            for match in pattern.regex.finditer(text):
                start, end = match.span(pattern.group)
                if start < 0 or end <= start:
                    continue
                if _plausible(pattern, text[start:end]):
                    candidates.append((start, end, pattern.kind))
        for value, kind in self._literals(text, candidates):
            start = text.find(value)
            while start >= 0:
                candidates.append((start, start + len(value), kind))
                start = text.find(value, start + len(value))
        spans: list[SecretSpan] = []
        # earliest first, then longest: a private key block wins over tokens inside it
        for start, end, kind in sorted(candidates, key=lambda c: (c[0], -(c[1] - c[0]))):
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            spans.append(SecretSpan(start, end, kind, placeholder_for(kind, text[start:end])))
        return sorted(spans, key=lambda s: s.start)

    def _literals(
        self, text: str, candidates: Iterable[tuple[int, int, str]]
    ) -> list[tuple[str, str]]:
        found = {text[s:e]: kind for s, e, kind in candidates}
        for value, kind in list(found.items()):
            if kind == "private-key":  # its body lines may be quoted elsewhere on their own
                for line in re.split(r"\n|\\n", value):
                    body = line.strip(" \t+-\"',")
                    if len(body) >= 16 and "PRIVATE KEY" not in body:
                        found.setdefault(body, kind)
        if self._remember:
            for value, kind in found.items():
                self._known.setdefault(value, kind)
        pairs = {**found, **self._known}
        return [(v, k) for v, k in pairs.items() if len(v) >= MIN_LITERAL_LENGTH and v in text]

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced by its placeholder (line count kept)."""
        spans = self.find(text)
        if not spans:
            return text
        out: list[str] = []
        last = 0
        for span in spans:
            out.append(text[last : span.start])
            out.append(span.placeholder + _line_tail(text[span.start : span.end]))
            last = span.end
        out.append(text[last:])
        return "".join(out)

    def redact_obj(self, value: Any) -> Any:
        """A deep copy of a JSON-like value with every string redacted (keys included).

        Secrets found anywhere in the value are also replaced wherever else they occur in
        it, so a token detected in one message cannot survive bare in another.
        """
        if self._remember:
            for text in _strings(value):
                self.find(text)
            return self._redact_deep(value)
        scout = Redactor(self._known, remember=True)
        for text in _strings(value):
            scout.find(text)
        return scout._redact_deep(value)

    def _redact_deep(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, Mapping):
            return {self.redact(str(k)): self._redact_deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._redact_deep(v) for v in value]
        return value

    def redact_change(self, change: ChangeSet, *, everywhere: bool = False) -> ChangeSet:
        """The change with its contents and hunk texts redacted; lines stay where they were.

        ``everywhere``: learn every secret of the change first, so a secret found in one file
        is also replaced where it appears bare in another.

        The same change object asked again the same way, with no secret learned since, is
        answered from memory: recording, the agents and fingerprints each want it, and a
        large change takes a fraction of a second per pass.
        """
        last = self._last_change
        if last is not None and last[0] is change and last[1:3] == (everywhere, len(self._known)):
            return last[3]
        if everywhere:
            for file in change.files:
                for text in (file.new_content, file.old_content, *(h.text for h in file.hunks)):
                    if text:
                        self.find(text)
        redacted = change.model_copy(update={"files": tuple(self._file(f) for f in change.files)})
        self._last_change = (change, everywhere, len(self._known), redacted)
        return redacted

    def _file(self, file: FileChange) -> FileChange:
        def opt(text: str | None) -> str | None:
            return None if text is None else self.redact(text)

        hunks = tuple(self._hunk(h) for h in file.hunks)
        return file.model_copy(
            update={
                "new_content": opt(file.new_content),
                "old_content": opt(file.old_content),
                "hunks": hunks,
            }
        )

    def _hunk(self, hunk: Hunk) -> Hunk:
        return hunk.model_copy(
            update={"text": self.redact(hunk.text), "header": self.redact(hunk.header)}
        )


def _line_tail(secret: str) -> str:
    """Newlines (with the diff marker that followed each) to keep a multi-line secret's lines."""
    if "\n" not in secret:
        return ""
    tail = []
    for line in secret.split("\n")[1:]:
        marker = line[:1] in ("+", "-", " ") and not line.startswith("-----")
        tail.append("\n" + (line[0] if marker else ""))
    return "".join(tail)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)
