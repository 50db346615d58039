"""The process-wide set of policies, one per dependency, built from configuration."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import redis

from review_bot.config.resilience import ResilienceConfig
from review_bot.events import EventSink, NullSink
from review_bot.resilience.breaker import BreakerRedis, sync_redis_client
from review_bot.resilience.deadline import Deadline
from review_bot.resilience.policy import Policy, ResilienceScope
from review_bot.resilience.retry import Sleep, no_sleep
from review_bot.resilience.stats import ResilienceStats

__all__ = ["PolicyRegistry"]

T = TypeVar("T")


class PolicyRegistry:
    """Hands out one :class:`Policy` per dependency name; build one per process and inject it.

    Every review of the process shares the policies (so bulkheads and breakers see all the
    traffic), each with its own :class:`ResilienceScope` from :meth:`scope`.

    Args:
        config: policies and where breaker state lives.
        testing: the testing switch; backoff sleeps become no-ops (stamina's idea).
        sleep: override the backoff sleep (wins over ``testing``).
        rng: jitter source in [0, 1).
        breaker_redis: a ready synchronous client for shared breaker state (the registry
            drives it from one thread of its own, never the event loop); by default one is
            made from ``config.redis_url`` when set.
    """

    def __init__(
        self,
        config: ResilienceConfig | None = None,
        *,
        testing: bool = False,
        sleep: Sleep | None = None,
        rng: Callable[[], float] = random.random,
        breaker_redis: redis.Redis | None = None,
    ) -> None:
        self.config = config or ResilienceConfig()
        self._sleep: Sleep = sleep or (no_sleep if testing else asyncio.sleep)
        self._rng = rng
        if breaker_redis is None and self.config.redis_url:
            breaker_redis = sync_redis_client(self.config.redis_url, self.config.redis_timeout_s)
        self._redis = None if breaker_redis is None else BreakerRedis(breaker_redis)
        self._policies: dict[str, Policy] = {}

    def get(self, name: str) -> Policy:
        """The policy of dependency ``name``, created on first use."""
        policy = self._policies.get(name)
        if policy is None:
            policy = Policy(
                name,
                self.config.for_dependency(name),
                sleep=self._sleep,
                rng=self._rng,
                breaker_redis=self._redis,
                breaker_namespace=self.config.breaker_namespace,
            )
            self._policies[name] = policy
        return policy

    def scope(
        self, deadline: Deadline | None = None, events: EventSink | None = None
    ) -> ResilienceScope:
        """A fresh per-review scope (deadline, event sink, counters)."""
        return ResilienceScope(
            deadline=deadline or Deadline.unbounded(),
            events=events or NullSink(),
            stats=ResilienceStats(),
        )

    async def call(
        self, name: str, fn: Callable[[], Awaitable[T]], scope: ResilienceScope | None = None
    ) -> T:
        """Shorthand for ``registry.get(name).call(fn, scope)``."""
        return await self.get(name).call(fn, scope)

    def close(self) -> None:
        """Stop the breaker-state Redis thread and release its connection."""
        if self._redis is not None:
            self._redis.close()
