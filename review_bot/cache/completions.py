"""The agents' completion-cache seam (``CompletionCache``) on top of :class:`TieredCache`.

The agents' model client builds the request it is about to send (redacted messages, tools,
output schema, model) plus its scope (provider, temperature, prompt version); this adapter
turns that into a :func:`completion_key` and stores the answer as the bytes its
:class:`AnswerCodec` makes of it: for the model seam's answers, :class:`ModelResponseCodec`
(our ``ModelResponse``; the cache knows no agent runtime's types). It sits *outside* the
resilience policy: a hit costs no policy call and no socket.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

from review_bot.cache.keys import completion_key, model_tag
from review_bot.cache.store import CacheAccess, CacheStats
from review_bot.llm.types import ModelResponse

__all__ = ["AnswerCodec", "ModelResponseCodec", "TieredCompletionCache", "completion_cache"]

R = TypeVar("R")


class AnswerCodec(Protocol[R]):
    """How a model answer is stored: bytes out, bytes in, and the cached flag set on a hit."""

    def encode(self, answer: R) -> bytes:
        """The bytes stored for ``answer``."""

    def decode(self, raw: bytes) -> R:
        """The answer stored as ``raw``; ValueError when it cannot be read (old format)."""

    def mark_cached(self, answer: R) -> R:
        """``answer`` flagged as served from the cache."""


_KEY_FIELDS = ("provider", "model", "messages", "tools", "output_schema", "prompt_version")


class TieredCompletionCache(Generic[R]):
    """``get_or_create(request, create)`` with single-flight misses and per-review stats."""

    def __init__(
        self,
        cache: CacheAccess,
        codec: AnswerCodec[R],
        *,
        ttl_s: float | None,
        stats: CacheStats | None = None,
        tags: Sequence[str] = (),
    ) -> None:
        self._cache = cache
        self._tags = tuple(tags)
        self._codec = codec
        self._ttl_s = ttl_s
        self.stats = stats or CacheStats()

    @staticmethod
    def key(request: Mapping[str, Any]) -> str:
        """The content address of ``request`` (every field but the ones named are parameters)."""
        parameters = {k: v for k, v in request.items() if k not in _KEY_FIELDS}
        return completion_key(
            provider=str(request.get("provider", "")),
            model=str(request.get("model", "")),
            parameters=parameters,
            messages=list(request.get("messages", [])),
            tools=list(request.get("tools", [])),
            output_schema=request.get("output_schema"),
            prompt_version=str(request.get("prompt_version", "")),
        )

    async def get_or_create(
        self, request: Mapping[str, Any], create: Callable[[], Awaitable[R]]
    ) -> R:
        """The cached answer (marked cached), or ``create()``'s, stored for next time."""
        key = self.key(request)
        called = False

        async def compute() -> bytes:
            nonlocal called
            called = True
            return self._codec.encode(await create())

        model = model_tag(str(request.get("provider", "")), str(request.get("model", "")))
        tags = (model, *self._tags)
        raw = await self._cache.get_or_compute(
            key, compute, ttl_s=self._ttl_s, tags=tags, stats=self.stats
        )
        try:
            result = self._codec.decode(raw)
        except ValueError:  # an entry written by an incompatible version: overwrite it
            result = await create()
            await self._cache.set(key, self._codec.encode(result), self._ttl_s, tags, self.stats)
            return result
        return result if called else self._codec.mark_cached(result)


class ModelResponseCodec:
    """``ModelResponse`` ⇄ JSON bytes (pydantic's ValidationError is a ValueError). Entries
    written before the model seam (AutoGen's ``CreateResult`` JSON) read back the same."""

    def encode(self, answer: ModelResponse) -> bytes:
        """JSON of the answer (its cost is the budget's business, not stored)."""
        return answer.model_copy(update={"cost_usd": 0.0}).model_dump_json().encode()

    def decode(self, raw: bytes) -> ModelResponse:
        """The answer stored as ``raw``."""
        return ModelResponse.model_validate_json(raw)

    def mark_cached(self, answer: ModelResponse) -> ModelResponse:
        """The answer with ``cached`` set."""
        return answer.model_copy(update={"cached": True})


def completion_cache(
    cache: CacheAccess,
    *,
    ttl_s: float | None,
    stats: CacheStats | None = None,
    tags: Sequence[str] = (),
) -> TieredCompletionCache[ModelResponse]:
    """The model seam's completion cache over ``cache`` (``tags`` on every entry: the repo's)."""
    return TieredCompletionCache(cache, ModelResponseCodec(), ttl_s=ttl_s, stats=stats, tags=tags)
