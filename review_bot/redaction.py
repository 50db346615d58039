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
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from review_bot.change import ChangeSet, FileChange, Hunk
from review_bot.secret_detectors import detect

__all__ = ["PLACEHOLDER_RE", "Redactor", "SecretSpan", "placeholder_for"]

PLACEHOLDER_RE = re.compile(r"\[REDACTED:[a-z0-9-]+:[0-9a-f]{8}\]")
MIN_LITERAL_LENGTH = 8  # shorter values are not replaced everywhere (too many false hits)
MEMO_ENTRIES = 4096  # texts whose spans are remembered (model requests repeat their history)
SETTLED_ENTRIES = 1 << 15  # texts known to need no redaction (see Redactor._settled)
ANY = "*"  # settled under any keyword rules: the redactor's own output


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
        self._known: dict[str, str] = {
            value: kind for value, kind in (extra_secrets or {}).items() if value
        }
        self._remember = remember
        # the last change redacted: (original, everywhere?, secrets known after, redacted)
        self._last_change: tuple[ChangeSet, bool, int, ChangeSet] | None = None
        # detection is a pure function of the text: each text is scanned once, and a text
        # this redactor produced is known to hold no secret it can detect
        self._detected: dict[tuple[str, str | None], list[tuple[int, int, str]]] = {}
        self._clean: set[str] = set()
        # texts known to hold nothing to redact: text -> (secrets known when settled, the
        # keyword rules it was scanned with, or ANY for this redactor's own output). A text
        # sent again (conversation history, a record of an already redacted request) costs
        # one lookup until a new secret is learned, then only the literal check runs.
        self._settled: dict[str, tuple[int, str]] = {}
        self.scans = 0  # texts run through the detectors (the one-pass tests count them)

    def find(self, text: str, filename: str | None = None) -> list[SecretSpan]:
        """The secrets in ``text``, in order, without overlaps (placeholders are skipped).

        ``filename`` (the file ``text`` is from) picks the keyword detector's rules.
        """
        rules = _rules(filename)
        if self._is_settled(text, rules):
            return []
        taken = [(m.start(), m.end()) for m in PLACEHOLDER_RE.finditer(text)]
        candidates = list(self._detect(text, filename))
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
        if not spans:
            self._settle(text, rules)
        return sorted(spans, key=lambda s: s.start)

    def _is_settled(self, text: str, rules: str) -> bool:
        entry = self._settled.get(text)
        return entry is not None and entry[0] == len(self._known) and entry[1] in (ANY, rules)

    def _settle(self, text: str, rules: str) -> None:
        if len(self._settled) >= SETTLED_ENTRIES:
            self._settled.clear()
        self._settled[text] = (len(self._known), rules)

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

    def _detect(self, text: str, filename: str | None) -> list[tuple[int, int, str]]:
        if text in self._clean:
            return []
        key = (text, filename)
        found = self._detected.get(key)
        if found is None:
            if len(self._detected) >= MEMO_ENTRIES:
                self._detected.clear()
            self.scans += 1
            found = self._detected[key] = detect(text, filename)
        return found

    def redact(self, text: str, filename: str | None = None) -> str:
        """``text`` with every secret replaced by its placeholder (line count kept)."""
        spans = self.find(text, filename)
        if not spans:
            return text
        out: list[str] = []
        last = 0
        for span in spans:
            out.append(text[last : span.start])
            out.append(span.placeholder + _line_tail(text[span.start : span.end]))
            last = span.end
        out.append(text[last:])
        redacted = "".join(out)
        if len(self._clean) >= MEMO_ENTRIES:
            self._clean.clear()
        self._clean.add(redacted)  # detection finds nothing new in it (redact is idempotent)
        self._settle(redacted, ANY)  # nor does the literal check, until a secret is learned
        return redacted

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
        if (
            last is not None
            and last[0] is change
            and last[1:3] == (everywhere, len(self._known))
        ):
            return last[3]
        if everywhere:
            for file in change.files:
                self.find(file.path)
                if file.old_path:
                    self.find(file.old_path)
                for text in (file.new_content, file.old_content, *(h.text for h in file.hunks)):
                    if text:
                        self.find(text, file.path)
        # the analyzers' context files are never shown to anyone: the redacted change,
        # the one agents and transcripts get, does not carry them
        redacted = change.model_copy(
            update={"files": tuple(self._file(f) for f in change.files), "context": ()}
        )
        self._last_change = (change, everywhere, len(self._known), redacted)
        return redacted

    def _file(self, file: FileChange) -> FileChange:
        def opt(text: str | None) -> str | None:
            return None if text is None else self.redact(text, file.path)

        hunks = tuple(self._hunk(h, file.path) for h in file.hunks)
        return file.model_copy(
            update={
                # a token in a file name is a secret too; redaction keeps the path unique
                "path": self.redact(file.path),
                "old_path": opt(file.old_path),
                "new_content": opt(file.new_content),
                "old_content": opt(file.old_content),
                "hunks": hunks,
            }
        )

    def _hunk(self, hunk: Hunk, filename: str) -> Hunk:
        return hunk.model_copy(
            update={
                "text": self.redact(hunk.text, filename),
                "header": self.redact(hunk.header, filename),
            }
        )

    def redact_path(self, path: str) -> str:
        """``path`` as the redacted change names it."""
        return self.redact(path)


def _rules(filename: str | None) -> str:
    """Which keyword rules a text is scanned with (they depend on the file type only)."""
    suffix = filename.rsplit(".", 1)[-1] if filename and "." in filename else ""
    return suffix[:10]


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
