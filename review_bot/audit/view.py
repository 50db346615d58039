"""What a transcript says, as entries a human reads: who said what, with tokens and timings.

Both renderers (terminal and HTML) draw these entries, so they show the same things.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from review_bot.audit.records import Record

__all__ = ["Entry", "entries"]

_TEXT_LIMIT = 4000


@dataclass(frozen=True)
class Entry:
    """One thing that happened.

    Attributes:
        seq: the record's sequence number.
        ts: when it was recorded.
        kind: ``turn`` (an agent's model call or message), ``tool``, ``event``, ``start``,
            ``finish``, ``error``.
        who: the agent, tool or component.
        title: one line.
        body: longer text (prompt, answer, output), possibly empty.
        meta: small facts (tokens, duration, exit code).
    """

    seq: int
    ts: str
    kind: str
    who: str
    title: str
    body: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


def _clip(text: str) -> str:
    return text if len(text) <= _TEXT_LIMIT else text[:_TEXT_LIMIT] + f"\n… ({len(text)} chars)"


def _message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and "name" in part and "arguments" in part:
                parts.append(f"→ call {part['name']}({part['arguments']})")
            elif isinstance(part, dict) and "content" in part:
                parts.append(f"← {part.get('name', 'result')}: {part['content']}")
            else:
                parts.append(str(part))
        return "\n".join(parts)
    return json.dumps(content)


def _who(data: dict[str, Any]) -> str:
    agent = str(data.get("agent", "model"))
    chunk = data.get("chunk")
    return f"{agent} (chunk {chunk})" if chunk is not None else agent


def _started(record: Record) -> Entry:
    d = record.data
    files = ", ".join(str(f) for f in d.get("files", []))
    versions = d.get("versions", {})
    meta = {k: v for k, v in versions.items() if k != "tools" and v}
    meta.update({f"tool {k}": v for k, v in (versions.get("tools") or {}).items() if v})
    return Entry(
        record.seq,
        record.ts,
        kind="start",
        who="review",
        title=f"Review started: {files}",
        meta=meta,
    )


def _model_request(record: Record) -> Entry:
    d = record.data
    messages = d.get("messages") or []
    last = messages[-1] if messages else {}
    title = f"request to {d.get('model', 'model')}: {len(messages)} messages"
    if d.get("tools"):
        title += f", {len(d['tools'])} tools"
    return Entry(
        record.seq,
        record.ts,
        kind="turn",
        who=_who(d),
        title=title,
        body=_clip(_message_text(last)),
        meta={"role": "asks"},
    )


def _model_response(record: Record) -> Entry:
    d = record.data
    usage = d.get("usage") or {}
    calls = d.get("tool_calls") or []
    body = d.get("content") or "\n".join(
        f"→ call {c.get('name')}({c.get('arguments')})" for c in calls
    )
    meta = {
        "prompt tokens": usage.get("prompt_tokens", 0),
        "completion tokens": usage.get("completion_tokens", 0),
        "finish": d.get("finish_reason"),
    }
    if d.get("cached"):
        meta["cached"] = True
    return Entry(
        record.seq,
        record.ts,
        kind="turn",
        who=_who(d),
        title="answer",
        body=_clip(str(body)),
        meta=meta,
    )


def _agent_message(record: Record) -> Entry:
    d = record.data
    text = d.get("content", d.get("text", ""))
    return Entry(
        record.seq,
        record.ts,
        kind="turn",
        who=_who(d),
        title="message",
        body=_clip(text if isinstance(text, str) else json.dumps(text)),
    )


def _tool_run(record: Record) -> Entry:
    d = record.data
    result = d.get("result", {})
    findings = result.get("findings", [])
    body = "\n".join(
        f"{f.get('path')}:{f.get('line')} {f.get('severity')} {f.get('rule_id')}: "
        f"{f.get('message')}"
        for f in findings
    )
    argv = " ".join(str(a) for a in d.get("argv", []))
    reason = result.get("run", {}).get("reason", "")
    meta = {
        "exit code": d.get("exit_code"),
        "version": d.get("version"),
        "duration s": d.get("duration_s"),
        "findings": len(findings),
    }
    return Entry(
        record.seq,
        record.ts,
        kind="tool",
        who=str(d.get("request", {}).get("tool", "tool")),
        title=f"{d.get('status')}: {argv}" + (f" ({reason})" if reason else ""),
        body=_clip(body),
        meta=meta,
    )


_FINISH_STATS = (
    "llm_calls",
    "tool_runs",
    "prompt_tokens",
    "completion_tokens",
    "cache_hits",
    "duration_s",
)


def _finished(record: Record) -> Entry:
    review = record.data.get("review", {})
    stats = review.get("stats", {})
    body = "\n".join(
        f"{f.get('severity')} {f.get('path')}:{f.get('line')} {f.get('rule_id')} "
        f"[{', '.join(f.get('sources', []))}] {f.get('message')}"
        for f in review.get("findings", [])
    )
    return Entry(
        record.seq,
        record.ts,
        kind="finish",
        who="review",
        title=f"Review finished ({review.get('mode')}): {review.get('summary', '')}",
        body=_clip(body),
        meta={k: stats.get(k) for k in _FINISH_STATS},
    )


def _failed(record: Record) -> Entry:
    d = record.data
    return Entry(
        record.seq,
        record.ts,
        kind="error",
        who="review",
        title=f"{record.type}: {d.get('error', '')}",
        body=str(d.get("message", "")),
    )


def _hidden(record: Record) -> None:
    """Progress that another record already says in full (``tool.run`` for a tool's run)."""


def _event(record: Record) -> Entry:
    d, t = record.data, record.type
    shown = {k: v for k, v in d.items() if not isinstance(v, dict | list)}
    return Entry(
        record.seq,
        record.ts,
        kind="event",
        who=str(d.get("agent", d.get("tool", t.split(".")[0]))),
        title=t,
        body=_clip(json.dumps(shown, sort_keys=True)) if shown else "",
    )


_VIEWS: dict[str, Callable[[Record], Entry | None]] = {
    "review.started": _started,
    "model.request": _model_request,
    "model.response": _model_response,
    "agent.message": _agent_message,
    "tool.run": _tool_run,
    "tool.started": _hidden,
    "tool.finished": _hidden,
    "review.finished": _finished,
    "review.failed": _failed,
    "error": _failed,
}
"""How each record type is shown; any other event kind is a generic ``event`` entry."""


def _entry(record: Record) -> Entry | None:
    return _VIEWS.get(record.type, _event)(record)


def entries(records: Sequence[Record]) -> list[Entry]:
    """The readable entries of ``records``, in order."""
    return [e for e in (_entry(r) for r in records) if e is not None]
