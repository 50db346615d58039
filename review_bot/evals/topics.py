"""When a finding is *about* what a label describes: category families and related CWEs.

The sources label with ``security``, ``correctness`` and ``bug``; our findings use
``security``, ``bug``, ``correctness``, ``performance``, ``maintainability`` and ``style``.
The rule, kept in one place so scoring and its tests agree:

- ``security`` matches ``security``; ``bug`` and ``correctness`` are one family ("defect")
  because BugsInPy says *bug* where semgrep-rules says *correctness* for the same kind of
  mistake. ``performance``, ``maintainability`` and ``style`` match no label: no source labels
  them, so such findings are always *unlabeled*, never true or false positives.
- CWEs only narrow the match when both sides carry some: then they must share a CWE or be
  related (a small table of parent/child weaknesses that tools and datasets use
  interchangeably, e.g. CWE-327 broken crypto / CWE-328 weak hash). A finding without a CWE
  (ruff, shellcheck, most agents) matches on its family alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["Family", "Topic", "cwes_compatible", "family_of", "normalise_cwes"]

Family = Literal["security", "defect"]

_FAMILIES: dict[str, Family] = {"security": "security", "bug": "defect", "correctness": "defect"}

# Weaknesses that tools and datasets use for the same defect; each set is one equivalence class.
_RELATED: tuple[frozenset[str], ...] = (
    frozenset({"CWE-327", "CWE-328", "CWE-326", "CWE-916"}),  # weak crypto / hash
    frozenset({"CWE-22", "CWE-23", "CWE-36", "CWE-73"}),  # path traversal
    frozenset({"CWE-77", "CWE-78", "CWE-88"}),  # command injection
    frozenset({"CWE-89", "CWE-564"}),  # SQL injection
    frozenset({"CWE-79", "CWE-80", "CWE-116"}),  # XSS / output encoding
    frozenset({"CWE-330", "CWE-338"}),  # weak randomness
    frozenset({"CWE-94", "CWE-95"}),  # code injection / eval
    frozenset({"CWE-611", "CWE-776"}),  # XML entities
    frozenset({"CWE-502"}),  # unsafe deserialisation
)


def family_of(category: str) -> Family | None:
    """The label family of a category, or None for categories no source labels."""
    return _FAMILIES.get(category)


def normalise_cwes(values: Iterable[object]) -> tuple[str, ...]:
    """``["89", "cwe-89 "]`` → ``("CWE-89",)``: upper-case, prefixed, deduplicated."""
    out: list[str] = []
    for value in values:
        text = str(value).strip().upper()
        if text.isdigit():
            text = f"CWE-{text}"
        if text and text not in out:
            out.append(text)
    return tuple(out)


def _expand(cwes: Iterable[str]) -> set[str]:
    expanded = set(cwes)
    for group in _RELATED:
        if expanded & group:
            expanded |= group
    return expanded


def cwes_compatible(a: Iterable[str], b: Iterable[str]) -> bool:
    """True when either side has no CWE, or they share one (directly or via the table)."""
    left, right = set(a), set(b)
    if not left or not right:
        return True
    return bool(_expand(left) & _expand(right))


class Topic(BaseModel):
    """What a label is about: a family and, optionally, the CWEs that narrow it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    family: Family
    cwe: tuple[str, ...] = ()

    def covers(self, category: str, cwe: Iterable[str]) -> bool:
        """True when a finding of ``category`` with ``cwe`` is about this topic."""
        return family_of(category) == self.family and cwes_compatible(self.cwe, cwe)
