"""What the service says about its own work: request spans and access logs, queue spans.

:func:`observe_http` wraps the whole ASGI app (the webhook, the probes, and any routes
mounted later), so every request gets one server span and one access-log line in the
process's log format. :class:`TracedQueue` and :func:`traced_accept` put a span around
handing a job to the queue and write that span's W3C context onto the job; the worker's
:func:`reviewing` continues it, so one trace runs from the webhook request to the review.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from review_bot.logs import PRE_REDACTED
from review_bot.redaction import Redactor
from review_bot.service.app import WEBHOOK_PATH, Accept
from review_bot.service.jobs import ReviewJob
from review_bot.service.queue import Accepted, JobQueue
from review_bot.tracing import Tracing, consumer_span, http_span, producer_span

__all__ = [
    "ACCESS_LOGGER",
    "TracedQueue",
    "current_job",
    "job_attributes",
    "observe_http",
    "reviewing",
    "traced_accept",
]

ACCESS_LOGGER = "review_bot.access"
access_log = logging.getLogger(ACCESS_LOGGER)

PROBES = frozenset({"/health", "/ready", "/metrics"})  # polled: logged at DEBUG when fine
_DELIVERY = re.compile(r"^[A-Za-z0-9-]{1,100}$")
_METHOD = re.compile(r"^[A-Z]{1,16}$")
_SECRET_PARAM = re.compile(
    r"token|secret|passw|key|sig|auth|code|session|cookie|credential", re.IGNORECASE
)
REDACTED_VALUE = "[redacted]"

_JOB: ContextVar[ReviewJob | None] = ContextVar("review_bot_job", default=None)


def current_job() -> ReviewJob | None:
    """The job this task is running (set by :func:`reviewing`), or None."""
    return _JOB.get()


def job_attributes(job: ReviewJob) -> dict[str, Any]:
    """Span attributes of a job: the review id (its delivery id) and what it reviews."""
    return {
        "review.id": job.delivery_id,
        "github.delivery_id": job.delivery_id,
        "vcs.repository.name": job.repo,
        "review_bot.pull_request": job.number,
        "review_bot.trigger": job.trigger,
        "review_bot.attempt": job.attempt,
    }


def _queue_attributes(job: ReviewJob, system: str, operation: str) -> dict[str, Any]:
    return {**job_attributes(job), "messaging.system": system, "messaging.operation": operation}


class TracedQueue:
    """A :class:`JobQueue` whose enqueue is a producer span carried on the job."""

    def __init__(self, inner: JobQueue, tracing: Tracing | None, system: str) -> None:
        self._inner = inner
        self._tracing = tracing
        self._system = system

    async def enqueue(self, job: ReviewJob) -> None:
        """Queue ``job`` with the enqueue span's trace context on it."""
        attributes = _queue_attributes(job, self._system, "send")
        with producer_span(self._tracing, "queue enqueue", attributes) as carrier:
            await self._inner.enqueue(job.model_copy(update={"trace": carrier}) if carrier else job)

    async def depth(self) -> int:
        """The inner queue's depth."""
        return await self._inner.depth()

    async def ready(self) -> bool:
        """The inner queue's readiness."""
        return await self._inner.ready()


def traced_accept(accept: Accept, tracing: Tracing | None, system: str) -> Accept:
    """``accept`` (dedup + queue in one step) inside a producer span carried on the job."""
    if tracing is None:
        return accept

    async def traced(
        job: ReviewJob, delivery_key: str, head_key: str | None, ttl_s: float
    ) -> Accepted:
        attributes = _queue_attributes(job, system, "send")
        with producer_span(tracing, "queue enqueue", attributes) as carrier:
            outcome: Accepted = await accept(
                job.model_copy(update={"trace": carrier}), delivery_key, head_key, ttl_s
            )
            return outcome

    return traced


@contextmanager
def reviewing(job: ReviewJob, tracing: Tracing | None) -> Iterator[None]:
    """Run a job: its dequeue span (continuing the webhook's trace) is current, and the
    job is :func:`current_job` for the reviewer inside."""
    token = _JOB.set(job)
    try:
        attributes = _queue_attributes(job, "review_bot", "process")
        with consumer_span(tracing, "queue dequeue", job.trace, attributes):
            yield
    finally:
        _JOB.reset(token)


def observe_http(app: ASGIApp, *, tracing: Tracing | None, log_access: bool = True) -> ASGIApp:
    """``app`` with a server span and an access-log line per HTTP or WebSocket request."""
    redactor = Redactor()  # paths and queries; repeated ones hit its memo

    async def observed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None

        async def watch(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind in ("http.response.start", "websocket.http.response.start"):
                status = int(message["status"])
            elif kind == "websocket.accept":
                status = 101
            elif kind == "websocket.close" and status is None:
                status = 403  # closed before it was accepted: refused
            await send(message)

        method = scope.get("method", "GET") if scope["type"] == "http" else "WEBSOCKET"
        if not _METHOD.match(method):
            method = "OTHER"
        path = redactor.redact(scope.get("path", ""))  # it reaches spans and logs
        delivery = _delivery_id(scope)
        with http_span(tracing, method, path, scope.get("headers", ())) as span:
            try:
                await app(scope, receive, watch)
            finally:
                route = _route(scope)
                span.finish(status, route, {"github.delivery_id": delivery})
                if log_access:
                    duration_ms = (time.perf_counter() - started) * 1000
                    _log(
                        method,
                        path,
                        query=_query(scope, redactor),
                        status=status,
                        duration_ms=duration_ms,
                        delivery=delivery,
                        trace_id=span.trace_id,
                    )

    return observed


def _log(
    method: str,
    path: str,
    *,
    query: str,
    status: int | None,
    duration_ms: float,
    delivery: str | None,
    trace_id: str | None,
) -> None:
    shown = status if status is not None else 500  # the server answers 500 for us
    level = logging.INFO
    if shown >= 500:
        level = logging.WARNING
    elif path in PROBES and shown < 400:
        level = logging.DEBUG
    if not access_log.isEnabledFor(level):
        return
    target = f"{path}?{query}" if query else path
    text = f"{method} {target} {shown} {duration_ms:.1f}ms"
    if delivery:
        text += f" delivery={delivery}"
    if trace_id:
        text += f" trace={trace_id}"
    extra: dict[str, Any] = {
        PRE_REDACTED: True,  # every field below is validated or redacted already
        "event": "http.access",
        "method": method,
        "path": path,
        "status": shown,
        "duration_ms": round(duration_ms, 3),
    }
    if query:
        extra["query"] = query
    if delivery:
        extra["delivery_id"] = delivery
    if trace_id:
        extra["trace_id"] = trace_id
    access_log.log(level, "%s", text, extra=extra)


def _delivery_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"x-github-delivery":
            text = value.decode("latin-1")
            return text if _DELIVERY.match(text) else None
    return None


def _query(scope: Scope, redactor: Redactor) -> str:
    """The query string with the value of any parameter that may hold a secret masked, and
    any secret left in the rest redacted ("" without a query: the webhook's case)."""
    raw = scope.get("query_string", b"")
    if not raw:
        return ""
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    masked = urlencode(
        [(k, REDACTED_VALUE if _SECRET_PARAM.search(k) else v) for k, v in pairs], safe="[]"
    )
    return redactor.redact(masked)


def _route(scope: Scope) -> str | None:
    """The matched route's template (``/v1/reviews/{id}``), so span names stay few."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    path = scope.get("path")
    return path if path in PROBES or path == WEBHOOK_PATH else None
