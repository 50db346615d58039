"""Prompt templates (the ``.md`` files here) and the typed functions that render them.

Templates use ``string.Template`` placeholders (``$name``): substituted values are never
re-scanned, so text from the change cannot smuggle in placeholders. Untrusted text (code,
tool messages) is wrapped in ``<<<DATA id>>>`` … ``<<<END DATA id>>>`` where ``id`` is a hash
of the wrapped text itself: deterministic (so prompts snapshot and cache), and the data cannot
contain its own closing marker without containing its own hash. Every prompt carries a
``version``: the sha256 of the templates it was rendered from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template
from typing import Literal

__all__ = [
    "AgentRole",
    "Excerpt",
    "FixRequest",
    "RenderedPrompt",
    "ToolFindingRef",
    "corrective_message",
    "delimit",
    "fix_prompt",
    "prompt_version",
    "review_prompt",
    "system_prompt",
]

AgentRole = Literal["reviewer", "security", "coder"]
_SHARED = ("_data_rules.md", "_output_rules.md")
_TEMPLATES: dict[str, tuple[str, ...]] = {
    "reviewer": ("reviewer.md", *_SHARED, "chunk.md", "instructions.md", "corrective.md"),
    "security": ("security.md", *_SHARED, "chunk.md", "instructions.md", "corrective.md"),
    "coder": ("coder.md", *_SHARED, "fix.md", "corrective.md"),
}


@cache
def _template(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def prompt_version(role: AgentRole) -> str:
    """sha256 over the templates ``role`` is rendered from (recorded in caches, transcripts)."""
    digest = hashlib.sha256()
    for name in _TEMPLATES[role]:
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(_template(name).encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def delimit(text: str, label: str = "") -> str:
    """Wrap untrusted ``text`` in data markers keyed by a hash of the text.

    ``label`` (which may hold a path or a rule id, untrusted too) goes inside the fence, on
    one line: nothing from the change ever sits on a marker line or outside the markers.
    """
    label = _one_line(label)
    key = hashlib.sha256(f"{label}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()[:16]
    body = f"[{label}]\n{text}" if label else text
    return f"<<<DATA {key}>>>\n{body}\n<<<END DATA {key}>>>"


def _one_line(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class RenderedPrompt:
    """A rendered prompt and the version of the templates it came from."""

    text: str
    version: str


@dataclass(frozen=True)
class Excerpt:
    """Numbered lines of one changed file (``body`` already numbered and marked)."""

    path: str
    language: str | None
    first_line: int
    last_line: int
    body: str


@dataclass(frozen=True)
class ToolFindingRef:
    """A static-analysis finding as shown to an agent, named by ``id`` for triage."""

    id: str
    path: str
    line: int
    end_line: int
    severity: str
    rule_id: str
    source: str
    message: str


@dataclass(frozen=True)
class FixRequest:
    """A finding the coder should patch, with the numbered lines around it."""

    id: str
    path: str
    line: int
    end_line: int
    severity: str
    rule_id: str
    message: str
    excerpt: Excerpt


def system_prompt(role: AgentRole, output_schema: str) -> RenderedPrompt:
    """The system prompt of ``role``, with the JSON schema its answer must validate against."""
    output_rules = Template(_template("_output_rules.md")).substitute(schema=output_schema)
    text = Template(_template(f"{role}.md")).substitute(
        data_rules=_template("_data_rules.md").strip(), output_rules=output_rules.strip()
    )
    return RenderedPrompt(text=text.strip() + "\n", version=prompt_version(role))


def _excerpt(excerpt: Excerpt) -> str:
    label = f"{excerpt.path} lines {excerpt.first_line}-{excerpt.last_line}"
    if excerpt.language:
        label += f" ({excerpt.language})"
    return delimit(excerpt.body, label)


def _file_excerpts(excerpts: Sequence[Excerpt]) -> list[str]:
    """The excerpts, one data block per run of excerpts of the same file (a ``…`` line
    between ranges): one fence and one label per file, not per range."""
    groups: list[list[Excerpt]] = []
    for excerpt in excerpts:
        if groups and groups[-1][0].path == excerpt.path:
            groups[-1].append(excerpt)
        else:
            groups.append([excerpt])
    blocks = []
    for group in groups:
        if len(group) == 1:
            blocks.append(_excerpt(group[0]))
            continue
        first = group[0]
        ranges = ", ".join(f"{e.first_line}-{e.last_line}" for e in group)
        label = f"{first.path} lines {ranges}"
        if first.language:
            label += f" ({first.language})"
        blocks.append(delimit("\n…\n".join(e.body for e in group), label))
    return blocks


def _tool_finding(ref: ToolFindingRef) -> str:
    where = f"{ref.path}:{ref.line}" + (f"-{ref.end_line}" if ref.end_line != ref.line else "")
    # one line per finding: a message cannot start a line that looks like another finding
    text = f"{where} {ref.severity} {ref.rule_id} ({ref.source}): {ref.message}"
    return f"- id {ref.id}: {_one_line(text)}"


def review_prompt(
    role: Literal["reviewer", "security"],
    excerpts: Sequence[Excerpt],
    tool_findings: Sequence[ToolFindingRef],
    *,
    instructions: Sequence[tuple[str, str]] = (),
) -> RenderedPrompt:
    """The task message for ``role`` on one chunk of the change.

    It holds only what the chunk itself decides (its excerpts, the tool findings on them, the
    instructions for its files): no chunk number, no count of the change's files. A chunk
    whose files did not change renders byte for byte as before, so its answers come from the
    completion cache.

    ``instructions`` are the repository's (label, text) review instructions for this chunk's
    files; repo-controlled, so each reaches the prompt inside the data fence.
    """
    listed = (
        delimit("\n".join(_tool_finding(r) for r in tool_findings), "tool findings")
        if tool_findings
        else "(none)"
    )
    text = Template(_template("chunk.md")).substitute(
        excerpts="\n\n".join(_file_excerpts(excerpts)),
        tool_findings=listed,
    )
    if instructions:
        fenced = "\n\n".join(delimit(body, label) for label, body in instructions)
        extra = Template(_template("instructions.md")).substitute(instructions=fenced)
        text = f"{text.strip()}\n\n{extra.strip()}"
    return RenderedPrompt(text=text.strip() + "\n", version=prompt_version(role))


def fix_prompt(requests: Sequence[FixRequest]) -> RenderedPrompt:
    """The coder's task: patch each finding in ``requests``.

    Only the finding's id (ours) is outside the data fence; its path, lines, rule id and
    message, all from a tool or a model, are data.
    """
    blocks = []
    for req in requests:
        where = f"{req.path}:{req.line}" + (f"-{req.end_line}" if req.end_line != req.line else "")
        about = f"{where} {req.severity} {_one_line(req.rule_id)}\n{req.message}"
        blocks.append(f"Finding {req.id}:\n{delimit(about, 'finding')}\n{_excerpt(req.excerpt)}")
    text = Template(_template("fix.md")).substitute(fixes="\n\n".join(blocks))
    return RenderedPrompt(text=text.strip() + "\n", version=prompt_version("coder"))


def corrective_message(error: str) -> str:
    """The one follow-up sent when an agent's answer does not validate."""
    return Template(_template("corrective.md")).substitute(error=error).strip() + "\n"
