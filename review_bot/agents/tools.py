"""The tools agents may call: read-only views of the change, nothing else.

Every tool answers from the :class:`ChangeSet` in memory (never the file system) or from
the injected :class:`FileAnalyzer` (which runs our sandboxed analyzers on a temp copy of one
changed file). A path that is not a file of the change is refused, so no tool can read outside
the change, run an arbitrary command or reach the network.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Protocol

from autogen_core.tools import FunctionTool

from review_bot.change import ChangeSet, FileChange
from review_bot.errors import ToolError
from review_bot.events import EventSink
from review_bot.findings import Finding
from review_bot.llm.tracing import NullTracer, Tracer
from review_bot.prompts import delimit
from review_bot.tokens import count_tokens, truncate_to_tokens

__all__ = ["MAX_ANSWER_TOKENS", "MAX_READ_LINES", "ChangeTools", "FileAnalyzer", "numbered_lines"]

MAX_READ_LINES = 120
MAX_LISTED_FINDINGS = 50
MAX_ANSWER_TOKENS = 1_500


class FileAnalyzer(Protocol):
    """Runs one named analyzer on one file of the change (possibly patched)."""

    def available(self, file: FileChange) -> Sequence[str]:
        """Names of the analyzers that apply to ``file`` and are installed."""

    async def analyze(self, name: str, file: FileChange) -> Sequence[Finding]:
        """Findings of analyzer ``name`` on ``file``; raises ToolError when it cannot run."""


def numbered_lines(file: FileChange, first: int, last: int) -> str:
    """Lines ``first``..``last`` of the new file, numbered, ``+`` marking changed lines."""
    lines = (file.new_content or "").splitlines()
    added = file.added_lines
    width = len(str(max(last, 1)))
    out = []
    for number in range(max(first, 1), min(last, len(lines)) + 1):
        mark = "+" if number in added else " "
        out.append(f"{number:>{width}} {mark} {lines[number - 1]}")
    return "\n".join(out)


def _finding_json(finding: Finding, ident: str | None = None) -> dict[str, object]:
    return {
        **({"id": ident} if ident else {}),
        "path": finding.path,
        "line": finding.line,
        "end_line": finding.end_line,
        "severity": finding.severity,
        "category": finding.category,
        "rule_id": finding.rule_id,
        "sources": list(finding.sources),
        "message": finding.message,
    }


class ChangeTools:
    """The agent tools of one review, bound to its change and the tools' findings.

    Args:
        change: the change under review (already redacted, if redaction is on).
        tool_findings: what the static-analysis phase found, by review-local id (``T…``);
            a plain sequence gets ids ``T1``… in order.
        analyzer: runs a named analyzer on one changed file; None disables ``run_analyzer``.
        events: receives an ``agent.tool`` event per call.
        tracer: traces a span per tool run.
    """

    def __init__(
        self,
        change: ChangeSet,
        tool_findings: Sequence[Finding] | Mapping[str, Finding],
        analyzer: FileAnalyzer | None,
        events: EventSink,
        tracer: Tracer | None = None,
    ) -> None:
        self._change = change
        if not isinstance(tool_findings, Mapping):
            tool_findings = {f"T{i + 1}": f for i, f in enumerate(tool_findings)}
        self._findings = dict(tool_findings)
        self._analyzer = analyzer
        self._events = events
        self._tracer: Tracer = tracer or NullTracer()
        self._built: dict[
            tuple[str, tuple[str, ...] | None, tuple[tuple[str, str], ...]], list[FunctionTool]
        ] = {}

    def _file(self, path: str, scope: tuple[str, ...] | None) -> FileChange | str:
        file = self._change.file(path)
        if file is None:
            names = scope if scope is not None else [f.path for f in self._change.files[:20]]
            known = ", ".join(repr(p) for p in names)
            return f"error: {path!r} is not a file of this change; this part's files are {known}"
        return file

    def _record(self, agent: str, tool: str, arguments: dict[str, object], answer: str) -> str:
        """``answer`` (cut at MAX_ANSWER_TOKENS), fenced as data: it holds the change's text,
        paths and tool messages."""
        if count_tokens(answer) > MAX_ANSWER_TOKENS:
            answer = truncate_to_tokens(answer, MAX_ANSWER_TOKENS).rsplit("\n", 1)[0]
            answer += f"\n(cut at {MAX_ANSWER_TOKENS} tokens: ask for a narrower range)"
        self._events.emit(
            "agent.tool", agent=agent, tool=tool, arguments=arguments, answer_chars=len(answer)
        )
        return delimit(answer, f"{tool} result")

    def for_agent(
        self,
        agent: str,
        paths: Sequence[str] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> list[FunctionTool]:
        """The FunctionTools for ``agent`` (its name goes into events and traces) on the chunk
        showing ``paths`` (None: the whole change), which calls the tool findings by ``names``
        (review-wide id -> the chunk's id; None: the review-wide ids).

        Built once per agent role and chunk (building a FunctionTool's schema is not free).
        """
        scope = tuple(paths) if paths is not None else None
        key = (agent, scope, tuple(sorted((names or {}).items())))
        if key not in self._built:
            self._built[key] = self._build(agent, scope, names)
        return self._built[key]

    def _build(
        self, agent: str, scope: tuple[str, ...] | None, names: Mapping[str, str] | None
    ) -> list[FunctionTool]:
        files = [f for f in self._change.files if scope is None or f.path in scope]

        async def list_changed_files() -> str:
            with self._tracer.observe("tool list_changed_files", "tool", metadata={"agent": agent}):
                rows = []
                for f in files:
                    ranges = ", ".join(
                        f"{h.new_start}-{h.new_start + max(h.new_length, 1) - 1}" for h in f.hunks
                    )
                    rows.append(f"{f.path} ({f.status}, {f.language or 'text'}): lines {ranges}")
                return self._record(agent, "list_changed_files", {}, "\n".join(rows))

        async def read_file_lines(path: str, start_line: int, end_line: int) -> str:
            arguments: dict[str, object] = {
                "path": path,
                "start_line": start_line,
                "end_line": end_line,
            }
            with self._tracer.observe("tool read_file_lines", "tool", input=arguments):
                file = self._file(path, scope)
                if isinstance(file, str):
                    return self._record(agent, "read_file_lines", arguments, file)
                if file.new_content is None:
                    answer = f"error: {path!r} has no new content (status {file.status})"
                    return self._record(agent, "read_file_lines", arguments, answer)
                start = max(1, start_line)
                end = min(max(end_line, start), start + MAX_READ_LINES - 1)
                answer = numbered_lines(file, start, end) or "(no lines in that range)"
                return self._record(agent, "read_file_lines", arguments, answer)

        async def run_analyzer(analyzer: str, path: str) -> str:
            arguments: dict[str, object] = {"analyzer": analyzer, "path": path}
            with self._tracer.observe("tool run_analyzer", "tool", input=arguments):
                file = self._file(path, scope)
                if isinstance(file, str):
                    return self._record(agent, "run_analyzer", arguments, file)
                if self._analyzer is None:
                    answer = "error: no analyzers are available in this review"
                    return self._record(agent, "run_analyzer", arguments, answer)
                names = list(self._analyzer.available(file))
                if analyzer not in names:
                    answer = f"error: analyzer {analyzer!r} does not apply to {path!r}; use {names}"
                    return self._record(agent, "run_analyzer", arguments, answer)
                try:
                    found = await self._analyzer.analyze(analyzer, file)
                except ToolError as exc:
                    answer = f"error: {analyzer} could not run: {exc}"
                    return self._record(agent, "run_analyzer", arguments, answer)
                answer = json.dumps([_finding_json(f) for f in found[:MAX_LISTED_FINDINGS]])
                return self._record(agent, "run_analyzer", arguments, answer)

        async def lookup_tool_findings(path: str = "") -> str:
            arguments: dict[str, object] = {"path": path}
            with self._tracer.observe("tool lookup_tool_findings", "tool", input=arguments):
                if path and scope is not None and path not in scope:
                    answer = f"error: {path!r} is not shown in this part of the change"
                    return self._record(agent, "lookup_tool_findings", arguments, answer)
                shown = {f.path for f in files}
                found = [
                    (i if names is None else names.get(i), f)
                    for i, f in self._findings.items()
                    if f.path in shown and (not path or f.path == path)
                ]
                answer = json.dumps([_finding_json(f, i) for i, f in found[:MAX_LISTED_FINDINGS]])
                return self._record(agent, "lookup_tool_findings", arguments, answer)

        return [
            FunctionTool(
                list_changed_files,
                name="list_changed_files",
                description=(
                    "List the changed files shown in this part of the review with their status "
                    "and changed line ranges."
                ),
            ),
            FunctionTool(
                read_file_lines,
                name="read_file_lines",
                description=(
                    "Read numbered lines start_line..end_line (at most "
                    f"{MAX_READ_LINES}) of a changed file's new version; '+' marks changed lines."
                ),
            ),
            FunctionTool(
                run_analyzer,
                name="run_analyzer",
                description=(
                    "Run a named static analyzer (e.g. ruff, bandit, semgrep) on one changed "
                    "file and get its findings as JSON."
                ),
            ),
            FunctionTool(
                lookup_tool_findings,
                name="lookup_tool_findings",
                description=(
                    "The static-analysis findings (with their ids) as JSON, for one file of "
                    "this part of the change or (empty path) for all of its files."
                ),
            ),
        ]
