"""The completion cache for AutoGen's answers: ``CreateResult`` as stored bytes.

``review_bot.cache`` caches answers of any type through an ``AnswerCodec``; this is the codec
of the agent runtime's answer type, so the cache itself never imports the runtime.
"""

from __future__ import annotations

from collections.abc import Sequence

from autogen_core.models import CreateResult

from review_bot.cache.completions import TieredCompletionCache
from review_bot.cache.store import CacheAccess, CacheStats

__all__ = ["CreateResultCodec", "completion_cache"]


class CreateResultCodec:
    """``CreateResult`` ⇄ JSON bytes (pydantic's ValidationError is a ValueError)."""

    def encode(self, answer: CreateResult) -> bytes:
        """JSON of the answer."""
        return answer.model_dump_json().encode()

    def decode(self, raw: bytes) -> CreateResult:
        """The answer stored as ``raw``."""
        return CreateResult.model_validate_json(raw)

    def mark_cached(self, answer: CreateResult) -> CreateResult:
        """The answer with ``cached`` set."""
        return answer.model_copy(update={"cached": True})


def completion_cache(
    cache: CacheAccess,
    *,
    ttl_s: float | None,
    stats: CacheStats | None = None,
    tags: Sequence[str] = (),
) -> TieredCompletionCache[CreateResult]:
    """The agents' completion cache over ``cache`` (``tags`` on every entry, e.g. the repo's)."""
    return TieredCompletionCache(cache, CreateResultCodec(), ttl_s=ttl_s, stats=stats, tags=tags)
