"""One dependency's policy: deadline → bulkhead → circuit breaker → retry → the call."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import pybreaker
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from review_bot.config.resilience import PolicyConfig
from review_bot.errors import (
    CacheError,
    CircuitOpen,
    DeadlineExceeded,
    DependencyUnavailable,
    GitHubError,
    ModelUnavailable,
    ReviewError,
    ToolTimeout,
)
from review_bot.events import EventSink, NullSink
from review_bot.resilience.breaker import BreakerRedis, SharedBreakerStorage, make_breaker
from review_bot.resilience.bulkhead import Bulkhead
from review_bot.resilience.deadline import Deadline
from review_bot.resilience.retry import Sleep, is_retryable, next_delay
from review_bot.resilience.stats import ResilienceStats

__all__ = ["Policy", "ResilienceScope"]

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class ResilienceScope:
    """What one review brings to every call: its deadline, its event sink, its counters.

    Policies are shared by all reviews of a process; the scope is what keeps one review's
    retries and breaker events in that review's stats and transcript.
    """

    deadline: Deadline = field(default_factory=Deadline.unbounded)
    events: EventSink = field(default_factory=NullSink)
    stats: ResilienceStats = field(default_factory=ResilienceStats)


# The scope of the call running in this task: lets the pybreaker listener (called deep
# inside pybreaker, without our arguments) report a transition to the review that caused it.
_CURRENT: contextvars.ContextVar[ResilienceScope | None] = contextvars.ContextVar(
    "review_bot_resilience_scope", default=None
)


def _unavailable_type(name: str) -> type[ReviewError]:
    kind = name.split(":", 1)[0]
    return {
        "llm": ModelUnavailable,
        "tool": ToolTimeout,
        "redis": CacheError,
        "github": GitHubError,
    }.get(kind, DependencyUnavailable)


class Policy:
    """Calls one dependency under its policy; share one instance per dependency per process.

    Args:
        name: dependency name (``llm:openai:gpt-4o-mini``, ``tool:ruff``, ``redis``, ``github``).
        config: attempts, backoff, timeouts, bulkhead and breaker settings.
        sleep: how backoff waits; ``retry.no_sleep`` is the testing switch.
        rng: jitter source in [0, 1).
        breaker_redis: the Redis that shares breaker state (used off the loop), or None.
        breaker_namespace: key prefix of the shared breaker state.
    """

    def __init__(
        self,
        name: str,
        config: PolicyConfig,
        *,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        breaker_redis: BreakerRedis | None = None,
        breaker_namespace: str = "review-bot:breaker",
    ) -> None:
        self.name = name
        self.config = config
        self.stats = ResilienceStats()
        self._sleep = sleep
        self._rng = rng
        self._unavailable = _unavailable_type(name)
        self._bulkhead = Bulkhead(name, config.max_concurrency, config.bulkhead_wait_s)
        self._storage = (
            None
            if breaker_redis is None
            else SharedBreakerStorage(breaker_redis, f"{breaker_namespace}:{name}")
        )
        self._breaker = make_breaker(
            name,
            fail_max=config.fail_max,
            reset_timeout_s=config.reset_timeout_s,
            on_transition=self._on_transition,
            storage=self._storage,
        )
        self._probing = False

    @property
    def breaker_state(self) -> str:
        """``closed``, ``open`` or ``half-open``."""
        return str(self._breaker.current_state)

    async def flush_breaker(self) -> None:
        """Wait until this breaker's state changes so far have reached the shared Redis."""
        if self._storage is not None:
            await self._storage.flush()

    async def call(self, fn: Callable[[], Awaitable[T]], scope: ResilienceScope | None = None) -> T:
        """Run ``fn`` (a fresh awaitable per attempt) under this policy.

        Raises:
            DeadlineExceeded: not enough budget to start, or it ran out meanwhile.
            BulkheadFull: no slot within the bulkhead wait.
            CircuitOpen: the breaker is open (no attempt was made).
            RateLimited, ModelUnavailable, ...: the last error once retries are spent.
            ModelRejected and other non-retryable errors: on the first attempt.
        """
        scope = scope or ResilienceScope()
        self._count(scope, "calls")
        try:
            scope.deadline.require(self.config.min_budget_s, self.name)
        except DeadlineExceeded:
            self._rejected(scope, "deadline")
            raise
        token = _CURRENT.set(scope)
        try:
            async with self._bulkhead.slot(scope.deadline, lambda o, w: self._waited(scope, o, w)):
                return await self._through_breaker(fn, scope)
        except (TimeoutError, ConnectionError) as exc:
            self._count(scope, "failures")
            raise self._unavailable(
                f"{self.name!r} failed after its retries: {type(exc).__name__}: "
                f"{str(exc) or 'no detail'}"
            ) from exc
        except ReviewError as exc:
            if not isinstance(exc, DependencyUnavailable) or isinstance(exc, DeadlineExceeded):
                self._count(scope, "failures")
            raise
        finally:
            _CURRENT.reset(token)

    async def _through_breaker(self, fn: Callable[[], Awaitable[T]], scope: ResilienceScope) -> T:
        if self._storage is not None:  # the other processes' state, read off the loop
            await self._storage.refresh()
        state = self._breaker.current_state
        if state != pybreaker.STATE_CLOSED and self._probing:
            self._rejected(scope, "circuit_open")
            raise CircuitOpen(f"{self.name!r} is being probed after failures; try again later")
        probing = state != pybreaker.STATE_CLOSED
        self._probing = self._probing or probing
        try:
            with self._breaker.calling():
                return await self._retrying(fn, scope)
        except pybreaker.CircuitBreakerError as exc:
            self._rejected(scope, "circuit_open")
            raise CircuitOpen(
                f"{self.name!r} failed {self.config.fail_max} calls in a row; failing fast for "
                f"up to {self.config.reset_timeout_s}s before probing it again"
            ) from exc
        finally:
            if probing:
                self._probing = False

    async def _retrying(self, fn: Callable[[], Awaitable[T]], scope: ResilienceScope) -> T:
        deadline = scope.deadline
        stopped_by_deadline = False

        def stop(rs: RetryCallState) -> bool:
            nonlocal stopped_by_deadline
            if rs.attempt_number >= self.config.max_attempts:
                return True
            if rs.upcoming_sleep + self.config.min_budget_s > deadline.remaining():
                stopped_by_deadline = True
                return True
            return False

        def wait(rs: RetryCallState) -> float:
            error = rs.outcome.exception() if rs.outcome is not None else None
            return next_delay(self.config, rs.attempt_number, error, self._rng)

        def give_up(rs: RetryCallState) -> T:
            assert rs.outcome is not None  # tenacity calls this after an attempt
            error = rs.outcome.exception()
            assert error is not None  # only exceptions are retried
            if stopped_by_deadline:
                raise DeadlineExceeded(
                    f"gave up on {self.name!r} after {rs.attempt_number} attempt(s): waiting "
                    f"{rs.upcoming_sleep:.3f}s more would pass the review deadline "
                    f"({deadline.remaining():.3f}s left); last error: {error}"
                ) from error
            raise error

        retrying = AsyncRetrying(
            stop=stop,
            wait=wait,
            retry=retry_if_exception(is_retryable),
            sleep=self._sleep,
            before_sleep=lambda rs: self._retried(scope, rs),
            retry_error_callback=give_up,
        )
        result: T = await retrying(self._attempt, fn, deadline)
        return result

    async def _attempt(self, fn: Callable[[], Awaitable[T]], deadline: Deadline) -> T:
        deadline.require(self.config.min_budget_s, self.name)
        limit = self.config.attempt_timeout_s
        budget = deadline.remaining()
        cm = asyncio.timeout(min(limit, budget))
        try:
            async with cm:
                return await fn()
        except TimeoutError as exc:
            if cm.expired() and budget <= limit:
                raise DeadlineExceeded(
                    f"{self.name!r} was still running when the review deadline passed "
                    f"({budget:.3f}s budget for this attempt); raise the deadline"
                ) from exc
            if cm.expired() and self.name.startswith("tool:"):
                # an analyzer that ran out of time on these files will again: no retry
                raise ToolTimeout(
                    f"{self.name!r} ran past its {limit:g}s attempt limit; raise "
                    "attempt_timeout_s under [resilience] (and tools.timeout_s) for big files "
                    "or a loaded machine"
                ) from exc
            if cm.expired():  # asyncio's own TimeoutError says nothing: say what ran out
                raise TimeoutError(
                    f"no answer within the {limit:g}s attempt timeout "
                    f"(resilience attempt_timeout_s of {self.name!r})"
                ) from exc
            raise

    # -- observation -------------------------------------------------------------------

    def _count(self, scope: ResilienceScope, counter: str) -> None:
        for stats in (scope.stats, self.stats):
            setattr(stats, counter, getattr(stats, counter) + 1)

    def _retried(self, scope: ResilienceScope, rs: RetryCallState) -> None:
        self._count(scope, "retries")
        error = rs.outcome.exception() if rs.outcome is not None else None
        data = {
            "dependency": self.name,
            "attempt": rs.attempt_number,
            "sleep_s": round(rs.upcoming_sleep, 3),
            "error_type": type(error).__name__,
            "error": str(error)[:300],
        }
        scope.events.emit("resilience.retry", **data)
        log.warning(
            "retrying %s after %s (attempt %d, next in %.3fs)",
            self.name,
            data["error_type"],
            rs.attempt_number,
            rs.upcoming_sleep,
            extra={"event": "resilience.retry", **data},
        )

    def _waited(self, scope: ResilienceScope, outcome: str, waited_s: float) -> None:
        self._count(scope, "bulkhead_waits")
        data = {"dependency": self.name, "outcome": outcome, "waited_s": round(waited_s, 3)}
        scope.events.emit("resilience.bulkhead_wait", **data)
        log.info(
            "bulkhead of %s: waited %.3fs, %s",
            self.name,
            waited_s,
            outcome,
            extra={"event": "resilience.bulkhead_wait", **data},
        )
        if outcome == "rejected":
            self._rejected(scope, "bulkhead_full")

    def _rejected(self, scope: ResilienceScope, reason: str) -> None:
        counter = {
            "circuit_open": "breaker_rejections",
            "bulkhead_full": "bulkhead_rejections",
            "deadline": "deadline_rejections",
        }[reason]
        self._count(scope, counter)
        scope.events.emit("resilience.rejected", dependency=self.name, reason=reason)
        log.info(
            "%s refused: %s",
            self.name,
            reason,
            extra={"event": "resilience.rejected", "dependency": self.name, "reason": reason},
        )

    def _on_transition(self, name: str, old: str, new: str) -> None:
        if old == new:  # pybreaker re-opens an open breaker when late failures arrive
            return
        scope = _CURRENT.get() or ResilienceScope()
        if new == pybreaker.STATE_OPEN:
            self._count(scope, "breaker_opens")
        data = {"dependency": name, "old": old, "new": new}
        scope.events.emit("resilience.breaker", **data)
        log.warning(
            "circuit breaker of %s: %s -> %s",
            name,
            old,
            new,
            extra={"event": "resilience.breaker", **data},
        )
