"""Resilience settings: one policy per dependency, defaults plus per-dependency overrides.

Dependencies are named ``llm:<provider>:<model>``, ``tool:<name>``, ``redis``, ``github``.
An override is chosen by exact name first, then by the longest matching glob pattern
(``llm:*``), so a deployment can tune every model at once and one model in particular.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from review_bot.config._redis import RedisUrl

__all__ = [
    "DEFAULT_ATTEMPT_TIMEOUT_S",
    "DEFAULT_BASE_DELAY_S",
    "DEFAULT_BULKHEAD_WAIT_S",
    "DEFAULT_FAIL_MAX",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_MAX_DELAY_S",
    "DEFAULT_MIN_BUDGET_S",
    "DEFAULT_RESET_TIMEOUT_S",
    "DEFAULT_STRATEGY",
    "PolicyConfig",
    "ResilienceConfig",
    "RetryStrategy",
]

RetryStrategy = Literal["exponential", "linear", "fixed"]

DEFAULT_STRATEGY: RetryStrategy = "exponential"
DEFAULT_MAX_ATTEMPTS = 4
DEFAULT_BASE_DELAY_S = 0.5
DEFAULT_MAX_DELAY_S = 20.0
DEFAULT_ATTEMPT_TIMEOUT_S = 120.0
DEFAULT_MIN_BUDGET_S = 0.05
DEFAULT_MAX_CONCURRENCY = 8
DEFAULT_BULKHEAD_WAIT_S = 60.0
DEFAULT_FAIL_MAX = 5
DEFAULT_RESET_TIMEOUT_S = 30.0

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class PolicyConfig(BaseModel):
    """How one dependency is called.

    Attributes:
        max_attempts: total attempts of one call, the first included (1 = no retry).
        strategy: backoff shape before full jitter; ``retry_after`` hints win when longer.
        base_delay_s: first backoff ceiling (exponential doubles it, linear adds it).
        max_delay_s: cap on any one computed backoff.
        attempt_timeout_s: wall time one attempt may take (the deadline may cut it shorter).
        min_budget_s: an attempt does not start with less review time left than this.
        max_concurrency: bulkhead size (calls in flight per process).
        bulkhead_wait_s: how long a call may queue for a bulkhead slot.
        fail_max: consecutive failed calls that open the breaker.
        reset_timeout_s: how long an open breaker fails fast before a probe.
    """

    model_config = _FROZEN

    max_attempts: int = Field(DEFAULT_MAX_ATTEMPTS, ge=1)
    strategy: RetryStrategy = DEFAULT_STRATEGY
    base_delay_s: float = Field(DEFAULT_BASE_DELAY_S, ge=0)
    max_delay_s: float = Field(DEFAULT_MAX_DELAY_S, ge=0)
    attempt_timeout_s: float = Field(DEFAULT_ATTEMPT_TIMEOUT_S, gt=0)
    min_budget_s: float = Field(DEFAULT_MIN_BUDGET_S, ge=0)
    max_concurrency: int = Field(DEFAULT_MAX_CONCURRENCY, ge=1)
    bulkhead_wait_s: float = Field(DEFAULT_BULKHEAD_WAIT_S, ge=0)
    fail_max: int = Field(DEFAULT_FAIL_MAX, ge=1)
    reset_timeout_s: float = Field(DEFAULT_RESET_TIMEOUT_S, gt=0)


class ResilienceConfig(BaseModel):
    """Policies for every dependency and where breaker state lives.

    Attributes:
        default: the policy of any dependency without an override.
        dependencies: overrides keyed by dependency name or glob pattern (whole policies,
            unset fields take the module defaults, not ``default``'s values).
        redis_url: share breaker state through this Redis (all workers see one state);
            None keeps it in process memory.
        breaker_namespace: key prefix of breaker state in Redis.
        redis_timeout_s: socket timeouts of the breaker-state client (it is synchronous).
    """

    model_config = _FROZEN

    default: PolicyConfig = PolicyConfig()
    dependencies: dict[str, PolicyConfig] = Field(default_factory=dict)
    redis_url: RedisUrl | None = None
    breaker_namespace: str = "review-bot:breaker"
    redis_timeout_s: float = Field(0.1, gt=0)

    def for_dependency(self, name: str) -> PolicyConfig:
        """The policy of ``name``: exact override, else longest matching pattern, else default."""
        if name in self.dependencies:
            return self.dependencies[name]
        matches = [p for p in self.dependencies if fnmatch.fnmatchcase(name, p)]
        if matches:
            return self.dependencies[max(matches, key=len)]
        return self.default

    @classmethod
    def from_env(cls, env: Mapping[str, str], **values: object) -> ResilienceConfig:
        """Defaults plus ``REDIS_URL`` (shared breaker state) and any explicit ``values``."""
        data: dict[str, object] = dict(values)
        if env.get("REDIS_URL") and "redis_url" not in data:
            data["redis_url"] = env["REDIS_URL"]
        return cls.model_validate(data)
