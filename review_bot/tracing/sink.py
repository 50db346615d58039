"""Spans from pipeline events: one review span, with tool, agent and model-call spans under it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from review_bot.events import EventKind

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.trace import Span, Tracer

__all__ = ["SpanSink"]

_EVENT_KINDS: tuple[EventKind, ...] = (
    "resilience.retry",
    "resilience.breaker",
    "resilience.rejected",
    "resilience.bulkhead_wait",
    "agents.planned",
)


def _scalar(value: Any) -> Any:
    return value if isinstance(value, str | bool | int | float) else str(value)


class SpanSink:
    """An EventSink that opens and ends spans as the review's events arrive.

    Args:
        tracer: where spans are made.
        parent: the context the review span continues (a webhook's trace carried through the
            queue); None starts a new trace.
        attributes: put on the review span (``review.id``, ``github.delivery_id`` ...).
    """

    def __init__(
        self,
        tracer: Tracer,
        parent: Context | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> None:
        self._tracer = tracer
        self._parent = parent
        self._attributes = {k: _scalar(v) for k, v in (attributes or {}).items()}
        self._review: Span | None = None
        self._open: dict[tuple[str, ...], Span] = {}

    @property
    def attributes(self) -> dict[str, Any]:
        """What the review span is labelled with (``review.id`` ...)."""
        return dict(self._attributes)

    def context(self) -> Context | None:
        """The context a span under the review starts in: the review span's once it is open
        (before, the context the review continues)."""
        if self._review is None:
            return self._parent
        from opentelemetry import trace

        return trace.set_span_in_context(self._review)

    def emit(self, kind: EventKind, /, **data: Any) -> None:
        """Turn one event into a span start, end or span event; others are ignored."""
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, data)
        elif kind in _EVENT_KINDS and self._review is not None:
            self._review.add_event(kind, {k: _scalar(v) for k, v in data.items() if v is not None})

    def _start(self, key: tuple[str, ...], name: str, parent: Span | None, **attrs: Any) -> None:
        from opentelemetry import trace

        context = trace.set_span_in_context(parent) if parent is not None else self._parent
        span = self._tracer.start_span(name, context=context)
        for k, v in attrs.items():
            if v is not None:
                span.set_attribute(k, _scalar(v))
        if key == ("review",):
            self._review = span
        self._open[key] = span

    def _end(self, key: tuple[str, ...], error: str | None = None, **attrs: Any) -> None:
        from opentelemetry.trace import Status, StatusCode

        span = self._open.pop(key, None)
        if span is None:
            return
        for k, v in attrs.items():
            if v is not None:
                span.set_attribute(k, _scalar(v))
        if error:
            span.set_status(Status(StatusCode.ERROR, error))
        span.end()

    def _review_started(self, data: dict[str, Any]) -> None:
        self._start(("review",), "review", None, **self._attributes,
                    **{"review.change_hash": data.get("change_hash"),
                       "review.files": len(data.get("files") or ())})  # fmt: skip

    def _review_finished(self, data: dict[str, Any]) -> None:
        review = data.get("review") or {}
        failures = review.get("failures") or []
        for key in [k for k in self._open if k != ("review",)]:
            self._end(key, error="unfinished when the review ended")
        self._end(("review",), error="partial review" if review.get("partial") else None,
                  **{"review.mode": review.get("mode"),
                     "review.findings": len(review.get("findings") or ()),
                     "review.failures": len(failures)})  # fmt: skip

    def _review_failed(self, data: dict[str, Any]) -> None:
        for key in [k for k in self._open if k != ("review",)]:
            self._end(key, error="unfinished when the review failed")
        self._end(("review",), error=str(data.get("error") or data.get("reason") or "failed"))

    def _tool_started(self, data: dict[str, Any]) -> None:
        tool = str(data.get("tool"))
        self._start(("tool", tool), f"tool {tool}", self._review,
                    **{"tool.name": tool, "tool.files": data.get("files")})  # fmt: skip

    def _tool_finished(self, data: dict[str, Any]) -> None:
        status = data.get("status")
        self._end(("tool", str(data.get("tool"))),
                  error=data.get("reason") or "failed" if status == "failed" else None,
                  **{"tool.status": status, "tool.findings": data.get("findings")})  # fmt: skip

    def _agent_key(self, data: dict[str, Any]) -> tuple[str, ...]:
        return ("agent", str(data.get("agent")), str(data.get("chunk")))

    def _agent_started(self, data: dict[str, Any]) -> None:
        attrs = {"agent.name": data.get("agent"), "agent.chunk": data.get("chunk")}
        self._start(self._agent_key(data), f"agent {data.get('agent')}", self._review, **attrs)

    def _agent_finished(self, data: dict[str, Any]) -> None:
        status = data.get("status")
        self._end(self._agent_key(data), error=f"agent {status}" if status == "failed" else None,
                  **{"agent.status": status})  # fmt: skip

    def _model_key(self, data: dict[str, Any]) -> tuple[str, ...]:
        return ("model", str(data.get("agent")), str(data.get("chunk")), str(data.get("seq")))

    def _model_request(self, data: dict[str, Any]) -> None:
        parent = self._open.get(self._agent_key(data), self._review)
        self._start(self._model_key(data), f"model {data.get('model')}", parent,
                    **{"gen_ai.request.model": data.get("model"),
                       "gen_ai.agent.name": data.get("agent")})  # fmt: skip

    def _model_response(self, data: dict[str, Any]) -> None:
        usage = data.get("usage") or {}
        self._end(self._model_key(data),
                  **{"gen_ai.response.finish_reasons": data.get("finish_reason"),
                     "gen_ai.usage.input_tokens": usage.get("prompt_tokens"),
                     "gen_ai.usage.output_tokens": usage.get("completion_tokens"),
                     "review_bot.cached": data.get("cached"),
                     "review_bot.cost_usd": data.get("cost_usd")})  # fmt: skip

    def _agent_tool(self, data: dict[str, Any]) -> None:
        agent = str(data.get("agent"))
        for key in reversed(list(self._open)):
            if key[:2] == ("agent", agent):
                attrs = {"tool": str(data.get("tool")), "answer_chars": data.get("answer_chars", 0)}
                self._open[key].add_event("agent.tool", {k: _scalar(v) for k, v in attrs.items()})
                return


_HANDLERS: dict[EventKind, Any] = {
    "review.started": SpanSink._review_started,
    "review.finished": SpanSink._review_finished,
    "review.failed": SpanSink._review_failed,
    "tool.started": SpanSink._tool_started,
    "tool.finished": SpanSink._tool_finished,
    "agent.started": SpanSink._agent_started,
    "agent.finished": SpanSink._agent_finished,
    "model.request": SpanSink._model_request,
    "model.response": SpanSink._model_response,
    "agent.tool": SpanSink._agent_tool,
}
