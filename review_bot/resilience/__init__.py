"""Resilience: every call that leaves the process goes through one policy per dependency.

deadline (the review's budget) → bulkhead (bounded concurrency) → circuit breaker
(pybreaker, optionally shared through Redis) → retry (tenacity, named errors only,
Retry-After, full jitter, bounded by attempts and the deadline) → the call.

Build one :class:`PolicyRegistry` per process, one :class:`ResilienceScope` per review
(``registry.scope(deadline, events)``), and call ``registry.call(name, fn, scope)``.
"""

from review_bot.resilience.breaker import counts_against_breaker
from review_bot.resilience.bulkhead import Bulkhead
from review_bot.resilience.deadline import Deadline
from review_bot.resilience.policy import Policy, ResilienceScope
from review_bot.resilience.registry import PolicyRegistry
from review_bot.resilience.retry import RETRYABLE, is_retryable, next_delay, no_sleep
from review_bot.resilience.stats import ResilienceStats

__all__ = [
    "RETRYABLE",
    "Bulkhead",
    "Deadline",
    "Policy",
    "PolicyRegistry",
    "ResilienceScope",
    "ResilienceStats",
    "counts_against_breaker",
    "is_retryable",
    "next_delay",
    "no_sleep",
]
