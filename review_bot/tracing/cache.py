"""Spans for the review's cache lookups and stores (tool outputs, model completions).

:class:`TracedCache` wraps the process's cache for one review, with the same calls the
tool-output and completion caches make. Each call is a short span under the review span,
named by the operation and labelled with the entry's kind (the key's prefix: ``tool`` or
``completion``), hit or miss, and the review's id. Keys are content hashes: they go on the
span as they are (they hold no content).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from review_bot.cache.store import CacheAccess, CacheStats, Compute

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.trace import Tracer

__all__ = ["TracedCache"]


class TracedCache:
    """A :class:`~review_bot.cache.store.CacheAccess` that traces every call of ``inner``.

    Args:
        inner: the cache (a ``TieredCache``).
        tracer: where spans are made.
        parent: the context each span is started in (the review span's, once it exists).
        attributes: put on every span (``review.id``).
    """

    def __init__(
        self,
        inner: CacheAccess,
        tracer: Tracer,
        parent: Callable[[], Context | None],
        attributes: dict[str, Any] | None = None,
    ) -> None:
        self._inner = inner
        self._tracer = tracer
        self._parent = parent
        self._attributes = dict(attributes or {})

    def _span(self, operation: str, key: str) -> Any:
        kind = key.split(":", 1)[0]
        return self._tracer.start_span(
            f"cache {operation}",
            context=self._parent(),
            attributes={
                **self._attributes,
                "cache.operation": operation,
                "cache.kind": kind,
                "cache.key": key,
            },
        )

    async def get(self, key: str, stats: CacheStats | None = None) -> bytes | None:
        """The inner cache's value; the span says hit or miss."""
        span = self._span("get", key)
        try:
            value = await self._inner.get(key, stats)
            span.set_attribute("cache.hit", value is not None)
            return value
        finally:
            span.end()

    async def set(
        self,
        key: str,
        value: bytes,
        ttl_s: float | None,
        tags: Sequence[str] = (),
        stats: CacheStats | None = None,
    ) -> None:
        """Store through the inner cache; the span has the value's size."""
        span = self._span("set", key)
        try:
            span.set_attribute("cache.value_bytes", len(value))
            await self._inner.set(key, value, ttl_s, tags, stats)
        finally:
            span.end()

    async def get_or_compute(
        self,
        key: str,
        compute: Compute,
        *,
        ttl_s: float | None,
        tags: Sequence[str] = (),
        stats: CacheStats | None = None,
    ) -> bytes:
        """The inner cache's single-flight lookup; a hit is an answer nobody computed here."""
        span = self._span("get", key)
        computed = False

        async def counted() -> bytes:
            nonlocal computed
            computed = True
            return await compute()

        try:
            return await self._inner.get_or_compute(
                key, counted, ttl_s=ttl_s, tags=tags, stats=stats
            )
        finally:
            span.set_attribute("cache.hit", not computed)
            span.end()
